// One pass of the agent (docs/video.md "Workstation agent"): read the zone's agent-config,
// find finished files of its fileType that the journal does not list yet, and upload them one
// by one at the zone's rate. What the server answered goes to the journal, so the next pass
// (or a restarted agent) does not send the file again.
import { stat } from 'node:fs/promises';
import { compileFileNamePattern, parseFileName } from '../../domain/video/file-name-pattern.js';
import { FatalError, TransientError, fetchAgentConfig, messageOf, putFile, zonePath, type AgentConfig, type Answer } from './client.js';
import { listFiles, settled, sha256OfFile, type FoundFile } from './files.js';
import { Journal, type JournalStatus } from './journal.js';
import type { AgentLog } from './log.js';
import type { AgentOptions } from './options.js';
import { withBackoff } from './retry.js';
import { bytesPerSecondOf } from './throttle.js';

export interface PassReport {
  /** By what happened to them. */
  uploaded: string[];
  stored: string[];
  conflicts: string[];
  rejected: string[];
  /** Could not be uploaded this pass (network, server errors after every retry). */
  failed: string[];
  /** Still being written, or their name does not fit the zone's pattern. */
  waiting: string[];
  unmatched: string[];
  /** Already in the journal. */
  skipped: number;
}

const isTransient = (err: unknown): boolean => err instanceof TransientError;

/** Names already warned about (a file that never matches is reported once per process). */
const warnedUnmatched = new Set<string>();

async function uploadOnce(
  options: AgentOptions,
  file: FoundFile,
  headers: Record<string, string>,
  bytesPerSecond: number,
  signal?: AbortSignal,
): Promise<Answer> {
  let url = new URL(zonePath(options.zone, `/files/${encodeURIComponent(file.name)}`), options.server);
  for (let hop = 0; ; hop += 1) {
    const answer = await putFile({
      url,
      token: options.token,
      filePath: file.path,
      size: file.size,
      headers,
      bytesPerSecond,
      idleTimeoutMs: options.timeoutMs,
      ...(signal ? { signal } : {}),
    });
    if (answer.status === 307 || answer.status === 308) {
      if (hop >= 1 || answer.location === undefined) throw new TransientError(`redirected again (${answer.status}) by ${url.origin}`);
      const next = new URL(answer.location, url);
      if (next.protocol !== 'http:' && next.protocol !== 'https:')
        throw new TransientError(`redirected to a non-HTTP location by ${url.origin}`);
      url = next;
      continue;
    }
    if (answer.status >= 500 || answer.status === 429 || answer.status === 408) {
      throw new TransientError(`${url.origin} answered ${answer.status}: ${messageOf(answer)}`);
    }
    return answer;
  }
}

export async function runPass(options: AgentOptions, log: AgentLog, signal?: AbortSignal): Promise<PassReport> {
  const report: PassReport = { uploaded: [], stored: [], conflicts: [], rejected: [], failed: [], waiting: [], unmatched: [], skipped: 0 };
  const backoff = { attempts: options.attempts, baseMs: options.backoffMs, maxMs: options.maxBackoffMs, ...(signal ? { signal } : {}) };
  const onRetry = (what: string) => (err: unknown, attempt: number, waitMs: number) =>
    log.warn(`${what} failed; retrying`, { attempt, retryInMs: waitMs, error: (err as Error).message });

  const config: AgentConfig = await withBackoff(
    () => fetchAgentConfig(options.server, options.zone, options.token, options.timeoutMs),
    isTransient,
    backoff,
    onRetry('reading the agent-config'),
  );
  const pattern = compileFileNamePattern(config.fileNamePattern);
  if (!pattern.ok) throw new FatalError(`the zone's fileNamePattern ${pattern.message}`);
  const bytesPerSecond = bytesPerSecondOf(config.uploadSpeedKbps);
  const journal = await Journal.load(options.dir, options.zone);

  const all = await listFiles(options.dir, config.fileType);
  const todo = all.filter((file) => journal.done(file.name, file.size, file.mtimeMs) === undefined);
  report.skipped = all.length - todo.length;
  const finished = await settled(todo, options.settleMs, signal);
  const finishedNames = new Set(finished.map((file) => file.name));
  for (const file of todo) {
    if (!finishedNames.has(file.name)) report.waiting.push(file.name);
  }
  if (report.waiting.length > 0) log.info('still being written; next pass', { files: report.waiting.length });

  for (const file of finished) {
    if (signal?.aborted) break;
    const parsed = parseFileName(pattern.regex, file.name);
    if (parsed === undefined) {
      report.unmatched.push(file.name);
      if (!warnedUnmatched.has(file.name)) {
        warnedUnmatched.add(file.name);
        log.warn("file name does not fit the zone's fileNamePattern; not uploaded", { file: file.name });
      }
      continue;
    }
    const sha256 = await sha256OfFile(file.path);
    const now = await stat(file.path).catch(() => undefined);
    if (now === undefined || now.size !== file.size || now.mtimeMs !== file.mtimeMs) {
      report.waiting.push(file.name);
      continue;
    }
    const headers: Record<string, string> = {
      'x-session-id': parsed.sessionId,
      ...(parsed.projectId !== undefined ? { 'x-project-id': parsed.projectId } : {}),
      'x-recorded-at': parsed.recordedAt ?? new Date(file.mtimeMs).toISOString(),
      'x-sha256': sha256,
    };
    const started = performance.now();
    let answer: Answer;
    try {
      answer = await withBackoff(
        () => uploadOnce(options, file, headers, bytesPerSecond, signal),
        isTransient,
        backoff,
        onRetry(`upload of ${file.name}`),
      );
    } catch (err) {
      if (!isTransient(err)) throw err;
      report.failed.push(file.name);
      log.error('upload failed; next pass tries again', { file: file.name, error: (err as Error).message });
      continue;
    }
    const seconds = (performance.now() - started) / 1000;
    const outcome = await settle(journal, file, sha256, answer);
    const fields = { file: file.name, sessionId: parsed.sessionId, bytes: file.size };
    switch (outcome) {
      case 'uploaded':
        report.uploaded.push(file.name);
        log.info('uploaded', {
          ...fields,
          seconds: Number(seconds.toFixed(2)),
          kibPerSecond: Math.round(file.size / 1024 / Math.max(seconds, 0.001)),
        });
        break;
      case 'stored':
        report.stored.push(file.name);
        log.info('already stored on the server', fields);
        break;
      case 'conflict':
        report.conflicts.push(file.name);
        log.error('the server holds other bytes under this name (409); not uploaded, rename the file to send it', {
          ...fields,
          message: messageOf(answer),
        });
        break;
      case 'rejected':
        report.rejected.push(file.name);
        log.error('the server refused the file (400)', { ...fields, message: messageOf(answer) });
        break;
    }
  }
  return report;
}

/** Journals the answer; 401/404 and anything unexpected end the pass. */
async function settle(journal: Journal, file: FoundFile, sha256: string, answer: Answer): Promise<JournalStatus> {
  const status: JournalStatus | undefined =
    answer.status === 201
      ? 'uploaded'
      : answer.status === 200
        ? 'stored'
        : answer.status === 409
          ? 'conflict'
          : answer.status === 400
            ? 'rejected'
            : undefined;
  if (answer.status === 401) throw new FatalError(`the server refused the agent token (401): ${messageOf(answer)}`);
  if (answer.status === 404) throw new FatalError(`the server knows no such zone (404): ${messageOf(answer)}`);
  if (status === undefined) throw new FatalError(`unexpected answer ${answer.status} to the upload of ${file.name}: ${messageOf(answer)}`);
  await journal.record(file.name, {
    status,
    size: file.size,
    mtimeMs: file.mtimeMs,
    sha256,
    at: new Date().toISOString(),
    ...(status === 'conflict' || status === 'rejected' ? { message: messageOf(answer) } : {}),
  });
  return status;
}
