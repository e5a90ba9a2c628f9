// Recording scheduler (docs/scheduling.md): programmes starting within the next
// DVR_SCHEDULE_AHEAD_S whose channel has dvrEnabled and ACTIVE streams get one recording per
// stream: scheduleRecording on a DVR of the channel's group (random order, the next one on a
// fault or timeout), then a ProgramRecord NEW on the DVR that accepted it.
//
// Never twice: before asking a DVR the scheduler inserts a claim keyed by (programme,
// protocol, encryption) in MongoDB (unique id). A second scheduler (the successor of a killed
// holder, a manual run) finds the claim and does not ask again. A claim that got its DVR answer
// but not yet its record is finished by the next run; a claim whose DVR call was cut off (the
// node died waiting) can't be known to have reached the DVR: it becomes `unknown` and is
// reported, never retried (see docs/scheduling.md, "Failures").
import type { LinearChannel, Program, ProgramRecord, Server, TvStream } from '../../../domain/routing/entities.js';
import { pickByWeight, recordKey, recordingTask, shuffled } from '../../../domain/scheduling/recording-task.js';
import { DomainError, itemPacer } from '../../routing/index.js';
import { AllDvrsFailedError, withFailover, type DvrCalls } from '../dvr-client.js';
import { errorText, type JobRun } from '../job-run.js';
import type { DomainWriter, ModelSource, RecordingClaim, RecordingClaims } from '../ports.js';

export interface RecordingSchedulerDeps {
  model: ModelSource;
  domain: () => DomainWriter;
  claims: RecordingClaims;
  dvr: DvrCalls;
  aheadS: number;
  /** A claim older than this without a DVR answer was cut off (the node died mid-call). */
  staleClaimMs: number;
  node: string;
  now?: () => number;
}

interface Candidate {
  program: Program;
  channel: LinearChannel;
  stream: TvStream;
}

function isDvrUsable(server: Server | undefined): server is Server {
  return server !== undefined && server.type === 'DVR' && server.status === 'ACTIVE' && server.availability;
}

export async function scheduleRecordings(run: JobRun, deps: RecordingSchedulerDeps): Promise<void> {
  const now = (deps.now ?? Date.now)();
  const until = now + deps.aheadS * 1000;
  const model = deps.model.current();
  const channels = new Map(model.linearChannels.map((c) => [c.id, c]));
  const servers = new Map(model.servers.map((s) => [s.id, s]));
  const groups = new Map(model.serverGroups.map((g) => [g.id, g]));
  // The scans of the whole model give the event loop back every few ms: this job runs on a
  // node that serves redirects (docs/performance.md, B6).
  const pace = itemPacer();
  const streamsByChannel = new Map<string, TvStream[]>();
  for (const stream of model.tvStreams) {
    if (stream.status !== 'ACTIVE') continue;
    streamsByChannel.set(stream.linearChannelId, [...(streamsByChannel.get(stream.linearChannelId) ?? []), stream]);
  }

  // The programmes of the window first: usually a few of the model's many, so the records are
  // then looked at only for them (no key per record of the whole model, every run).
  const upcoming: Array<{ program: Program; channel: LinearChannel; streams: TvStream[] }> = [];
  for (const program of model.programs) {
    await pace();
    const start = Date.parse(program.startDatetime);
    if (start < now || start > until) continue;
    const channel = channels.get(program.linearChannelId);
    if (!channel?.dvrEnabled) continue;
    const streams = streamsByChannel.get(channel.id);
    if (streams !== undefined) upcoming.push({ program, channel, streams });
  }
  const upcomingIds = new Set(upcoming.map(({ program }) => program.id));
  const recorded = new Set<string>();
  if (upcomingIds.size > 0) {
    for (const r of model.programRecords) {
      await pace();
      if (upcomingIds.has(r.programId)) recorded.add(recordKey(r.programId, r.protocol, r.encryption));
    }
  }

  const candidates: Candidate[] = [];
  for (const { program, channel, streams } of upcoming) {
    // One record per (programme, protocol, encryption): two streams that share both make one.
    const seen = new Set<string>();
    for (const stream of streams) {
      const key = recordKey(program.id, stream.protocol, stream.encryption);
      if (recorded.has(key) || seen.has(key)) continue;
      seen.add(key);
      candidates.push({ program, channel, stream });
    }
  }
  run.count('candidates', candidates.length);

  for (const { program, channel, stream } of candidates) {
    if (run.cancelled) return;
    const key = recordKey(program.id, stream.protocol, stream.encryption);
    const item = `${program.epgId} ${stream.protocol}/${stream.encryption}`;
    const group = channel.serverGroupId !== undefined ? groups.get(channel.serverGroupId) : undefined;
    if (!group) {
      run.fail(`channel ${channel.codeName} has dvrEnabled but no server group`, item);
      continue;
    }
    const members = group.serverIds.map((id) => servers.get(id));
    const dvrs = members.filter(isDvrUsable);
    const edges = members.filter((s): s is Server => s !== undefined && s.type === 'EDGE' && s.status === 'ACTIVE' && s.availability);
    const edge = pickByWeight(edges);
    if (dvrs.length === 0 || edge === undefined) {
      run.fail(
        `group ${group.name} has no ${dvrs.length === 0 ? 'ACTIVE available DVR' : 'ACTIVE available EDGE'}; not scheduled yet`,
        item,
      );
      continue;
    }
    const claim: RecordingClaim = {
      key,
      programId: program.id,
      protocol: stream.protocol,
      encryption: stream.encryption,
      state: 'scheduling',
      node: deps.node,
      claimedAt: new Date(now).toISOString(),
    };
    if (!(await deps.claims.claim(claim))) {
      await resume(run, deps, key, item, now);
      continue;
    }
    let accepted: { server: Server; value: string; failures: Error[] };
    try {
      accepted = await withFailover(shuffled(dvrs), (server) =>
        deps.dvr.scheduleRecording(server, recordingTask(channel, stream, program, edge)),
      );
    } catch (err) {
      // No DVR took it: drop the claim so the next run asks again.
      await deps.claims.release(key);
      run.fail(
        err instanceof AllDvrsFailedError ? `scheduleRecording failed on every DVR of ${group.name}: ${err.message}` : errorText(err),
        item,
      );
      continue;
    }
    for (const failure of accepted.failures) run.fail(`failed over to ${accepted.server.domainName}: ${failure.message}`, item);
    await deps.claims.update(key, { state: 'scheduled', path: accepted.value, serverId: accepted.server.id });
    run.count('scheduled');
    await createRecord(run, deps, { ...claim, state: 'scheduled', path: accepted.value, serverId: accepted.server.id }, item);
  }
}

/** Someone holds the claim already: finish what a killed run left, or leave it. */
async function resume(run: JobRun, deps: RecordingSchedulerDeps, key: string, item: string, now: number): Promise<void> {
  const existing = await deps.claims.get(key);
  if (!existing) return;
  if (existing.state === 'scheduled' && existing.path !== undefined && existing.serverId !== undefined) {
    await createRecord(run, deps, { ...existing, path: existing.path, serverId: existing.serverId }, item);
    return;
  }
  if (existing.state === 'scheduling' && now - Date.parse(existing.claimedAt) > deps.staleClaimMs) {
    const reason = `the DVR call of node ${existing.node} was cut off at ${existing.claimedAt}; whether the DVR scheduled it is unknown, so it is not asked again`;
    await deps.claims.update(key, { state: 'unknown', reason });
    run.fail(reason, item);
    return;
  }
  run.count('claimedElsewhere');
}

async function createRecord(
  run: JobRun,
  deps: RecordingSchedulerDeps,
  claim: RecordingClaim & { path: string; serverId: string },
  item: string,
): Promise<void> {
  const body: Omit<ProgramRecord, 'id'> = {
    programId: claim.programId,
    serverId: claim.serverId,
    status: 'NEW',
    protocol: claim.protocol as ProgramRecord['protocol'],
    encryption: claim.encryption as ProgramRecord['encryption'],
    path: claim.path,
  };
  try {
    await deps.domain().create('program-records', body);
    run.count('recordsCreated');
  } catch (err) {
    // CONFLICT: the record exists already (an earlier run got this far).
    if (!(err instanceof DomainError && err.code === 'CONFLICT')) {
      run.fail(`the DVR accepted it but the record could not be written (retried next run): ${errorText(err)}`, item);
      return;
    }
  }
  await deps.claims.update(claim.key, { state: 'recorded' });
}
