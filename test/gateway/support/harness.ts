// Starts a real admin server (actor system + users actor + AuthService over MemoryUsers) on
// a free loopback port, with every log line captured for "no secrets in logs" checks.
import type { FastifyInstance, FastifyPluginAsync } from 'fastify';
import { pino } from 'pino';
import { Registry } from 'prom-client';
import {
  acceptDirectoryTokens,
  createDirectoryLogin,
  startAuth,
  type AuthService,
  type DirectoryLogin,
  type UserChangeFeed,
} from '../../../actors/auth/index.js';
import { startActorSystem, type ActorSystem } from '../../../actors/kernel/index.js';
import { hashPassword, toPublicUser, type PublicUser, type Role, type ScryptParams } from '../../../domain/auth/index.js';
import type { LdapConfig } from '../../../domain/config.js';
import type { Logger } from '../../../domain/log.js';
import { LdapDirectory } from '../../../directory/ldap-directory.js';
import type { ClusterNodeView } from '../../../gateway/admin/routes/cluster.js';
import { buildAdminServer } from '../../../gateway/admin/server.js';
import type { LoginLimiterOptions } from '../../../gateway/admin/login-limiter.js';
import { createLocalStore } from '../../../cluster/local/index.js';
import type { ClusterCounters } from '../../../domain/ports/cluster-store.js';
import type { ReadinessCheck } from '../../../gateway/shared/readiness.js';
import { freePort } from '../../support/ports.js';
import { MemoryUsers } from './memory-users.js';

export const SECRET_KEY_BASE = 'test-secret-key-base-0123456789-abcdefghijklmnopqrstuvwxyz';
/** Cheap scrypt parameters for seeded users (login verifies with whatever the hash says). */
export const FAST_SCRYPT = { N: 1024, r: 8, p: 1 };

export interface HarnessOptions {
  loginLimit?: LoginLimiterOptions;
  /** Password checks at once (the server's default otherwise). */
  loginConcurrency?: number;
  /** The users store (another harness's, to play a second node on the same MongoDB). */
  users?: MemoryUsers;
  /** The user-change feed between nodes (see bin/node/user-changes.ts). */
  changes?: UserChangeFeed;
  /** The shared login counters (another harness's, to play a second node); default: this harness's own. */
  counters?: ClusterCounters;
  trustProxy?: boolean | string[];
  plugins?: FastifyPluginAsync[];
  bodyLimit?: number;
  tokenTtlMs?: number;
  /** The users actor's scrypt parameters (default FAST_SCRYPT; the node uses DEFAULT_SCRYPT_PARAMS). */
  scrypt?: ScryptParams;
  /** Directory login against this LDAP server (as a node with LDAP_URL set). */
  ldap?: LdapConfig;
  /** METRICS_TOKEN. */
  metricsToken?: string;
}

export interface Response {
  status: number;
  headers: Headers;
  text: string;
  // Test code reads arbitrary JSON fields.
  body: Record<string, unknown> & { [key: string]: any };
}

export interface RequestOptions {
  token?: string;
  body?: unknown;
  /** Sent as is (e.g. malformed JSON). */
  rawBody?: string;
  headers?: Record<string, string>;
}

export class Harness {
  users = new MemoryUsers();
  readonly readinessChecks: ReadinessCheck[] = [
    { name: 'mongodb', ok: true },
    { name: 'cluster', ok: true },
    { name: 'actors', ok: true },
  ];
  nodes: ClusterNodeView[] | Error = [];
  readonly metrics = new Registry();
  private readonly logLines: string[] = [];
  system!: ActorSystem;
  auth!: AuthService;
  app!: FastifyInstance;
  baseUrl = '';

  /** Every line the pino logger (HTTP) and the actor logger wrote, serialized. */
  logText(): string {
    return this.logLines.join('');
  }

  async start(options: HarnessOptions = {}): Promise<this> {
    const logger = pino({ level: 'trace' }, { write: (line: string) => void this.logLines.push(line) });
    const actorLog = logger.child({ component: 'actors' }) as unknown as Logger;
    if (options.users !== undefined) this.users = options.users;
    this.system = startActorSystem({ log: actorLog });
    this.auth = startAuth(this.system, {
      users: this.users,
      secretKeyBase: SECRET_KEY_BASE,
      tokenTtlMs: options.tokenTtlMs ?? 3_600_000,
      log: actorLog,
      scrypt: options.scrypt ?? FAST_SCRYPT,
      ...(options.changes !== undefined ? { changes: options.changes } : {}),
    }).service;
    let directoryLogin: DirectoryLogin | undefined;
    if (options.ldap !== undefined) {
      this.auth = acceptDirectoryTokens(this.auth, SECRET_KEY_BASE);
      directoryLogin = createDirectoryLogin({
        directory: new LdapDirectory(options.ldap, actorLog),
        groupRoles: options.ldap.groupRoles,
        secretKeyBase: SECRET_KEY_BASE,
        tokenTtlMs: options.tokenTtlMs ?? 3_600_000,
        log: actorLog,
      });
    }
    this.app = await buildAdminServer({
      logger,
      auth: this.auth,
      metrics: this.metrics,
      readiness: () => this.readinessChecks,
      clusterInfo: {
        nodes: async () => {
          if (this.nodes instanceof Error) throw this.nodes;
          return this.nodes;
        },
      },
      ...(options.plugins !== undefined ? { plugins: options.plugins } : {}),
      ...(options.bodyLimit !== undefined ? { bodyLimit: options.bodyLimit } : {}),
      ...(options.trustProxy !== undefined ? { trustProxy: options.trustProxy } : {}),
      login: {
        counters: options.counters ?? createLocalStore().counters,
        ...(options.loginLimit !== undefined ? { limits: options.loginLimit } : {}),
        ...(options.loginConcurrency !== undefined ? { concurrency: options.loginConcurrency } : {}),
      },
      ...(directoryLogin !== undefined ? { directoryLogin } : {}),
      ...(options.metricsToken !== undefined ? { metricsToken: options.metricsToken } : {}),
    });
    const port = await freePort();
    await this.app.listen({ port, host: '127.0.0.1' });
    this.baseUrl = `http://127.0.0.1:${port}`;
    return this;
  }

  async close(): Promise<void> {
    await this.app?.close();
    await this.system?.stop();
  }

  async seedUser(email: string, password: string, role: Role, name?: string): Promise<PublicUser> {
    const user = await this.users.create({
      email,
      role,
      passwordHash: await hashPassword(password, FAST_SCRYPT),
      ...(name !== undefined ? { name } : {}),
    });
    return toPublicUser(user);
  }

  async request(method: string, path: string, options: RequestOptions = {}): Promise<Response> {
    const headers: Record<string, string> = { ...options.headers };
    if (options.token !== undefined) headers['authorization'] = `Bearer ${options.token}`;
    let body: string | undefined;
    if (options.rawBody !== undefined) {
      body = options.rawBody;
      headers['content-type'] ??= 'application/json';
    } else if (options.body !== undefined) {
      body = JSON.stringify(options.body);
      headers['content-type'] ??= 'application/json';
    }
    const res = await fetch(`${this.baseUrl}${path}`, { method, headers, ...(body !== undefined ? { body } : {}) });
    const text = await res.text();
    let parsed: Response['body'] = {};
    if ((res.headers.get('content-type') ?? '').includes('json') && text.length > 0) parsed = JSON.parse(text);
    return { status: res.status, headers: res.headers, text, body: parsed };
  }

  async login(email: string, password: string): Promise<string> {
    const res = await this.request('POST', '/api/v1/sessions', { body: { email, password } });
    if (res.status !== 200) throw new Error(`login ${email} failed: ${res.status} ${res.text}`);
    return res.body['token'] as string;
  }
}

export async function startHarness(options: HarnessOptions = {}): Promise<Harness> {
  return new Harness().start(options);
}
