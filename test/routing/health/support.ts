// Helpers of the health-check tests: controllable edge servers on loopback, a server
// source the tests edit, a writer that records (and applies) availability changes.
import { createServer, type IncomingMessage, type Server as HttpServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Server } from '../../../domain/routing/entities.js';
import type { AvailabilityWriter, ServerSource } from '../../../actors/routing/health/index.js';
import { waitFor } from '../../support/wait.js';

export type EdgeMode = 'ok' | 'ok-newline' | 'ok-crlf' | 'status-500' | 'wrong-body' | 'long-body' | 'slow' | 'redirect';

export interface ProbeRecord {
  path: string;
  userAgent: string;
  at: number;
}

/** A fake edge: answers every request according to `mode` (per path when set in `modes`). */
export interface FakeEdge {
  port: number;
  mode: EdgeMode;
  modes: Map<string, EdgeMode>;
  /** Delay of 'slow' answers, and of every answer when `delayMs` > 0. */
  slowMs: number;
  delayMs: number;
  requests: ProbeRecord[];
  inFlight: number;
  maxInFlight: number;
  close(): Promise<void>;
}

function answer(res: ServerResponse, mode: EdgeMode): void {
  switch (mode) {
    case 'ok':
      res.end('OK');
      return;
    case 'ok-newline':
      res.end('OK\n');
      return;
    case 'ok-crlf':
      res.end('OK\r\n');
      return;
    case 'status-500':
      res.statusCode = 500;
      res.end('OK');
      return;
    case 'wrong-body':
      res.end('OK!');
      return;
    case 'long-body':
      res.end(`OK${' '.repeat(100_000)}`);
      return;
    case 'redirect':
      res.statusCode = 302;
      res.setHeader('location', '/elsewhere');
      res.end();
      return;
    case 'slow':
      res.end('OK');
  }
}

export async function startFakeEdge(mode: EdgeMode = 'ok'): Promise<FakeEdge> {
  const timers = new Set<NodeJS.Timeout>();
  const edge: FakeEdge = {
    port: 0,
    mode,
    modes: new Map(),
    slowMs: 1_000,
    delayMs: 0,
    requests: [],
    inFlight: 0,
    maxInFlight: 0,
    close: async () => {},
  };
  const server: HttpServer = createServer((req: IncomingMessage, res: ServerResponse) => {
    const path = req.url ?? '/';
    edge.requests.push({ path, userAgent: req.headers['user-agent'] ?? '', at: Date.now() });
    const current = edge.modes.get(path) ?? edge.mode;
    edge.inFlight += 1;
    edge.maxInFlight = Math.max(edge.maxInFlight, edge.inFlight);
    const finish = (): void => {
      edge.inFlight -= 1;
      if (!res.destroyed) answer(res, current);
    };
    const delay = current === 'slow' ? edge.slowMs : edge.delayMs;
    if (delay > 0) {
      const timer = setTimeout(() => {
        timers.delete(timer);
        finish();
      }, delay);
      timers.add(timer);
    } else finish();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  edge.port = (server.address() as AddressInfo).port;
  edge.close = async () => {
    for (const timer of timers) clearTimeout(timer);
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  };
  return edge;
}

let serial = 0;

/** A Server entity pointing at a fake edge (domainName 127.0.0.1 resolves without DNS). */
export function serverAt(port: number, overrides: Partial<Server> = {}): Server {
  serial += 1;
  return {
    id: `srv-${serial}`,
    type: 'EDGE',
    domainName: '127.0.0.1',
    ip: '127.0.0.1',
    port,
    status: 'ACTIVE',
    availability: true,
    weight: 1,
    healthcheckEnabled: true,
    serverGroupIds: [],
    version: 1,
    ...overrides,
  };
}

/** The routing view as the checker sees it: a list the test edits. */
export class FakeServerSource implements ServerSource {
  servers: Server[] = [];
  calls = 0;

  activeServers(): readonly Server[] {
    this.calls += 1;
    return this.servers.filter((s) => s.status === 'ACTIVE');
  }

  set(id: string, patch: Partial<Server>): void {
    this.servers = this.servers.map((s) => (s.id === id ? { ...s, ...patch } : s));
  }

  get(id: string): Server {
    const server = this.servers.find((s) => s.id === id);
    if (!server) throw new Error(`no server ${id}`);
    return server;
  }
}

export interface WriteRecord {
  serverId: string;
  available: boolean;
  reason: string;
}

/**
 * Records writes and, like the domain-model actor, applies them to the source (the view
 * catches up) unless `applyToSource` is false. `failNext` makes the next writes reject.
 */
export class RecordingWriter implements AvailabilityWriter {
  writes: WriteRecord[] = [];
  failNext = 0;
  applyToSource = true;

  constructor(private readonly source?: FakeServerSource) {}

  async setAvailability(serverId: string, available: boolean, reason: string): Promise<void> {
    if (this.failNext > 0) {
      this.failNext -= 1;
      throw new Error('mongodb is unreachable');
    }
    this.writes.push({ serverId, available, reason });
    if (this.applyToSource) this.source?.set(serverId, { availability: available });
  }
}

/** Resolves once `condition()` holds; rejects after `timeoutMs` (a bound, not a sleep). */
export async function until(condition: () => boolean, timeoutMs: number, what: string): Promise<void> {
  await waitFor(what, timeoutMs, condition, { everyMs: 5, retryErrors: false });
}
