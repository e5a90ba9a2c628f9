// B6's watch of the nodes during a window (load_testing/node-metrics.ts): lag read only from
// scrapes whose second lies inside the window, run-queue wait of a local process, and the
// generator's lowered priority (load_testing/niceness.ts). Linux: /proc is read, as on the bench machine.
import { execFile } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { promisify } from 'node:util';
import { expect } from 'chai';
import { watchNodeMetrics } from '../../load_testing/node-metrics.js';
import { runQueueWaitMs } from '../../load_testing/run-queue-wait.js';
import { waitFor } from '../support/wait.js';

describe('load testing: watching the nodes during a window', () => {
  let server: Server;
  let url: string;
  let lagSeconds = 0;
  let scrapes = 0;

  before(async () => {
    server = createServer((req, res) => {
      if (req.headers.authorization !== 'Bearer t') {
        res.statusCode = 401;
        res.end();
        return;
      }
      scrapes++;
      res.end(`beamstack_event_loop_lag_max_seconds{node="n1"} ${lagSeconds}\nbeamstack_redirects_shed_total{node="n1"} ${scrapes}\n`);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  after(() => new Promise<void>((resolve) => server.close(() => resolve())));

  it('does not count a lag the node reported for the second before the watch began', async () => {
    lagSeconds = 0.5; // what the node measured before the window
    scrapes = 0;
    const watch = watchNodeMetrics([{ name: 'n1', admin: url }], 't', { lagSettleMs: 400, pollMs: 20 });
    await waitFor('a scrape of the old second', 2_000, () => scrapes >= 2, { everyMs: 10 });
    lagSeconds = 0.02;
    const settledFrom = scrapes;
    await waitFor('scrapes after the settle time', 5_000, () => scrapes >= settledFrom + 30, { everyMs: 20 });
    lagSeconds = 0.03;
    const last = scrapes;
    await waitFor('a scrape of the last value', 2_000, () => scrapes >= last + 2, { everyMs: 10 });
    const [summary] = await watch.stop();
    expect(summary?.lagMaxMs).to.equal(30);
    expect(summary?.shed).to.be.greaterThan(0);
  });

  it('reports how long a local process waited for a CPU', async () => {
    lagSeconds = 0;
    const watch = watchNodeMetrics([{ name: 'n1', admin: url, pid: process.pid }], 't', { pollMs: 20 });
    const until = performance.now() + 300;
    while (performance.now() < until) await new Promise((resolve) => setImmediate(resolve)); // runnable all the time
    const [summary] = await watch.stop();
    expect(summary?.runQueueWait).to.not.equal(undefined);
    expect(summary!.runQueueWait!.totalMs).to.be.at.least(summary!.runQueueWait!.maxPer100Ms);
    expect(runQueueWaitMs(process.pid)).to.be.a('number');
    expect(runQueueWaitMs(2 ** 22 + 1)).to.equal(undefined); // no such process
  });

  it('lowers the niceness of every thread of the generator process', async () => {
    const script = [
      "import { readdirSync, readFileSync } from 'node:fs';",
      "import { lowerPriority } from './load_testing/niceness.ts';",
      'lowerPriority(7);',
      // /proc/<pid>/task/<tid>/stat field 19 is the niceness
      "const nice = readdirSync('/proc/self/task').map((t) => readFileSync(`/proc/self/task/${t}/stat`, 'utf8').split(') ')[1].split(' ')[16]);",
      'console.log(JSON.stringify(nice));',
    ].join('\n');
    const { stdout } = await promisify(execFile)(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script]);
    const nice = JSON.parse(stdout) as string[];
    expect(nice.length).to.be.greaterThan(1);
    expect(new Set(nice)).to.deep.equal(new Set(['7']));
  });
});
