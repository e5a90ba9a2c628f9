// Cleaners (docs/scheduling.md): records whose programme started more than RECORDS_KEEP_HOURS
// ago are removed on their DVR (removeRecording) and then deleted — a DVR that fails keeps the
// record for the next run (a DVR that is down is asked once per run, docs/scheduling.md), a DVR
// server that no longer exists does not; then programmes that old with no records are deleted,
// and the scheduler's claims of that age.
import { DomainError, itemPacer } from '../../routing/index.js';
import { DvrError, type DvrCalls } from '../dvr-client.js';
import { DownDvrs } from '../down-dvrs.js';
import { errorText, type JobRun } from '../job-run.js';
import type { Program } from '../../../domain/routing/entities.js';
import type { DomainWriter, ModelSource, RecordingClaims } from '../ports.js';

export interface CleanersDeps {
  model: ModelSource;
  domain: () => DomainWriter;
  dvr: DvrCalls;
  claims: RecordingClaims;
  keepMs: number;
  /** Claims are kept this much longer than records (a programme is scheduled before it starts). */
  claimGraceMs: number;
  now?: () => number;
}

function ignoreGone(err: unknown): boolean {
  return err instanceof DomainError && err.code === 'NOT_FOUND';
}

export async function clean(run: JobRun, deps: CleanersDeps): Promise<void> {
  const now = (deps.now ?? Date.now)();
  const cutoff = now - deps.keepMs;
  const model = deps.model.current();
  // The scans of the whole model give the event loop back every few ms: this job runs on a
  // node that serves redirects (docs/performance.md, B6).
  const pace = itemPacer();
  const old = new Map<string, Program>();
  for (const program of model.programs) {
    await pace();
    if (Date.parse(program.startDatetime) < cutoff) old.set(program.id, program);
  }
  const servers = new Map(model.servers.map((s) => [s.id, s]));
  const domain = deps.domain();
  const down = new DownDvrs();
  // Records left per old programme: one whose records all went in this run goes too.
  const recordsLeft = new Map<string, number>();
  for (const record of old.size > 0 ? model.programRecords : []) {
    await pace();
    if (old.has(record.programId)) recordsLeft.set(record.programId, (recordsLeft.get(record.programId) ?? 0) + 1);
  }

  for (const record of old.size > 0 ? model.programRecords : []) {
    if (run.cancelled) return;
    await pace();
    if (!old.has(record.programId)) continue;
    const item = `record ${record.id} (${record.path})`;
    const server = servers.get(record.serverId);
    if (server && server.type === 'DVR') {
      if (down.isDown(server)) {
        run.count('keptDvrDown');
        continue;
      }
      try {
        await deps.dvr.removeRecording(server, record.path);
        run.count('removedOnDvr');
      } catch (err) {
        run.fail(
          `removeRecording failed; the record is kept and retried next run: ${err instanceof DvrError ? err.message : errorText(err)}`,
          item,
        );
        down.note(server, err);
        continue;
      }
    }
    try {
      await domain.remove('program-records', record.id);
      run.count('recordsDeleted');
      recordsLeft.set(record.programId, (recordsLeft.get(record.programId) ?? 1) - 1);
    } catch (err) {
      if (ignoreGone(err)) {
        recordsLeft.set(record.programId, (recordsLeft.get(record.programId) ?? 1) - 1);
        continue;
      }
      run.fail(`could not delete the record: ${errorText(err)}`, item);
    }
  }

  for (const program of old.values()) {
    if (run.cancelled) return;
    await pace();
    if ((recordsLeft.get(program.id) ?? 0) > 0) continue;
    try {
      await domain.remove('programs', program.id);
      run.count('programsDeleted');
    } catch (err) {
      if (ignoreGone(err) || (err instanceof DomainError && err.code === 'CONFLICT')) continue;
      run.fail(`could not delete the programme: ${errorText(err)}`, program.epgId);
    }
  }

  run.count('claimsDeleted', await deps.claims.removeClaimedBefore(new Date(cutoff - deps.claimGraceMs).toISOString()));
}
