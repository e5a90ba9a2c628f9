// One run of a job: counts, errors with reasons (each logged once), a cancel signal, and the
// report it leaves. A run that decides there was nothing to do is `idle` and leaves no report.
import type { Logger } from '../../domain/log.js';
import type { EpgFiles, JobError, JobName, JobReport } from './ports.js';

const MAX_REPORTED_ERRORS = 100;

export class JobRun {
  readonly startedAt = new Date();
  readonly counts: Record<string, number> = {};
  readonly errors: JobError[] = [];
  private errorCount = 0;
  idle = false;
  files?: EpgFiles;

  constructor(
    readonly job: JobName,
    readonly node: string,
    readonly log: Logger,
    readonly signal: AbortSignal,
  ) {}

  count(name: string, by = 1): void {
    this.counts[name] = (this.counts[name] ?? 0) + by;
  }

  /** Records a problem with its reason; the first ones of a run are logged at warn with the job and item. */
  fail(reason: string, item?: string): void {
    this.errorCount += 1;
    if (this.errors.length >= MAX_REPORTED_ERRORS) return;
    this.errors.push(item === undefined ? { reason } : { reason, item });
    this.log.warn({ job: this.job, ...(item !== undefined ? { item } : {}) }, reason);
  }

  /** True when the run should stop early (the node lost the singleton or is stopping). */
  get cancelled(): boolean {
    return this.signal.aborted;
  }

  report(): JobReport {
    if (this.errorCount > this.errors.length) {
      this.counts.errorsNotListed = this.errorCount - this.errors.length;
      this.log.warn(
        { job: this.job, errors: this.errorCount },
        `${this.counts.errorsNotListed} more problems in this run were neither listed nor logged`,
      );
    }
    return {
      job: this.job,
      node: this.node,
      startedAt: this.startedAt.toISOString(),
      endedAt: new Date().toISOString(),
      ok: this.errorCount === 0,
      counts: this.counts,
      errors: this.errors,
      ...(this.files !== undefined ? { files: this.files } : {}),
    };
  }
}

export function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
