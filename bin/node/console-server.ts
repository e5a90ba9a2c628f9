// The remote console of a node (`npm run console -- <port>`): a node:repl served over a unix
// socket (CONSOLE_SOCKET, default data/console-<PORT>.sock, mode 0600), with the node's
// actor system, cluster store, MongoDB database and config in scope. A local socket, never
// the network: whoever can open the file may run code in the node, as with an Erlang
// remote shell. What is typed is never logged (it may hold secrets).
import { chmodSync, lstatSync, unlinkSync, type Stats } from 'node:fs';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { dirname, resolve } from 'node:path';
import type { Db } from 'mongodb';
import type { ActorSystem } from '../../actors/kernel/index.js';
import type { NodeConfig } from '../../domain/config.js';
import type { Logger } from '../../domain/log.js';
import type { ClusterStore } from '../../domain/ports/cluster-store.js';
import { UsersRepository, redactMongoUrl } from '../../persistence/index.js';
import { ensurePrivateDir } from '../stack/private-path.js';
import { clusterInfoOf } from './cluster-info.js';
import { errorText } from '../../domain/errors.js';

/** sockaddr_un.sun_path is 108 bytes on Linux (104 on macOS), NUL included. */
const MAX_SOCKET_PATH_BYTES = 103;
const HIDDEN = '[hidden]';

export interface ConsoleScope {
  system: ActorSystem;
  store: ClusterStore;
  /** The node's MongoDB database. */
  mongo: Db;
  config: NodeConfig;
}

export interface ConsoleServerOptions extends ConsoleScope {
  log: Logger;
}

export interface ConsoleServer {
  /** Absolute path of the socket. */
  readonly path: string;
  /** Ends open sessions, stops listening and removes the socket file. */
  close(): Promise<void>;
}

/** The config as the console shows it: secrets hidden, credentials out of the MongoDB URL. */
export function consoleConfig(config: NodeConfig): Readonly<Record<string, unknown>> {
  return Object.freeze({
    ...config,
    secretKeyBase: HIDDEN,
    ...(config.adminPassword !== undefined ? { adminPassword: HIDDEN } : {}),
    mongodbUrl: redactMongoUrl(config.mongodbUrl),
  });
}

function banner(config: NodeConfig): string {
  return [
    `Beamstack console on node ${config.nodeName} (pid ${process.pid}).`,
    'In scope: system (actor system), store (cluster store), mongo (MongoDB db), users (repository),',
    '          config (secrets hidden), nodes() (live nodes). Top-level await works. .exit leaves.',
    '',
  ].join('\n');
}

/** True when a process answers on the socket at `path`. */
function socketAnswers(path: string): Promise<boolean> {
  return new Promise((resolveAnswer) => {
    const probe = connect(path);
    const done = (answered: boolean): void => {
      probe.destroy();
      resolveAnswer(answered);
    };
    probe.setTimeout(1000, () => done(false));
    probe.once('connect', () => done(true));
    probe.once('error', () => done(false));
  });
}

/** Removes a stale socket left by a node that died; returns a reason when the path cannot be used. */
async function clearStalePath(path: string): Promise<string | undefined> {
  let stat: Stats;
  try {
    stat = lstatSync(path);
  } catch {
    return undefined; // nothing there
  }
  if (!stat.isSocket()) return `${path} exists and is not a socket (not touching it)`;
  if (await socketAnswers(path)) return `another process already serves a console at ${path}`;
  unlinkSync(path);
  return undefined;
}

function listen(server: Server, path: string): Promise<void> {
  return new Promise((resolveListen, rejectListen) => {
    server.once('error', rejectListen);
    // The socket file is created by bind() inside listen(): with this umask it is born 0600,
    // so there is no moment in which others could connect.
    const previous = process.umask(0o177);
    try {
      server.listen(path, () => {
        server.removeListener('error', rejectListen);
        resolveListen();
      });
    } finally {
      process.umask(previous);
    }
  });
}

/**
 * `node:repl` is loaded with the first session, not at start: it loads `node:domain`, which
 * makes every EventEmitter of the process (each request, response and socket of the redirect
 * port) go through its domain-aware constructor and emit (docs/decisions.md, "Nodes and operations").
 */
async function serveSession(socket: Socket, scope: ConsoleScope, log: Logger): Promise<void> {
  socket.on('error', () => socket.destroy());
  const { start: startRepl } = await import('node:repl');
  if (socket.destroyed) return;
  socket.write(banner(scope.config));
  const repl = startRepl({
    prompt: `${scope.config.nodeName}> `,
    input: socket,
    output: socket,
    terminal: false,
    useColors: false,
    useGlobal: false,
    ignoreUndefined: true,
    preview: false,
  });
  const info = clusterInfoOf(scope.store);
  Object.assign(repl.context, {
    system: scope.system,
    store: scope.store,
    mongo: scope.mongo,
    users: new UsersRepository(scope.mongo),
    config: consoleConfig(scope.config),
    nodes: () => info.nodes(),
  });
  repl.on('exit', () => socket.end());
  socket.on('close', () => {
    repl.close();
    log.info('console session closed');
  });
  log.info('console session opened');
}

/**
 * Serves the console at `config.consoleSocket` (relative paths from the working directory).
 * Returns undefined, after one log line saying why, when it is disabled or cannot listen:
 * the console is a convenience and never stops a node from starting.
 */
export async function startConsoleServer(opts: ConsoleServerOptions): Promise<ConsoleServer | undefined> {
  const log = opts.log.child({ domain: 'console' });
  const configured = opts.config.consoleSocket;
  if (configured === '') {
    log.info('console disabled (CONSOLE_SOCKET is empty)');
    return undefined;
  }
  const path = resolve(configured);
  if (Buffer.byteLength(path) > MAX_SOCKET_PATH_BYTES) {
    log.warn(`console disabled: CONSOLE_SOCKET ${path} is longer than ${MAX_SOCKET_PATH_BYTES} bytes, the limit of a unix socket path`);
    return undefined;
  }

  const sessions = new Set<Socket>();
  const server = createServer((socket) => {
    sessions.add(socket);
    socket.once('close', () => sessions.delete(socket));
    serveSession(socket, opts, log).catch((err: unknown) => {
      log.warn(`console session failed: ${errorText(err)}`);
      socket.destroy();
    });
  });
  try {
    ensurePrivateDir(dirname(path));
    const problem = await clearStalePath(path);
    if (problem !== undefined) {
      log.warn(`console disabled (CONSOLE_SOCKET): ${problem}`);
      return undefined;
    }
    await listen(server, path);
    chmodSync(path, 0o600);
  } catch (err) {
    log.warn(`console disabled: cannot listen on ${path} (CONSOLE_SOCKET): ${errorText(err)}`);
    server.close();
    return undefined;
  }
  server.on('error', (err) => log.warn(`console socket ${path}: ${err.message}`));
  const attach = path === resolve('data', `console-${opts.config.port}.sock`) ? String(opts.config.port) : path;
  log.info({ socket: path }, `console listening on ${path} (npm run console -- ${attach})`);

  let closing: Promise<void> | undefined;
  return {
    path,
    close() {
      closing ??= new Promise<void>((resolveClose) => {
        for (const socket of sessions) socket.destroy();
        // server.close() unlinks the socket file of a pipe server; the unlink below covers a
        // file left if it did not (e.g. replaced meanwhile).
        server.close(() => {
          try {
            if (lstatSync(path).isSocket()) unlinkSync(path);
          } catch {
            // already gone
          }
          resolveClose();
        });
      });
      return closing;
    },
  };
}
