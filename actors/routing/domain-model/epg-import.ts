// The EPG import: an XMLTV document's programmes (already parsed) become Program records of
// the linear channels they name; unchanged ones are left alone, bad ones are reported skipped.
import { forEachBounded } from '../../../domain/bounded.js';
import type { Logger } from '../../../domain/log.js';
import { emptyDomainModel, type EntityTypes } from '../../../domain/routing/entities.js';
import { checkEntity } from '../../../domain/routing/validate.js';
import { DomainError, classifyStoreError } from '../errors.js';
import type { StoredEntity } from '../ports.js';
import type { Change, DomainEnv, DomainState } from './env.js';
import type { MapPublisher } from './map-publisher.js';
import { MAX_REPORTED_SKIPS, type EpgReport, type EpgSkip, type ProgramDraft } from './messages.js';
import { storable, type Rec } from './records.js';

const WRITE_CONCURRENCY = 8;

function sameProgram(a: Rec, b: Rec): boolean {
  return (
    a.linearChannelId === b.linearChannelId && a.name === b.name && a.startDatetime === b.startDatetime && a.endDatetime === b.endDatetime
  );
}

export type ImportPrograms = (
  state: DomainState,
  log: Logger,
  drafts: readonly ProgramDraft[],
  parsedSkips: readonly EpgSkip[],
) => Promise<EpgReport>;

export function createEpgImport(env: DomainEnv, publisher: MapPublisher): ImportPrograms {
  const { port, requireMongo, newId } = env;
  const { publish } = publisher;

  async function importPrograms(
    state: DomainState,
    log: Logger,
    drafts: readonly ProgramDraft[],
    parsedSkips: readonly EpgSkip[],
  ): Promise<EpgReport> {
    requireMongo();
    const gen = await port.at();
    const [channels, programs] = await Promise.all([gen.findAll('linear-channels'), gen.findAll('programs')]);
    const channelByEpgId = new Map(channels.map((c) => [c.epgId, c]));
    const programByEpgId = new Map(programs.map((p) => [p.epgId, p]));
    const skipped: EpgSkip[] = [...parsedSkips];
    const report: EpgReport = { created: 0, updated: 0, unchanged: 0, skippedCount: 0, skipped: [] };
    const seen = new Set<string>();
    const writes: Array<{ existing: StoredEntity<'programs'> | undefined; record: EntityTypes['programs'] }> = [];

    for (const draft of drafts) {
      const where = { channel: draft.channel, epgId: draft.epgId, start: draft.startDatetime };
      const channel = channelByEpgId.get(draft.channel);
      if (!channel) {
        skipped.push({ ...where, reason: `unknown channel: no linear channel has epgId "${draft.channel}"` });
        continue;
      }
      if (seen.has(draft.epgId)) {
        skipped.push({ ...where, reason: 'the document lists this programme twice' });
        continue;
      }
      seen.add(draft.epgId);
      const existing = programByEpgId.get(draft.epgId);
      const candidate: Rec = {
        id: existing?.id ?? newId(),
        linearChannelId: channel.id,
        epgId: draft.epgId,
        name: draft.name,
        startDatetime: draft.startDatetime,
        endDatetime: draft.endDatetime,
      };
      if (existing && sameProgram(existing, candidate)) {
        report.unchanged++;
        continue;
      }
      const scope = { ...emptyDomainModel(), linearChannels: [channel], programs: existing ? [existing] : [] };
      const result = checkEntity('programs', candidate, scope);
      if (!result.ok) {
        skipped.push({ ...where, reason: result.message });
        continue;
      }
      writes.push({ existing, record: storable('programs', result.record) });
    }

    const changes: Change[] = [];
    await forEachBounded(writes, WRITE_CONCURRENCY, async ({ existing, record }) => {
      try {
        const stored = existing
          ? await gen.replace('programs', record, { version: existing.version, createdAt: existing.createdAt })
          : await gen.insert('programs', record);
        changes.push({ collection: 'programs', id: stored.id, record: stored });
        if (existing) report.updated++;
        else report.created++;
      } catch (err) {
        const known = classifyStoreError(err, 'programs');
        if (!(known instanceof DomainError) || known.code === 'UNAVAILABLE') throw known;
        skipped.push({ channel: record.linearChannelId, epgId: record.epgId, start: record.startDatetime, reason: known.message });
      }
    });
    await publish(state, log, gen.generation, changes);
    report.skippedCount = skipped.length;
    report.skipped = skipped.slice(0, MAX_REPORTED_SKIPS);
    return report;
  }

  return importPrograms;
}
