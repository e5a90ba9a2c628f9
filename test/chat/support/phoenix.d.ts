// The part of the `phoenix` client package (which ships no types) that the chat tests use.
declare module 'phoenix' {
  export interface SocketOptions {
    transport?: unknown;
    params?: Record<string, unknown> | (() => Record<string, unknown>);
    authToken?: string;
    timeout?: number;
    heartbeatIntervalMs?: number;
    reconnectAfterMs?: (tries: number) => number;
    rejoinAfterMs?: (tries: number) => number;
    logger?: (kind: string, msg: string, data: unknown) => void;
  }

  export class Push {
    receive<R = unknown>(status: 'ok' | 'error' | 'timeout', callback: (response: R) => void): Push;
  }

  export class Channel {
    readonly topic: string;
    state: string;
    join(timeout?: number): Push;
    leave(timeout?: number): Push;
    push(event: string, payload: object, timeout?: number): Push;
    on<P = unknown>(event: string, callback: (payload: P) => void): number;
    off(event: string, ref?: number): void;
    onError(callback: (reason?: unknown) => void): number;
    onClose(callback: (payload: unknown) => void): void;
  }

  export class Socket {
    constructor(endPoint: string, opts?: SocketOptions);
    connect(): void;
    disconnect(callback?: () => void, code?: number, reason?: string): void;
    channel(topic: string, params?: object | (() => object)): Channel;
    isConnected(): boolean;
    onOpen(callback: () => void): string;
    onClose(callback: (event: { code: number; reason: string }) => void): string;
    onError(callback: (error: unknown) => void): string;
  }

  export interface PresenceMetaList {
    metas: Array<Record<string, unknown> & { phx_ref: string }>;
  }

  export class Presence {
    constructor(channel: Channel, opts?: object);
    onSync(callback: () => void): void;
    onJoin(callback: (key: string, current: PresenceMetaList | undefined, joined: PresenceMetaList) => void): void;
    onLeave(callback: (key: string, current: PresenceMetaList, left: PresenceMetaList) => void): void;
    list<T = PresenceMetaList>(chooser?: (key: string, presence: PresenceMetaList) => T): T[];
    static syncState(state: object, newState: object): Record<string, PresenceMetaList>;
    static syncDiff(state: object, diff: object): Record<string, PresenceMetaList>;
  }
}
