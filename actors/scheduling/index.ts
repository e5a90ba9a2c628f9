// The `scheduling` branch (docs/scheduling.md): the five jobs as cluster singletons.
//
//   scheduling
//   ├── scheduling-epg          singleton: EPG fetch + EPG import (one lease: the inbox is on that node's disk)
//   ├── scheduling-recordings   singleton: recording scheduler
//   ├── scheduling-statuses     singleton: status poller
//   └── scheduling-cleaners     singleton: cleaners
//
// Every node runs the singleton actors; the node holding a lease runs that worker, and another
// node takes over when it dies. The service answers GET /api/v1/scheduling and runs a job on
// demand on the node that was asked (the jobs are idempotent, so a manual run next to the
// periodic one on another node is harmless).
import type { ClusterLeases, ClusterStore } from '../../domain/ports/cluster-store.js';
import type { ActorContext } from '../kernel/index.js';
import { singletonSpec } from '../cluster/singleton.js';
import type { EpgFolders } from './epg-folders.js';
import { JobRunner, type JobBody } from './job-runner.js';
import { jobsWorkerSpec, type ScheduledJob } from './jobs-worker.js';
import {
  JOB_NAMES,
  type EpgFiles,
  type JobName,
  type JobReport,
  type JobReports,
  type RecordingClaim,
  type RecordingClaims,
} from './ports.js';

export * from './ports.js';
export {
  createDvrClient,
  DvrError,
  DvrServiceError,
  DvrAssetNotFoundError,
  AllDvrsFailedError,
  withFailover,
  type DvrCalls,
} from './dvr-client.js';
export { EpgFolders } from './epg-folders.js';
export { ftpEpgSource } from './ftp-source.js';
export { JobRunner } from './job-runner.js';

export const SCHEDULING_LEASE_PREFIX = 'singleton.scheduling.';
export const REPORTS_MAP = 'scheduling.reports';

export interface JobDefinition {
  job: JobName;
  intervalMs: number;
  /** Off (e.g. EPG fetch without EPG_FTP_URL): never runs, reported as disabled. */
  enabled: boolean;
  /** Why it is off, for the report. */
  disabledReason?: string;
  body: JobBody;
}

/** Jobs that share one singleton (one lease, one worker). */
export interface SingletonGroup {
  name: string;
  jobs: JobDefinition[];
}

export interface SchedulingDeps {
  node: string;
  /** SCHEDULING_ENABLED: false keeps this node out of every singleton. */
  enabled: boolean;
  leases: Pick<ClusterLeases, 'acquire' | 'renew' | 'release' | 'holder'>;
  leaseTtlMs(intervalMs: number): number;
  reports: JobReports;
  claims: RecordingClaims;
  folders: EpgFolders;
  groups: SingletonGroup[];
}

export interface JobStatus {
  job: JobName;
  enabled: boolean;
  disabledReason?: string;
  intervalMs: number;
  /** The node holding the job's singleton (null: none right now). */
  holder: string | null;
  lastRun: JobReport | null;
  nextRunAt: string | null;
}

export interface SchedulingStatus {
  node: string;
  jobs: JobStatus[];
  /** The EPG folders as the EPG singleton's holder last reported them. */
  files: EpgFiles;
  /** Recordings whose DVR call was cut off: an operator checks them on the DVR. */
  unresolvedClaims: RecordingClaim[];
}

export interface SchedulingService {
  status(): Promise<SchedulingStatus>;
  /** Runs one job now on this node and answers with its report. */
  run(job: JobName): Promise<JobReport>;
  isEnabled(job: JobName): { enabled: boolean; reason?: string };
}

export function leaseName(group: SingletonGroup): string {
  return `${SCHEDULING_LEASE_PREFIX}${group.name}`;
}

/** Reports in a cluster map: the last report of each job, whichever node ran it. */
export function clusterJobReports(store: Pick<ClusterStore, 'map'>): JobReports {
  const map = store.map<JobReport>(REPORTS_MAP);
  let version = Date.now() * 1000;
  return {
    async put(report) {
      // Later runs win; the counter keeps two reports of one millisecond apart.
      version = Math.max(version + 1, Date.now() * 1000);
      await map.set(report.job, report, version);
    },
    async all() {
      const out: Partial<Record<JobName, JobReport>> = {};
      for (const [key, entry] of await map.entries()) if ((JOB_NAMES as readonly string[]).includes(key)) out[key as JobName] = entry.value;
      return out;
    },
  };
}

export function startScheduling(ctx: ActorContext<never>, deps: SchedulingDeps): SchedulingService {
  const runners = new Map<JobName, { runner: JobRunner; def: JobDefinition; group: SingletonGroup }>();
  for (const group of deps.groups) {
    for (const def of group.jobs) {
      runners.set(def.job, {
        runner: new JobRunner({ job: def.job, node: deps.node, body: def.body, reports: deps.reports, log: ctx.log }),
        def,
        group,
      });
    }
  }

  if (deps.enabled) {
    for (const group of deps.groups) {
      const scheduled: ScheduledJob[] = group.jobs
        .filter((def) => def.enabled)
        .map((def) => ({ runner: runners.get(def.job)!.runner, intervalMs: def.intervalMs }));
      if (scheduled.length === 0) continue;
      const slowest = Math.max(...scheduled.map((j) => j.intervalMs));
      ctx.spawn(
        singletonSpec(`scheduling-${group.name}`, {
          lease: leaseName(group),
          holder: deps.node,
          leases: deps.leases,
          // The scheduler's period sets the takeover time (docs/scheduling.md): within 2 periods.
          leaseTtlMs: deps.leaseTtlMs(slowest),
          worker: jobsWorkerSpec(`scheduling-${group.name}-worker`, scheduled),
        }),
      );
    }
  }

  return {
    async status() {
      const reports: Partial<Record<JobName, JobReport>> = await deps.reports.all().catch(() => ({}));
      const holders = new Map<string, string | null>();
      for (const group of deps.groups) {
        const info = await deps.leases.holder(leaseName(group)).catch(() => undefined);
        holders.set(group.name, info?.holder ?? null);
      }
      const jobs: JobStatus[] = JOB_NAMES.map((job) => {
        const entry = runners.get(job);
        const last = reports[job] ?? null;
        const enabled = entry?.def.enabled ?? false;
        const interval = entry?.def.intervalMs ?? 0;
        return {
          job,
          enabled,
          ...(entry?.def.disabledReason !== undefined && !enabled ? { disabledReason: entry.def.disabledReason } : {}),
          intervalMs: interval,
          holder: entry ? (holders.get(entry.group.name) ?? null) : null,
          lastRun: last,
          nextRunAt: enabled && last ? new Date(Math.max(Date.parse(last.endedAt) + interval, Date.now())).toISOString() : null,
        };
      });
      const epgReports = [reports['epg-import'], reports['epg-fetch']].filter((r): r is JobReport => r?.files !== undefined);
      const newest = epgReports.sort((a, b) => Date.parse(b.endedAt) - Date.parse(a.endedAt))[0];
      const files = newest?.files ?? (await deps.folders.listing());
      return { node: deps.node, jobs, files, unresolvedClaims: await deps.claims.unresolved(100).catch(() => []) };
    },
    async run(job) {
      const entry = runners.get(job);
      if (!entry) throw new Error(`unknown job ${job}`);
      const report = await entry.runner.run();
      const { idle: _idle, ...rest } = report;
      return rest;
    },
    isEnabled(job) {
      const entry = runners.get(job);
      if (!deps.enabled) return { enabled: false, reason: 'scheduling is off on this node (SCHEDULING_ENABLED=false)' };
      if (!entry?.def.enabled) return { enabled: false, reason: entry?.def.disabledReason ?? 'the job is off' };
      return { enabled: true };
    },
  };
}
