// B5: idle sockets held by one node (B4, chat capacity, is in chat-capacity.ts).
import { readFile } from 'node:fs/promises';
import type { ChatHoldResult } from '../chat-load.js';
import { startChildTask } from '../child-runner.js';
import { rssBytes } from '../cluster.js';
import { formatCount, formatMs } from '../report.js';
import type { SuiteContext } from './context.js';
import { verdictOf, type Benchmark } from './types.js';
import { errorText } from '../../domain/errors.js';

async function openFilesLimitOf(pid: number | undefined): Promise<string> {
  if (pid === undefined) return 'unknown';
  try {
    const match = /^Max open files\s+(\S+)\s+(\S+)/m.exec(await readFile(`/proc/${pid}/limits`, 'utf8'));
    return match === null ? 'unknown' : `${match[1]} soft / ${match[2]} hard`;
  } catch {
    return 'unknown';
  }
}

const MiB = 1024 * 1024;

export function b5(ctx: SuiteContext): Benchmark {
  const wanted = 20_000;
  return {
    id: 'B5',
    title: 'idle heartbeating chat sockets held by one node',
    target: `>= ${formatCount(wanted)}, memory per connection reported`,
    async run() {
      const node = (await ctx.cluster(1)).nodes[0]!;
      const total = ctx.quick ? 5_000 : wanted;
      // Each load process has the same open-files limit as the node: two share the sockets.
      const children = 2;
      const heartbeatMs = ctx.quick ? 4_000 : 15_000;
      const holdMs = ctx.quick ? 8_000 : 35_000;
      const nodeLimit = await openFilesLimitOf(node.pid);
      const rssBefore = await rssBytes(node.pid);
      ctx.log(`B5 opening ${formatCount(total)} sockets to ${node.name} (${children} load processes; node open files ${nodeLimit})`);
      let held = 0;
      let allHeld: () => void = () => {};
      const everyoneHeld = new Promise<void>((resolve) => (allHeld = resolve));
      const tasks = Array.from({ length: children }, () =>
        startChildTask(
          { kind: 'hold', spec: { url: node.admin, sockets: total / children, heartbeatMs } },
          {
            timeoutMs: holdMs + 600_000,
            onProgress: (data) => {
              if (data.phase === 'held' && ++held === children) allHeld();
            },
          },
        ),
      );
      let rssHeld: number | undefined;
      let healthMs: number | undefined;
      let healthProblem = 'no answer';
      try {
        await Promise.race([everyoneHeld, ...tasks.map((t) => t.result.then(() => undefined))]);
        await new Promise((resolve) => setTimeout(resolve, holdMs));
        rssHeld = await rssBytes(node.pid);
        const started = performance.now();
        try {
          const health = await fetch(`${node.admin}/health`, { signal: AbortSignal.timeout(10_000) });
          if (health.status === 200) healthMs = performance.now() - started;
          else healthProblem = `status ${health.status}`;
        } catch (error) {
          const cause = (error as { cause?: { code?: string } }).cause?.code;
          healthProblem = cause ?? errorText(error);
        }
      } finally {
        for (const task of tasks) task.release();
      }
      const results: ChatHoldResult[] = await Promise.all(tasks.map((t) => t.result));
      const opened = results.reduce((sum, r) => sum + r.opened, 0);
      const closed = results.reduce((sum, r) => sum + r.closedWhileHeld, 0);
      const hbSent = results.reduce((sum, r) => sum + r.heartbeatsSent, 0);
      const hbAnswered = results.reduce((sum, r) => sum + r.heartbeatsAnswered, 0);
      const failures: Record<string, number> = {};
      for (const r of results) for (const [k, v] of Object.entries(r.failures)) failures[k] = (failures[k] ?? 0) + v;
      const perConnection = rssBefore !== undefined && rssHeld !== undefined && opened > 0 ? (rssHeld - rssBefore) / opened : undefined;
      const notes = [
        `node open-files limit ${nodeLimit}; every socket is one descriptor, so a node can hold at most that many minus its own (~50)`,
        `held ${holdMs / 1000} s with a heartbeat per socket every ${heartbeatMs / 1000} s: ${formatCount(hbAnswered)} of ${formatCount(hbSent)} heartbeats answered`,
      ];
      if (Object.keys(failures).length > 0) notes.push(`failed opens: ${JSON.stringify(failures)}`);
      if (closed > 0) notes.push(`${closed} sockets were closed by the node while held`);
      if (healthMs !== undefined) notes.push(`GET /health answered in ${formatMs(healthMs)} ms while holding them`);
      else
        notes.push(`GET /health failed while holding them (${healthProblem}): a node out of descriptors cannot accept any new connection`);
      if (ctx.quick) notes.push(`--quick: tried ${formatCount(total)} sockets, not ${formatCount(wanted)}`);
      return {
        // A quick run does not try the target, so it can only report.
        verdict: ctx.quick ? (closed === 0 && opened === total ? 'reported' : 'fail') : verdictOf(opened >= wanted && closed === 0),
        summary:
          `held ${formatCount(opened)} of ${formatCount(total)} tried; node RSS ${rssBefore === undefined ? '?' : (rssBefore / MiB).toFixed(0)} -> ` +
          `${rssHeld === undefined ? '?' : (rssHeld / MiB).toFixed(0)} MiB = ${perConnection === undefined ? '?' : (perConnection / 1024).toFixed(1)} KiB per connection`,
        notes,
        details: {
          tried: total,
          opened,
          closedWhileHeld: closed,
          failures,
          rssBefore,
          rssHeld,
          bytesPerConnection: perConnection,
          nodeOpenFiles: nodeLimit,
          heartbeatMs,
          holdMs,
          heartbeatsSent: hbSent,
          heartbeatsAnswered: hbAnswered,
          healthMs,
          healthProblem: healthMs === undefined ? healthProblem : undefined,
          children: results,
        },
      };
    },
  };
}
