// What one benchmark reports, and the shared context the suite hands each benchmark.
import type { BenchmarkId } from '../options.js';

export type Verdict = 'pass' | 'fail' | 'reported' | 'skipped' | 'not implemented' | 'error';

export interface BenchResult {
  id: BenchmarkId;
  title: string;
  verdict: Verdict;
  /** The target as docs/performance.md states it ('—' when only reported). */
  target: string;
  /** One line: the measured numbers the verdict rests on. */
  summary: string;
  /** Why it was skipped / failed / errored, or caveats of the measurement. */
  notes: string[];
  /** Everything measured, for the JSON file. */
  details: Record<string, unknown>;
  /** 1-minute load average when it started (the machine is shared). */
  loadAverage: number;
  seconds: number;
}

export type BenchOutcome = Omit<BenchResult, 'id' | 'title' | 'target' | 'loadAverage' | 'seconds'>;

export interface Benchmark {
  id: BenchmarkId;
  title: string;
  target: string;
  run(): Promise<BenchOutcome>;
}

export function verdictOf(ok: boolean): Verdict {
  return ok ? 'pass' : 'fail';
}
