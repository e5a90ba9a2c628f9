// Runs one job on this node: one run at a time (a manual run waits for the periodic one and
// vice versa), the report stored in the cluster store so every node can show it.
import type { Logger } from '../../domain/log.js';
import { JobRun, errorText } from './job-run.js';
import type { JobName, JobReport, JobReports } from './ports.js';

export type JobBody = (run: JobRun) => Promise<void>;

export interface JobRunnerOptions {
  job: JobName;
  node: string;
  body: JobBody;
  reports: JobReports;
  log: Logger;
}

export class JobRunner {
  private tail: Promise<unknown> = Promise.resolve();

  constructor(private readonly opts: JobRunnerOptions) {}

  get job(): JobName {
    return this.opts.job;
  }

  /** Runs the job after any run in progress; resolves with its report (idle runs included). */
  run(signal: AbortSignal = new AbortController().signal): Promise<JobReport & { idle: boolean }> {
    const next = this.tail.then(() => this.runNow(signal));
    this.tail = next.catch(() => undefined);
    return next;
  }

  private async runNow(signal: AbortSignal): Promise<JobReport & { idle: boolean }> {
    const run = new JobRun(this.opts.job, this.opts.node, this.opts.log, signal);
    try {
      await this.opts.body(run);
    } catch (err) {
      run.fail(`the run stopped: ${errorText(err)}`);
    }
    const report = run.report();
    if (!run.idle) {
      await this.opts.reports.put(report).catch((err: unknown) => {
        this.opts.log.warn({ job: this.opts.job, err: errorText(err) }, 'could not store the job report in the cluster store');
      });
    }
    return { ...report, idle: run.idle };
  }
}
