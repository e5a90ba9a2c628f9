// B9, losing a host: runs the multi-host scenario of test/cluster/hosts.test.ts (three
// loopback hosts, each a Hazelcast member and a node, under redirect load and chat; one host
// SIGKILLed and brought back, one member shut down gracefully) and reports its figures. The
// scenario lives in the test, so the bench and CI measure the same thing.
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Benchmark, BenchOutcome } from './types.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const TEST_FILE = 'test/cluster/hosts.test.ts';

interface SigkillFigures {
  victim: string;
  requestsPerSecond: number;
  survivors: Array<{ sent: number; ok: number; shed: number; failed: number }>;
  chatAcked: number;
  chatLost: number;
  singletonMovedMs: number;
  presenceCleanedMs: number;
  rejoinedMs: number;
}

interface GracefulFigures {
  requestsPerSecond: number;
  nodes: Array<{ sent: number; shed: number; failed: number }>;
  chatAcked: number;
  chatLost: number;
  rejoinedMs: number;
}

function runTest(reportFile: string, log: (line: string) => void): Promise<number | null> {
  const mocha = createRequire(import.meta.url).resolve('mocha/bin/mocha.js');
  const child = spawn(process.execPath, [mocha, TEST_FILE], {
    cwd: ROOT,
    env: { ...process.env, HOSTS_REPORT_FILE: reportFile },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout.on('data', (chunk: Buffer) => {
    for (const l of chunk.toString().split('\n')) if (l.trim() !== '') log(`  ${l}`);
  });
  child.stderr.on('data', () => {});
  return new Promise((resolve) => child.once('exit', (code) => resolve(code)));
}

export function b9(log: (line: string) => void): Benchmark {
  return {
    id: 'B9',
    title: 'losing a host: 3 loopback hosts (member + node each) under redirects and chat, one SIGKILLed',
    target: '0 failed redirects on survivors, 0 acked messages lost, singletons < 2 periods, presence < 15 s, rejoin by itself',
    async run(): Promise<BenchOutcome> {
      const dir = await mkdtemp(join(tmpdir(), 'bench-b9-'));
      const reportFile = join(dir, 'b9.json');
      try {
        const code = await runTest(reportFile, log);
        const figures = JSON.parse(await readFile(reportFile, 'utf8').catch(() => '{}')) as {
          sigkill?: SigkillFigures;
          graceful?: GracefulFigures;
        };
        const k = figures.sigkill;
        const g = figures.graceful;
        const parts: string[] = [];
        if (k) {
          const failed = k.survivors.reduce((n, s) => n + s.failed, 0);
          const sent = k.survivors.reduce((n, s) => n + s.sent, 0);
          const shed = k.survivors.reduce((n, s) => n + s.shed, 0);
          parts.push(
            `SIGKILL: ${k.requestsPerSecond} req/s answered, ${failed} of ${sent} survivor redirects failed (${shed} shed), ${k.chatLost} of ${k.chatAcked} acked lost, singleton ${k.singletonMovedMs} ms, presence ${k.presenceCleanedMs} ms, back in ${k.rejoinedMs} ms`,
          );
        }
        if (g) {
          const failed = g.nodes.reduce((n, s) => n + s.failed, 0);
          const shed = g.nodes.reduce((n, s) => n + s.shed, 0);
          parts.push(
            `graceful: ${g.requestsPerSecond} req/s answered, ${failed} failed (${shed} shed), ${g.chatLost} of ${g.chatAcked} acked lost, member back in ${g.rejoinedMs} ms`,
          );
        }
        return {
          verdict: code === 0 ? 'pass' : 'fail',
          summary: parts.join('; ') || 'no figures (the scenario did not get that far)',
          notes: code === 0 ? [] : [`${TEST_FILE} exited with ${String(code)}: see its output above`],
          details: figures,
        };
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    },
  };
}
