// A root hook (loaded by .mocharc): after each test, the test process's used heap. Once it passes
// 1 GiB (HEAP_WATCH_MIB), and at every further 256 MiB, it names the test that just ran on stderr, so a test that
// leaks (or a loop left running by one) can be found from the CI log before the heap runs out.
import { getHeapStatistics } from 'node:v8';
import type { Context } from 'mocha';

const FIRST_REPORT_BYTES = Number(process.env.HEAP_WATCH_MIB ?? 1024) * 1024 * 1024;
const REPORT_STEP_BYTES = 256 * 1024 * 1024;
let nextReport = FIRST_REPORT_BYTES;

export const mochaHooks = {
  afterEach(this: Context): void {
    const used = getHeapStatistics().used_heap_size;
    if (used < nextReport) return;
    nextReport = used + REPORT_STEP_BYTES;
    const test = this.currentTest;
    process.stderr.write(`heap watch: ${Math.round(used / 1048576)} MiB used after "${test?.fullTitle() ?? '?'}" (${test?.file ?? '?'})\n`);
  },
};
