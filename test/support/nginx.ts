// Debian nginx in front of test upstreams, running the shipped docs/nginx/beamstack.conf:
// the test copy is rendered from that file (only listen ports, upstream servers and
// certificate paths are substituted), with a self-signed certificate, a temp prefix,
// loopback ports, and the current user. Stopped (and its temp dir removed) by `stop()`.
// Set NGINX_TEST_VERBOSE=1 to see nginx's stderr.
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile, chmod } from 'node:fs/promises';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { freePorts } from './ports.js';

const run = promisify(execFile);

export const NGINX_BIN = process.env.NGINX_BIN ?? '/usr/sbin/nginx';
export const SHIPPED_CONFIG = new URL('../../docs/nginx/beamstack.conf', import.meta.url);

export interface RenderOptions {
  /** host:port of each upstream node (the nodes' API_PORT). */
  upstreams: string[];
  httpListen: string;
  httpsListen: string;
  certFile: string;
  keyFile: string;
}

/** One substitution: `sample` must occur exactly `count` times in the shipped file. */
function substitute(text: string, sample: RegExp, replacement: string, count: number): string {
  const found = text.match(new RegExp(sample.source, 'gm'))?.length ?? 0;
  if (found !== count) {
    throw new Error(`docs/nginx/beamstack.conf changed shape: expected ${count} match(es) of ${sample} but found ${found}`);
  }
  let replaced = false;
  return text.replace(new RegExp(sample.source, 'gm'), () => {
    // Several sample lines collapse into one rendered block.
    if (replaced) return '';
    replaced = true;
    return replacement;
  });
}

/** The shipped config with this environment's addresses and files. Pure (for tests of it). */
export function renderConfig(shipped: string, opts: RenderOptions): string {
  if (opts.upstreams.length === 0) throw new Error('renderConfig: at least one upstream');
  let text = shipped;
  text = substitute(
    text,
    /^ {4}server 127\.0\.0\.1:\d+ max_fails=2 fail_timeout=5s;\n/,
    opts.upstreams.map((u) => `    server ${u} max_fails=2 fail_timeout=5s;\n`).join(''),
    2,
  );
  text = substitute(text, /^ {4}listen 80 default_server;$/, `    listen ${opts.httpListen} default_server;`, 1);
  text = substitute(text, /^ {4}listen 443 ssl default_server;$/, `    listen ${opts.httpsListen} ssl default_server;`, 1);
  text = substitute(text, /^ {4}ssl_certificate {5}\S+;$/, `    ssl_certificate     ${opts.certFile};`, 1);
  text = substitute(text, /^ {4}ssl_certificate_key \S+;$/, `    ssl_certificate_key ${opts.keyFile};`, 1);
  return text;
}

/** The main nginx.conf of a test instance: temp paths under the prefix, no access log. */
export function mainConfig(prefix: string, includeFile: string): string {
  const user = process.getuid?.() === 0 ? 'user root;\n' : '';
  return `${user}worker_processes 1;
events { worker_connections 256; }
http {
    access_log off;
    client_body_temp_path ${join(prefix, 'client_body')};
    proxy_temp_path ${join(prefix, 'proxy')};
    fastcgi_temp_path ${join(prefix, 'fastcgi')};
    uwsgi_temp_path ${join(prefix, 'uwsgi')};
    scgi_temp_path ${join(prefix, 'scgi')};
    include ${includeFile};
}
`;
}

export interface SelfSignedCert {
  certFile: string;
  keyFile: string;
  certPem: string;
}

/** A self-signed certificate for localhost / 127.0.0.1, valid for one day. */
export async function makeSelfSignedCert(dir: string): Promise<SelfSignedCert> {
  const certFile = join(dir, 'test.crt');
  const keyFile = join(dir, 'test.key');
  await run('openssl', [
    'req',
    '-x509',
    '-newkey',
    'ec',
    '-pkeyopt',
    'ec_paramgen_curve:prime256v1',
    '-nodes',
    '-keyout',
    keyFile,
    '-out',
    certFile,
    '-days',
    '1',
    '-subj',
    '/CN=localhost',
    '-addext',
    'subjectAltName=DNS:localhost,IP:127.0.0.1',
  ]);
  return { certFile, keyFile, certPem: await readFile(certFile, 'utf8') };
}

export interface TestNginx {
  httpPort: number;
  httpsPort: number;
  /** PEM of the self-signed certificate (trust it as `ca` in TLS clients). */
  certPem: string;
  /** The rendered beamstack.conf it runs. */
  config: string;
  stderr(): string;
  stop(): Promise<void>;
}

function portOpen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

function exited(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => child.once('exit', () => resolve()));
}

export async function startNginx(opts: { upstreams: string[] }): Promise<TestNginx> {
  const prefix = await mkdtemp(join(tmpdir(), 'beamstack-nginx-'));
  let child: ChildProcess | undefined;
  try {
    await chmod(prefix, 0o700);
    const [httpPort, httpsPort] = (await freePorts(2)) as [number, number];
    const cert = await makeSelfSignedCert(prefix);
    const config = renderConfig(await readFile(SHIPPED_CONFIG, 'utf8'), {
      upstreams: opts.upstreams,
      httpListen: `127.0.0.1:${httpPort}`,
      httpsListen: `127.0.0.1:${httpsPort}`,
      certFile: cert.certFile,
      keyFile: cert.keyFile,
    });
    const includeFile = join(prefix, 'beamstack.conf');
    const mainFile = join(prefix, 'nginx.conf');
    await writeFile(includeFile, config);
    await writeFile(mainFile, mainConfig(prefix, includeFile));
    const globals = `daemon off; pid ${join(prefix, 'nginx.pid')}; error_log stderr;`;
    const args = ['-e', 'stderr', '-p', prefix, '-c', mainFile, '-g', globals];

    try {
      await run(NGINX_BIN, ['-t', '-q', ...args]);
    } catch (error) {
      throw new Error(`nginx -t rejected the rendered config: ${(error as { stderr?: string }).stderr ?? String(error)}`);
    }

    let stderr = '';
    const started = spawn(NGINX_BIN, args, { stdio: ['ignore', 'ignore', 'pipe'] });
    child = started;
    started.stderr?.setEncoding('utf8');
    started.stderr?.on('data', (chunk: string) => {
      stderr += chunk;
      if (process.env.NGINX_TEST_VERBOSE === '1') process.stderr.write(`[nginx] ${chunk}`);
    });
    const deadline = Date.now() + 5_000;
    while (!((await portOpen(httpPort)) && (await portOpen(httpsPort)))) {
      if (started.exitCode !== null) throw new Error(`nginx exited at start (${started.exitCode}): ${stderr}`);
      if (Date.now() > deadline) throw new Error(`nginx did not listen within 5 s: ${stderr}`);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }

    const stop = async (): Promise<void> => {
      if (started.exitCode === null && started.signalCode === null) {
        started.kill('SIGTERM'); // fast shutdown of master and workers
        const timer = setTimeout(() => started.kill('SIGKILL'), 3_000);
        await exited(started);
        clearTimeout(timer);
      }
      await rm(prefix, { recursive: true, force: true });
    };
    return { httpPort, httpsPort, certPem: cert.certPem, config, stderr: () => stderr, stop };
  } catch (error) {
    if (child && child.exitCode === null) {
      child.kill('SIGKILL');
      await exited(child);
    }
    await rm(prefix, { recursive: true, force: true });
    throw error;
  }
}
