// GET /api/v1/scheduling and POST /api/v1/scheduling/:job/run (docs/scheduling.md): the
// state of the programme-scheduling jobs, and running one now.
import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsync } from 'fastify';
import { JOB_NAMES, isJobName, type SchedulingService } from '../../../actors/scheduling/index.js';
import { ConflictError, NotFoundError } from '../../shared/errors.js';
import { errorResponses } from '../schemas.js';

export interface SchedulingRoutesOptions {
  scheduling: SchedulingService;
}

const JobNameSchema = Type.Union(
  JOB_NAMES.map((name) => Type.Literal(name)),
  { description: 'epg-fetch | epg-import | recording-scheduler | status-poller | cleaners' },
);

const JobErrorSchema = Type.Object({
  reason: Type.String(),
  item: Type.Optional(Type.String({ description: 'file, programme, record or server' })),
});

const EpgFilesSchema = Type.Object({
  inbox: Type.Array(Type.String(), { description: 'fetched, waiting for import (oldest first is imported next)' }),
  processed: Type.Array(Type.String()),
  failed: Type.Array(Type.Object({ name: Type.String(), reason: Type.String() })),
});

export const JobReportSchema = Type.Object({
  job: JobNameSchema,
  node: Type.String({ description: 'the node that ran it' }),
  startedAt: Type.String({ description: 'ISO-8601 UTC' }),
  endedAt: Type.String({ description: 'ISO-8601 UTC' }),
  ok: Type.Boolean({ description: 'false when the run recorded an error' }),
  counts: Type.Record(Type.String(), Type.Integer(), { description: 'what the run did, e.g. scheduled, recordsCreated, toCOMPLETED' }),
  errors: Type.Array(JobErrorSchema, { description: 'the first 100 problems of the run with their reasons' }),
  files: Type.Optional(EpgFilesSchema),
});

const ClaimSchema = Type.Object({
  key: Type.String({ description: 'programmeId|PROTOCOL|ENCRYPTION' }),
  programId: Type.String(),
  protocol: Type.String(),
  encryption: Type.String(),
  state: Type.String(),
  node: Type.String(),
  claimedAt: Type.String(),
  path: Type.Optional(Type.String()),
  serverId: Type.Optional(Type.String()),
  reason: Type.Optional(Type.String()),
});

const StatusSchema = Type.Object({
  node: Type.String({ description: 'the node that answered' }),
  jobs: Type.Array(
    Type.Object({
      job: JobNameSchema,
      enabled: Type.Boolean(),
      disabledReason: Type.Optional(Type.String()),
      intervalMs: Type.Integer(),
      holder: Type.Union([Type.String(), Type.Null()], { description: 'the node running this job (its singleton holder)' }),
      lastRun: Type.Union([JobReportSchema, Type.Null()]),
      nextRunAt: Type.Union([Type.String(), Type.Null()]),
    }),
  ),
  files: EpgFilesSchema,
  unresolvedClaims: Type.Array(ClaimSchema, { description: 'recordings whose DVR call was cut off: check them on the DVR' }),
});

export const schedulingRoutes: FastifyPluginAsync<SchedulingRoutesOptions> = async (app, { scheduling }) => {
  app.get(
    '/api/v1/scheduling',
    {
      config: { roles: ['ADMIN', 'MANAGER'] },
      schema: {
        tags: ['scheduling'],
        summary: 'Programme scheduling jobs: holder, last run, next run; EPG files (ADMIN, MANAGER)',
        response: { 200: StatusSchema, ...errorResponses(503) },
      },
    },
    async () => scheduling.status(),
  );

  app.post<{ Params: { job: string } }>(
    '/api/v1/scheduling/:job/run',
    {
      config: { roles: ['ADMIN'] },
      schema: {
        tags: ['scheduling'],
        summary: 'Run one scheduling job now on this node and answer with its report (ADMIN)',
        params: Type.Object({ job: Type.String({ maxLength: 64 }) }),
        response: { 200: JobReportSchema, ...errorResponses(404, 409, 503) },
      },
    },
    async (request) => {
      const { job } = request.params;
      if (!isJobName(job)) throw new NotFoundError(`No scheduling job "${job}"; the jobs are ${JOB_NAMES.join(', ')}.`);
      const state = scheduling.isEnabled(job);
      if (!state.enabled) throw new ConflictError(`The job ${job} is off: ${state.reason ?? 'disabled'}.`);
      return scheduling.run(job);
    },
  );
};
