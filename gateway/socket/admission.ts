// Who may open a chat socket (docs/security.md, "Chat"), checked before the upgrade:
// - Origin: a browser page of another site must not open a socket with the user's
//   credentials (cross-site WebSocket hijacking). Browsers always send Origin; a request
//   without one is not a browser and is let through. Default: only the node's own origin
//   (the Origin's host equals the Host header); CHAT_ALLOWED_ORIGINS replaces it.
// - caps: open sockets per client address (CHAT_MAX_SOCKETS_PER_CLIENT) and per node
//   (CHAT_MAX_SOCKETS). A slot is taken before the upgrade and freed when the TCP
//   connection closes, whether the upgrade succeeded or not.
import type { FastifyRequest } from 'fastify';

export interface AdmissionOptions {
  /** Allowed browser origins; empty: the node's own origin; '*': any. */
  allowedOrigins: readonly string[] | '*';
  maxSockets: number;
  maxSocketsPerClient: number;
}

export type Admission = { ok: true } | { ok: false; status: 403 | 429 | 503; message: string };

export const DEFAULT_ADMISSION: AdmissionOptions = { allowedOrigins: [], maxSockets: 10_000, maxSocketsPerClient: 50 };

function originAllowed(request: FastifyRequest, allowed: readonly string[] | '*'): boolean {
  const origin = request.headers.origin;
  if (origin === undefined || allowed === '*') return true;
  if (allowed.length > 0) return allowed.includes(origin.toLowerCase());
  try {
    return new URL(origin).host === (request.headers.host ?? '').toLowerCase();
  } catch {
    return false;
  }
}

export class SocketAdmission {
  private total = 0;
  private readonly perClient = new Map<string, number>();

  constructor(private readonly options: AdmissionOptions) {}

  /** Checks the request and, when it may connect, holds its slot until its connection closes. */
  admit(request: FastifyRequest): Admission {
    if (!originAllowed(request, this.options.allowedOrigins)) {
      return { ok: false, status: 403, message: 'this origin may not open chat sockets (CHAT_ALLOWED_ORIGINS)' };
    }
    if (this.total >= this.options.maxSockets) {
      return { ok: false, status: 503, message: 'this node has no room for more chat sockets; try another node' };
    }
    const client = request.ip;
    const held = this.perClient.get(client) ?? 0;
    if (held >= this.options.maxSocketsPerClient) {
      return { ok: false, status: 429, message: `at most ${this.options.maxSocketsPerClient} chat sockets per client address` };
    }
    this.total += 1;
    this.perClient.set(client, held + 1);
    request.raw.socket.once('close', () => this.release(client));
    return { ok: true };
  }

  private release(client: string): void {
    this.total -= 1;
    const held = (this.perClient.get(client) ?? 1) - 1;
    if (held <= 0) this.perClient.delete(client);
    else this.perClient.set(client, held);
  }
}
