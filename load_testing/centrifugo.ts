// Centrifugo v6.9.1, B4's peer: one node with its memory engine and history on, open to
// anonymous clients that subscribe and publish by themselves (like Beamstack's chat without
// CHAT_REQUIRE_AUTH). Built by bin/setup-infra.sh into .infra/bin/centrifugo.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort } from '../test/support/ports.js';

export const CENTRIFUGO_BIN = fileURLToPath(new URL('../.infra/bin/centrifugo', import.meta.url));

export interface CentrifugoNode {
  /** Base URL (the load client adds /connection/websocket). */
  url: string;
  pid: number | undefined;
  stop(): Promise<void>;
}

/** History per channel (publications kept in memory): like the room history Beamstack keeps in MongoDB. */
const HISTORY_SIZE = 500;

export function centrifugoConfig(port: number): Record<string, unknown> {
  return {
    http_server: { address: '127.0.0.1', port },
    log: { level: 'error' },
    health: { enabled: true },
    engine: { type: 'memory' },
    client: { insecure: true, allowed_origins: ['*'] },
    channel: {
      without_namespace: {
        allow_subscribe_for_client: true,
        allow_publish_for_client: true,
        history_size: HISTORY_SIZE,
        history_ttl: '300s',
        force_recovery: true,
      },
    },
  };
}

async function healthy(url: string): Promise<boolean> {
  try {
    return (await fetch(`${url}/health`, { signal: AbortSignal.timeout(1_000) })).status === 200;
  } catch {
    return false;
  }
}

export async function startCentrifugo(): Promise<CentrifugoNode> {
  if (!existsSync(CENTRIFUGO_BIN)) throw new Error(`no Centrifugo at ${CENTRIFUGO_BIN}: run bin/setup-infra.sh`);
  const dir = await mkdtemp(path.join(tmpdir(), 'centrifugo-'));
  const port = await freePort();
  const config = path.join(dir, 'config.json');
  await writeFile(config, JSON.stringify(centrifugoConfig(port)));
  const output: string[] = [];
  const proc: ChildProcess = spawn(CENTRIFUGO_BIN, ['--config', config], { stdio: ['ignore', 'pipe', 'pipe'] });
  const keep = (chunk: Buffer): void => {
    output.push(chunk.toString());
    if (output.length > 50) output.shift();
  };
  proc.stdout?.on('data', keep);
  proc.stderr?.on('data', keep);
  const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
  const url = `http://127.0.0.1:${port}`;
  const stop = async (): Promise<void> => {
    if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGTERM');
    await exited;
    await rm(dir, { recursive: true, force: true });
  };
  const deadline = Date.now() + 20_000;
  while (!(await healthy(url))) {
    if (proc.exitCode !== null || Date.now() > deadline) {
      await stop();
      throw new Error(`Centrifugo did not start: ${output.join('').slice(-2_000)}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  return { url, pid: proc.pid, stop };
}
