// The agent's life: one pass (--once) or a pass every interval until SIGINT/SIGTERM.
// Exit codes: 0 all done, 1 something could not be uploaded or the server refused us, 2 bad flags.
import { stat } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { FatalError } from './client.js';
import type { AgentLog } from './log.js';
import { UsageError, type AgentOptions } from './options.js';
import { runPass, type PassReport } from './pass.js';

export async function checkFolder(dir: string): Promise<void> {
  const info = await stat(dir).catch(() => undefined);
  if (info === undefined || !info.isDirectory()) throw new UsageError(`--dir ${dir} is not a folder`);
}

function summary(report: PassReport): Record<string, number> {
  return {
    uploaded: report.uploaded.length,
    alreadyStored: report.stored.length,
    conflicts: report.conflicts.length,
    rejected: report.rejected.length,
    failed: report.failed.length,
    waiting: report.waiting.length,
    unmatched: report.unmatched.length,
    skipped: report.skipped,
  };
}

/** One pass, logged; the exit code it deserves. */
async function pass(options: AgentOptions, log: AgentLog, signal: AbortSignal): Promise<number> {
  try {
    const report = await runPass(options, log, signal);
    log.info('pass done', summary(report));
    return report.failed.length + report.conflicts.length + report.rejected.length > 0 ? 1 : 0;
  } catch (err) {
    if (signal.aborted) return 0;
    const message = err instanceof Error ? err.message : String(err);
    log.error(err instanceof FatalError ? message : `pass failed: ${message}`);
    return 1;
  }
}

export async function runAgent(options: AgentOptions, log: AgentLog, signal: AbortSignal): Promise<number> {
  await checkFolder(options.dir);
  log.info('agent started', {
    server: options.server,
    zone: options.zone,
    dir: options.dir,
    once: options.once,
    intervalS: options.intervalMs / 1000,
  });
  if (options.once) return pass(options, log, signal);
  while (!signal.aborted) {
    await pass(options, log, signal);
    await sleep(options.intervalMs, undefined, { signal }).catch(() => undefined);
  }
  log.info('agent stopped');
  return 0;
}
