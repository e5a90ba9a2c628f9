// `npm run load -- <live|catchup|vod|requests|chat> [--vus N] [--rps N] [--duration 30s] ...`
// The seed's k6 scenarios against a running stack (`npm start`), with autocannon (HTTP) or
// ws clients (chat) in a child process. Prints a table, writes JSON (and HTML with --html).
import { randomBytes } from 'node:crypto';
import { AdminClient, credentialsFrom, putDomain } from '../bin/ctl/admin-client.js';
import { CtlError } from '../bin/ctl/cli.js';
import { announceMachine, parseCommandLine, runMain, writeOut } from './cli.js';
import { runInChild } from './child-runner.js';
import { generateDomainModel } from './fixture-model.js';
import { machineLines } from './machine.js';
import { LOAD_USAGE, OptionsError, parseLoadArgs, type HttpScenario, type LoadOptions } from './options.js';
import { formatReport, renderHtml, type LoadReport } from './report.js';
import { scenarioRequests } from './scenarios.js';
import { chatReport, httpReport } from './summaries.js';

/** Distinct requests cycled through during a run. */
const REQUEST_POOL = 20_000;
/** Allowance over the run's duration before a child is presumed stuck. */
const CHILD_SLACK_MS = 120_000;

async function runHttp(options: LoadOptions, scenario: HttpScenario): Promise<LoadReport> {
  const model = generateDomainModel({ seed: options.seed });
  if (options.fixture) {
    const credentials = credentialsFrom(options.token, process.env);
    if (credentials === undefined)
      throw new CtlError('uploading the fixture needs --token or ADMIN_EMAIL and ADMIN_PASSWORD in the environment (or pass --no-fixture)');
    process.stdout.write(`uploading the fixture model to ${options.admin} ... `);
    const counts = await putDomain(new AdminClient(options.admin, credentials), model);
    process.stdout.write(
      `${
        Object.entries(counts)
          .map(([k, v]) => `${k} ${v}`)
          .join(', ') || 'done'
      }\n`,
    );
  }
  const requests = scenarioRequests(scenario, model, REQUEST_POOL, options.seed + 1);
  const raw = await runInChild(
    {
      kind: 'http',
      spec: {
        target: options.target,
        connections: options.vus,
        ...(options.rps !== undefined ? { rps: options.rps } : {}),
        durationMs: options.durationMs,
        requests,
        timeoutS: options.timeoutS,
      },
    },
    options.durationMs + CHILD_SLACK_MS,
  );
  const report = httpReport(raw, { scenario, target: options.target, ...(options.rps !== undefined ? { requestedRps: options.rps } : {}) });
  if (!options.fixture) report.notes.push('no fixture was uploaded (--no-fixture): answers depend on the model the stack holds');
  return report;
}

async function runChat(options: LoadOptions): Promise<LoadReport> {
  const rate = options.rps ?? options.vus;
  if (rate / options.vus > 20) {
    throw new OptionsError(
      `--rps ${rate} over ${options.vus} sockets is over 20 messages/s per socket, the server's per-socket limit; add sockets (--vus)`,
    );
  }
  const raw = await runInChild(
    {
      kind: 'chat',
      spec: {
        urls: options.targets,
        sockets: options.vus,
        rooms: Math.min(options.rooms, options.vus),
        roomPrefix: `load-${randomBytes(3).toString('hex')}-`,
        messagesPerSecond: rate,
        durationMs: options.durationMs,
        ...(options.token !== undefined ? { token: options.token } : {}),
      },
    },
    options.durationMs + CHILD_SLACK_MS + options.vus * 100,
  );
  return chatReport(raw, { target: options.targets.join(' + ') });
}

async function main(argv: string[]): Promise<number> {
  const options = parseCommandLine(argv, LOAD_USAGE, (args) => parseLoadArgs(args, process.env));
  if (typeof options === 'number') return options;
  const machine = await announceMachine();
  const report = options.scenario === 'chat' ? await runChat(options) : await runHttp(options, options.scenario);
  console.log(`\n${formatReport(report)}\n`);
  const json = options.json ?? `test-output/load/${options.scenario}-${report.startedAt.replace(/[:.]/g, '-')}.json`;
  await writeOut(
    json,
    `${JSON.stringify({ machine, options: { ...options, token: options.token === undefined ? undefined : '(given)' }, report }, null, 2)}\n`,
  );
  console.log(`JSON report: ${json}`);
  if (options.html !== undefined) {
    await writeOut(options.html, renderHtml(report, machineLines(machine).join(' | ')));
    console.log(`HTML report: ${options.html}`);
  }
  return 0;
}

runMain(main);
