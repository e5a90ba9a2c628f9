// `npm run ctl -- <command>`: operations on a Beamstack deployment (see bin/ctl/run.ts and
// docs/operations.md). Exit codes: 0 done, 1 the operation failed, 2 wrong usage or configuration.
import { messageOf, processOutput } from './ctl/cli.js';
import { runCtl } from './ctl/run.js';

runCtl(process.argv.slice(2), process.env, processOutput).then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`ctl: ${messageOf(err)}\n`);
    process.exit(1);
  },
);
