// A real FTP server for tests (ftp-srv, in-process) on a free loopback port, serving a temp
// folder to one user. `mode` makes it refuse every login or drop the connection when a file
// is downloaded.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import type { Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FileSystem, FtpSrv, type FtpConnection } from 'ftp-srv';
import { freePort } from './ports.js';

export type FtpMode = 'ok' | 'refuse-login' | 'drop-on-download';

interface SilentLog {
  child(): SilentLog;
  trace(): void;
  debug(): void;
  info(): void;
  warn(): void;
  error(): void;
}
const silent: SilentLog = { child: () => silent, trace() {}, debug() {}, info() {}, warn() {}, error() {} };

export interface TestFtpServer {
  readonly port: number;
  readonly root: string;
  mode: FtpMode;
  /** Logins attempted (accepted or not). */
  readonly logins: string[];
  url(user?: string, password?: string): string;
  put(name: string, content: string): Promise<void>;
  stop(): Promise<void>;
}

export async function startTestFtpServer(user: string, password: string): Promise<TestFtpServer> {
  const root = await mkdtemp(join(tmpdir(), 'beamstack-ftp-'));
  const port = await freePort();
  const server = new FtpSrv({
    url: `ftp://127.0.0.1:${port}`,
    pasv_url: '127.0.0.1',
    anonymous: false,
    greeting: 'test EPG server',
    log: silent,
  });
  const logins: string[] = [];
  const state: { mode: FtpMode } = { mode: 'ok' };

  server.on('login', ({ connection, username, password: given }, resolve, reject) => {
    logins.push(username);
    if (state.mode === 'refuse-login' || username !== user || given !== password) {
      reject(new Error('Login incorrect'));
      return;
    }
    if (state.mode === 'drop-on-download') {
      class DroppingFs extends FileSystem {
        override read(): never {
          (connection as FtpConnection & { commandSocket: Socket }).commandSocket.destroy();
          throw new Error('connection dropped');
        }
      }
      resolve({ fs: new DroppingFs(connection, { root, cwd: '/' }) });
      return;
    }
    resolve({ root });
  });
  await server.listen();

  return {
    port,
    root,
    get mode() {
      return state.mode;
    },
    set mode(mode: FtpMode) {
      state.mode = mode;
    },
    logins,
    url: (u = user, p = password) => `ftp://${encodeURIComponent(u)}:${encodeURIComponent(p)}@127.0.0.1:${port}/`,
    put: (name, content) => writeFile(join(root, name), content),
    async stop() {
      await server.close();
      await rm(root, { recursive: true, force: true });
    },
  };
}
