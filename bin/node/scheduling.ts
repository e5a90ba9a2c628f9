// The programme-scheduling pieces of one node (docs/scheduling.md): the `scheduling` branch
// (five jobs as cluster singletons) and its admin routes. start-node.ts adds the branch and
// the plugin; everything else is wired here.
import { resolve } from 'node:path';
import type { FastifyPluginAsync } from 'fastify';
import type { DomainService, RoutingViewHolder } from '../../actors/routing/index.js';
import {
  EpgFolders,
  clusterJobReports,
  createDvrClient,
  ftpEpgSource,
  startScheduling,
  type SchedulingService,
  type SingletonGroup,
} from '../../actors/scheduling/index.js';
import { fetchEpg } from '../../actors/scheduling/jobs/epg-fetch.js';
import { importEpg } from '../../actors/scheduling/jobs/epg-import.js';
import { scheduleRecordings } from '../../actors/scheduling/jobs/recording-scheduler.js';
import { pollStatuses } from '../../actors/scheduling/jobs/status-poller.js';
import { clean } from '../../actors/scheduling/jobs/cleaners.js';
import type { ActorContext } from '../../actors/kernel/index.js';
import type { NodeConfig } from '../../domain/config.js';
import type { ClusterStore } from '../../domain/ports/cluster-store.js';
import { parseEpgDocument } from '../../gateway/admin/routes/epg-document.js';
import { schedulingRoutes } from '../../gateway/admin/routes/scheduling.js';
import { MongoRecordingClaims, type MongoHandle } from '../../persistence/index.js';
import { healthLeaseTtlMs } from './routing.js';

const MIN_LEASE_TTL_MS = 1000;

export interface SchedulingWiring {
  start(ctx: ActorContext<never>): SchedulingService;
  adminPlugin(): FastifyPluginAsync;
}

export interface SchedulingWiringDeps {
  config: NodeConfig;
  mongo: MongoHandle;
  store: ClusterStore;
  /** The routing branch's domain service (asked for lazily: the routing branch starts first). */
  domain: () => DomainService;
  view: RoutingViewHolder;
}

export function createSchedulingWiring(deps: SchedulingWiringDeps): SchedulingWiring {
  const s = deps.config.scheduling;
  const folders = new EpgFolders(resolve(s.epgDir));
  const claims = new MongoRecordingClaims(deps.mongo.db);
  const reports = clusterJobReports(deps.store);
  const dvr = createDvrClient({ user: s.dvrUser, password: s.dvrPassword, timeoutMs: s.dvrTimeoutMs });
  const model = { current: () => deps.view.current().model };
  const source = s.ftp ? ftpEpgSource(s.ftp) : undefined;
  let service: SchedulingService | undefined;

  const groups: SingletonGroup[] = [
    {
      name: 'epg',
      jobs: [
        {
          job: 'epg-fetch',
          intervalMs: s.fetchIntervalMs,
          enabled: source !== undefined,
          disabledReason: 'EPG_FTP_URL is not set',
          body: async (run) => {
            if (source) await fetchEpg(run, { source, folders, batch: s.fetchBatch, deleteImported: s.ftpDelete });
          },
        },
        {
          job: 'epg-import',
          intervalMs: s.importIntervalMs,
          enabled: true,
          body: (run) => importEpg(run, { folders, parse: parseEpgDocument, model, domain: deps.domain, minLeadS: s.minLeadS }),
        },
      ],
    },
    {
      name: 'recordings',
      jobs: [
        {
          job: 'recording-scheduler',
          intervalMs: s.scheduleIntervalMs,
          enabled: true,
          body: (run) =>
            scheduleRecordings(run, {
              model,
              domain: deps.domain,
              claims,
              dvr,
              aheadS: s.scheduleAheadS,
              // Every DVR of a group may be tried, each up to the timeout; past that the caller is dead.
              staleClaimMs: Math.max(4 * s.dvrTimeoutMs, 2 * s.scheduleIntervalMs),
              node: deps.config.nodeName,
            }),
        },
      ],
    },
    {
      name: 'statuses',
      jobs: [
        {
          job: 'status-poller',
          intervalMs: s.statusIntervalMs,
          enabled: true,
          body: (run) => pollStatuses(run, { model, domain: deps.domain, dvr }),
        },
      ],
    },
    {
      name: 'cleaners',
      jobs: [
        {
          job: 'cleaners',
          intervalMs: s.cleanupIntervalMs,
          enabled: true,
          body: (run) =>
            clean(run, {
              model,
              domain: deps.domain,
              dvr,
              claims,
              keepMs: s.recordsKeepMs,
              claimGraceMs: s.scheduleAheadS * 1000 + 3_600_000,
            }),
        },
      ],
    },
  ];

  return {
    start(ctx) {
      service = startScheduling(ctx, {
        node: deps.config.nodeName,
        enabled: s.enabled,
        leases: deps.store.leases,
        // The health checker's rule (a dead holder replaced within 2 periods), but never under
        // 1 s: Hazelcast expires entries with 1 s granularity, so shorter leases flap.
        leaseTtlMs: (intervalMs) => Math.max(MIN_LEASE_TTL_MS, healthLeaseTtlMs(intervalMs, deps.store)),
        reports,
        claims,
        folders,
        groups,
      });
      return service;
    },
    adminPlugin() {
      return async (app) => {
        if (service === undefined) throw new Error('start the scheduling branch before building the admin server');
        await app.register(schedulingRoutes, { scheduling: service });
      };
    },
  };
}
