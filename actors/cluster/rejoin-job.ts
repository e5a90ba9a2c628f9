// The record of one cluster rejoin (docs/cluster.md, "Cluster rejoin"), as stored in the
// cluster map `cluster.jobs` so any node can answer GET /api/v1/cluster/jobs/:id. Pure
// functions: every update returns a new record.

export const REJOIN_STEP_NAMES = ['reconnect', 'indexes', 'rebuild', 'acknowledge'] as const;
export type RejoinStepName = (typeof REJOIN_STEP_NAMES)[number];

export type RejoinJobState = 'running' | 'succeeded' | 'failed';
export type RejoinStepState = 'pending' | 'running' | 'succeeded' | 'failed' | 'skipped';

export interface RejoinStep {
  name: RejoinStepName;
  state: RejoinStepState;
  /** ISO-8601 UTC; absent while pending. */
  startedAt?: string;
  finishedAt?: string;
  ms?: number;
  /** What the step did, in one sentence. */
  detail?: string;
}

export interface RejoinJob {
  jobId: string;
  kind: 'rejoin';
  /** The node that coordinates the job. */
  node: string;
  /** Email of the user who started it. */
  requestedBy?: string;
  state: RejoinJobState;
  steps: RejoinStep[];
  /** Records per entity in the new generation (empty until the rebuild step finished). */
  counts: Record<string, number>;
  /** The cluster map generation before and after the rebuild. */
  previousGeneration?: number;
  generation?: number;
  startedAt: string;
  finishedAt?: string;
  error?: string;
  /** Nodes whose routing view reported the new generation. */
  acknowledgedBy: string[];
  /** Live nodes that did not acknowledge in time. */
  missingNodes?: string[];
  /** The rebuild on the coordinating node, in ms: MongoDB read, map write, switch, reconcile, total. */
  rebuildTimings?: { loadMs: number; writeMs: number; switchMs: number; reconcileMs: number; totalMs: number };
  /** Per node, how long loading the new generation took there (snapshot read, view build), in ms. */
  nodeTimings?: Record<string, { readMs: number; buildMs: number }>;
}

export function newRejoinJob(jobId: string, node: string, now: Date, requestedBy?: string): RejoinJob {
  return {
    jobId,
    kind: 'rejoin',
    node,
    ...(requestedBy !== undefined ? { requestedBy } : {}),
    state: 'running',
    steps: REJOIN_STEP_NAMES.map((name) => ({ name, state: 'pending' })),
    counts: {},
    startedAt: now.toISOString(),
    acknowledgedBy: [],
  };
}

function updateStep(job: RejoinJob, name: RejoinStepName, change: (step: RejoinStep) => RejoinStep): RejoinJob {
  return { ...job, steps: job.steps.map((step) => (step.name === name ? change(step) : step)) };
}

function ended(step: RejoinStep, now: Date): Pick<RejoinStep, 'finishedAt' | 'ms'> {
  const started = step.startedAt !== undefined ? Date.parse(step.startedAt) : now.getTime();
  return { finishedAt: now.toISOString(), ms: Math.max(0, now.getTime() - started) };
}

export function startStep(job: RejoinJob, name: RejoinStepName, now: Date): RejoinJob {
  return updateStep(job, name, (step) => ({ name: step.name, state: 'running', startedAt: now.toISOString() }));
}

export function finishStep(job: RejoinJob, name: RejoinStepName, now: Date, detail?: string): RejoinJob {
  return updateStep(job, name, (step) => ({
    ...step,
    state: 'succeeded',
    ...ended(step, now),
    ...(detail !== undefined ? { detail } : {}),
  }));
}

/** Fails the step and the job; the steps not run yet are marked skipped. */
export function failJob(job: RejoinJob, name: RejoinStepName | undefined, now: Date, error: string): RejoinJob {
  const steps = job.steps.map((step): RejoinStep => {
    if (step.name === name || (name === undefined && step.state === 'running')) {
      return { ...step, state: 'failed', ...ended(step, now), detail: error };
    }
    return step.state === 'pending' || step.state === 'running' ? { name: step.name, state: 'skipped' } : step;
  });
  return { ...job, steps, state: 'failed', error, finishedAt: now.toISOString() };
}

export function succeedJob(job: RejoinJob, now: Date): RejoinJob {
  return { ...job, state: 'succeeded', finishedAt: now.toISOString() };
}

/** A running job whose coordinator is gone (its lease lapsed): reported as failed. */
export function abandonJob(job: RejoinJob, now: Date): RejoinJob {
  return failJob(job, undefined, now, `the coordinating node ${job.node} stopped before the job finished; start a new rejoin`);
}

export function isRejoinJob(value: unknown): value is RejoinJob {
  if (typeof value !== 'object' || value === null) return false;
  const job = value as Partial<RejoinJob>;
  return (
    typeof job.jobId === 'string' &&
    job.kind === 'rejoin' &&
    typeof job.node === 'string' &&
    (job.state === 'running' || job.state === 'succeeded' || job.state === 'failed') &&
    Array.isArray(job.steps) &&
    typeof job.startedAt === 'string'
  );
}
