// EPG import (docs/scheduling.md): the oldest inbox file, parsed as XMLTV or the Kaltura
// flavour. Per known channel: programmes starting less than EPG_MIN_LEAD_S from now are
// dropped; the channel's programmes starting within [first start, last end] that the file no
// longer lists and that have no records are deleted; the rest are created or updated by epgId.
// Then the file moves to processed/ (or failed/ with the reason). Importing a file twice
// changes nothing the second time; a run killed halfway leaves the file in the inbox and the
// next run finishes the job.
import { DomainError, type EpgSkip, type ProgramDraft } from '../../routing/index.js';
import type { EpgFolders } from '../epg-folders.js';
import { errorText, type JobRun } from '../job-run.js';
import type { DomainWriter, ModelSource } from '../ports.js';

export interface ParsedEpg {
  format: string;
  channels: string[];
  programmes: ProgramDraft[];
  skipped: EpgSkip[];
}

export interface EpgImportDeps {
  folders: EpgFolders;
  /** Throws an Error whose message is the reason the document is unusable. */
  parse(xml: string): ParsedEpg;
  model: ModelSource;
  domain: () => DomainWriter;
  minLeadS: number;
  now?: () => number;
}

export async function importEpg(run: JobRun, deps: EpgImportDeps): Promise<void> {
  const { folders } = deps;
  await folders.ensure();
  const [name] = await folders.inboxByAge();
  if (name === undefined) {
    run.idle = true;
    return;
  }
  run.count('files');
  const xml = await folders.readInbox(name);
  let parsed: ParsedEpg;
  try {
    parsed = deps.parse(xml);
  } catch (err) {
    await reject(run, folders, name, `not an EPG document: ${errorText(err)}`);
    return;
  }
  const model = deps.model.current();
  const known = new Map(model.linearChannels.map((c) => [c.epgId, c]));
  const declared = [...new Set([...parsed.channels, ...parsed.programmes.map((p) => p.channel)])];
  const unknown = declared.filter((id) => !known.has(id));
  for (const id of unknown) run.fail(`unknown channel: no linear channel has epgId "${id}"; its programmes are skipped`, `${name}: ${id}`);
  if (declared.length > 0 && unknown.length === declared.length) {
    await reject(run, folders, name, `the file names no known channel (${unknown.join(', ')})`);
    return;
  }

  const now = (deps.now ?? Date.now)();
  const earliest = now + deps.minLeadS * 1000;
  const keep: ProgramDraft[] = [];
  let tooSoon = 0;
  for (const draft of parsed.programmes) {
    if (!known.has(draft.channel)) continue;
    if (Date.parse(draft.startDatetime) > earliest) keep.push(draft);
    else tooSoon += 1;
  }
  run.count('tooSoon', tooSoon);
  for (const skip of parsed.skipped) run.fail(`programme skipped: ${skip.reason}`, `${name}: ${skip.epgId ?? skip.channel ?? ''}`);

  const domain = deps.domain();
  try {
    await removeReplaced(run, model, keep, domain);
    if (keep.length > 0) {
      const report = await domain.importPrograms(keep, []);
      run.count('created', report.created);
      run.count('updated', report.updated);
      run.count('unchanged', report.unchanged);
      for (const skip of report.skipped) run.fail(`programme skipped: ${skip.reason}`, `${name}: ${skip.epgId ?? ''}`);
    }
  } catch (err) {
    if (err instanceof DomainError && err.code === 'UNAVAILABLE') {
      // The store is down: the file stays in the inbox and the next run imports it.
      run.fail(`import postponed: ${err.message}`, name);
      return;
    }
    throw err;
  }
  await folders.markProcessed(name);
  run.count('processed');
  run.files = await folders.listing();
}

/** Deletes, per channel, the programmes in the new schedule's span that it no longer lists and that have no records. */
async function removeReplaced(
  run: JobRun,
  model: ReturnType<ModelSource['current']>,
  keep: ProgramDraft[],
  domain: DomainWriter,
): Promise<void> {
  const byChannel = new Map<string, ProgramDraft[]>();
  for (const draft of keep) byChannel.set(draft.channel, [...(byChannel.get(draft.channel) ?? []), draft]);
  const recorded = new Set(model.programRecords.map((r) => r.programId));
  const channelIdByEpg = new Map(model.linearChannels.map((c) => [c.epgId, c.id]));
  for (const [channelEpgId, drafts] of byChannel) {
    const channelId = channelIdByEpg.get(channelEpgId);
    const from = Math.min(...drafts.map((d) => Date.parse(d.startDatetime)));
    const to = Math.max(...drafts.map((d) => Date.parse(d.endDatetime)));
    const listed = new Set(drafts.map((d) => d.epgId));
    for (const program of model.programs) {
      if (run.cancelled) return;
      if (program.linearChannelId !== channelId || listed.has(program.epgId) || recorded.has(program.id)) continue;
      const start = Date.parse(program.startDatetime);
      if (start < from || start > to) continue;
      try {
        await domain.remove('programs', program.id);
        run.count('deleted');
      } catch (err) {
        if (err instanceof DomainError && (err.code === 'NOT_FOUND' || err.code === 'CONFLICT')) continue;
        throw err;
      }
    }
  }
}

async function reject(run: JobRun, folders: EpgFolders, name: string, reason: string): Promise<void> {
  run.fail(reason, name);
  await folders.markFailed(name, reason);
  run.count('failed');
  run.files = await folders.listing();
}
