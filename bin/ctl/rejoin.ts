// `ctl rejoin`: starts a cluster rejoin on a node (POST /api/v1/cluster/rejoin, ADMIN) and
// prints the job; with --wait, follows it until it finished (exit 1 when it failed).
import { AdminClient, ApiError, type ApiAnswer, type Credentials } from './admin-client.js';
import { CtlError, type Output } from './cli.js';

export interface RejoinOptions {
  baseUrl: string;
  credentials: Credentials;
  output: Output;
  wait: boolean;
  timeoutMs: number;
  /** Between two looks at a running job. */
  pollMs?: number;
}

interface Job {
  state?: string;
  error?: string;
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

export async function rejoin(opts: RejoinOptions): Promise<void> {
  const client = new AdminClient(opts.baseUrl, opts.credentials);
  let started: ApiAnswer;
  try {
    started = await client.call('POST', '/api/v1/cluster/rejoin', {});
  } catch (err) {
    if (err instanceof ApiError && err.status === 409) throw new CtlError(`a rejoin is already running: ${err.message}`);
    throw err;
  }
  const jobId = (started.body as { jobId?: unknown }).jobId;
  if (typeof jobId !== 'string' || jobId === '') throw new CtlError('the node accepted the rejoin but sent no jobId');
  opts.output.err(`rejoin started on ${opts.baseUrl}: job ${jobId}`);

  const path = `/api/v1/cluster/jobs/${encodeURIComponent(jobId)}`;
  const deadline = Date.now() + opts.timeoutMs;
  let job = (await client.call('GET', path)).body as Job;
  while (opts.wait && job.state === 'running') {
    if (Date.now() > deadline) {
      opts.output.out(JSON.stringify({ jobId, ...job }, null, 2));
      throw new CtlError(`job ${jobId} still running after ${Math.round(opts.timeoutMs / 1000)}s (it goes on; GET ${path})`);
    }
    await sleep(opts.pollMs ?? 500);
    job = (await client.call('GET', path)).body as Job;
  }
  opts.output.out(JSON.stringify({ jobId, ...job }, null, 2));
  if (job.state === 'failed') throw new CtlError(`rejoin job ${jobId} failed${job.error ? `: ${job.error}` : ''}`);
}
