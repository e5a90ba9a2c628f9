// B1's baseline: a bare Fastify server that answers every GET with the same 302, in its own
// process like a node. `startBaseline302()` forks this file; the child reports its port.
import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import Fastify from 'fastify';

export const BASELINE_LOCATION = 'http://edge1.cdn.example.net/live/ch_1/hls_none/index.m3u8';

export interface BaselineServer {
  url: string;
  pid: number | undefined;
  stop(): Promise<void>;
}

export function startBaseline302(): Promise<BaselineServer> {
  const child = fork(fileURLToPath(import.meta.url), ['--serve'], {
    execArgv: ['--import', 'tsx'],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const stop = async (): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 3000);
    await exited;
    clearTimeout(timer);
  };
  process.once('exit', () => child.kill('SIGKILL'));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      void stop();
      reject(new Error('the baseline server did not start within 30 s'));
    }, 30_000);
    child.once('message', (message) => {
      clearTimeout(timer);
      resolve({ url: `http://127.0.0.1:${(message as { port: number }).port}`, pid: child.pid, stop });
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`the baseline server exited (code ${code}) before it listened`));
    });
  });
}

async function serve(): Promise<void> {
  const app = Fastify({ logger: false });
  app.get('/*', (_request, reply) => {
    reply.code(302).header('Location', BASELINE_LOCATION).header('cache-control', 'max-age=0, private, must-revalidate').send();
  });
  await app.listen({ host: '127.0.0.1', port: 0 });
  const address = app.server.address();
  const port = typeof address === 'object' && address !== null ? address.port : 0;
  process.send?.({ port });
  process.on('SIGTERM', () => void app.close().then(() => process.exit(0)));
  process.on('disconnect', () => process.exit(0));
}

if (process.argv.includes('--serve')) await serve();
