// The workstation agent (replaces the OPVideo client): `npm run agent -- --help`.
// Flags and the journal are described in docs/video.md "Workstation agent".
import { consoleLog } from './agent/log.js';
import { USAGE, UsageError, parseAgentOptions } from './agent/options.js';
import { runAgent } from './agent/run.js';

const log = consoleLog();
const controller = new AbortController();
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    log.info(`${signal}: stopping after this step`);
    controller.abort();
  });
}

try {
  const options = parseAgentOptions(process.argv.slice(2));
  if (options === undefined) {
    process.stdout.write(`${USAGE}\n`);
    process.exit(0);
  }
  process.exitCode = await runAgent(options, log, controller.signal);
} catch (err) {
  if (err instanceof UsageError) {
    process.stderr.write(`agent: ${err.message}\n\n${USAGE}\n`);
    process.exitCode = 2;
  } else {
    log.error(`agent failed: ${err instanceof Error ? err.message : String(err)}`);
    process.exitCode = 1;
  }
}
