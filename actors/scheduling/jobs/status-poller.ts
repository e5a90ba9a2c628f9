// Status poller (docs/scheduling.md): asks the record's DVR for each record that may still
// change — not COMPLETED/ERROR and the programme has ended, or NEW/PLANNED and the programme
// is on air — and writes a changed recordingStatus; DvrAssetNotFoundException means ERROR. A
// DVR that is down is asked once per run; its other records wait for the next (down-dvrs.ts).
// The write goes MongoDB → cluster map → every node's routing view (well within 1 s), so a
// COMPLETED record starts the catch-up redirects everywhere.
import type { ProgramRecord } from '../../../domain/routing/entities.js';
import { RECORDING_STATUSES } from '../../../domain/scheduling/dvr-soap.js';
import { DomainError, itemPacer } from '../../routing/index.js';
import { DvrAssetNotFoundError, DvrError, type DvrCalls } from '../dvr-client.js';
import { DownDvrs } from '../down-dvrs.js';
import { errorText, type JobRun } from '../job-run.js';
import type { DomainWriter, ModelSource } from '../ports.js';

export interface StatusPollerDeps {
  model: ModelSource;
  domain: () => DomainWriter;
  dvr: DvrCalls;
  now?: () => number;
}

const FINAL = new Set<ProgramRecord['status']>(['COMPLETED', 'ERROR']);
const WAITING = new Set<ProgramRecord['status']>(['NEW', 'PLANNED']);

/** A programme's start and end in ms (parsed once per run, not once per record). */
interface ProgramSpan {
  start: number;
  end: number;
}

function isDue(record: ProgramRecord, span: ProgramSpan | undefined, now: number): boolean {
  if (!span) return false;
  if (span.end <= now) return !FINAL.has(record.status);
  return span.start <= now && WAITING.has(record.status);
}

export async function pollStatuses(run: JobRun, deps: StatusPollerDeps): Promise<void> {
  const now = (deps.now ?? Date.now)();
  const model = deps.model.current();
  // The scans of the whole model give the event loop back every few ms: this job runs on a
  // node that serves redirects (docs/performance.md, B6).
  const pace = itemPacer();
  const spans = new Map<string, ProgramSpan>();
  for (const program of model.programs) {
    spans.set(program.id, { start: Date.parse(program.startDatetime), end: Date.parse(program.endDatetime) });
    await pace();
  }
  const servers = new Map(model.servers.map((s) => [s.id, s]));
  const due: ProgramRecord[] = [];
  for (const record of model.programRecords) {
    await pace();
    if (isDue(record, spans.get(record.programId), now)) due.push(record);
  }
  run.count('due', due.length);
  const down = new DownDvrs();
  for (const record of due) {
    if (run.cancelled) return;
    await pace();
    const item = `record ${record.id} (${record.path})`;
    const server = servers.get(record.serverId);
    if (!server) {
      run.fail(`the record's DVR server ${record.serverId} no longer exists`, item);
      continue;
    }
    if (down.isDown(server)) {
      run.count('skippedDvrDown');
      continue;
    }
    let status: ProgramRecord['status'];
    try {
      const recording = await deps.dvr.getRecording(server, record.path);
      status = recording.recordingStatus;
    } catch (err) {
      if (err instanceof DvrAssetNotFoundError) {
        status = 'ERROR';
        run.fail(`the DVR does not know the recording: ${err.message}`, item);
      } else {
        run.fail(err instanceof DvrError ? err.message : errorText(err), item);
        down.note(server, err);
        continue;
      }
    }
    if (!(RECORDING_STATUSES as readonly string[]).includes(status) || status === record.status) {
      run.count('unchanged');
      continue;
    }
    try {
      await deps.domain().patch('program-records', record.id, { status });
      run.count(`to${status}`);
      run.log.info({ job: run.job, record: record.id, from: record.status, to: status }, 'recording status changed');
    } catch (err) {
      if (err instanceof DomainError && err.code === 'NOT_FOUND') continue;
      run.fail(`could not write the new status ${status}: ${errorText(err)}`, item);
    }
  }
}
