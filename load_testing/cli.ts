// What the two entry points (`npm run load`, `npm run bench`) share: option parsing with
// usage errors, the machine banner, writing reports, and running `main` so that no helper
// process outlives the run.
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { killAllChildren } from './child-runner.js';
import { machineInfo, machineLines, type MachineInfo } from './machine.js';
import { OptionsError } from './options.js';
import { errorText } from '../domain/errors.js';

/** The parsed options, or the exit code when there is nothing to run (help: 0, bad options: 2). */
export function parseCommandLine<T>(argv: string[], usage: string, parse: (argv: string[]) => T): T | number {
  if (argv.includes('--help') || argv.includes('-h')) {
    console.log(usage);
    return 0;
  }
  try {
    return parse(argv);
  } catch (error) {
    if (error instanceof OptionsError) {
      console.error(`error: ${error.message}\n\n${usage}`);
      return 2;
    }
    throw error;
  }
}

/** Prints the machine and versions the numbers were measured on. */
export async function announceMachine(): Promise<MachineInfo> {
  const machine = await machineInfo();
  for (const line of machineLines(machine)) console.log(line);
  return machine;
}

export async function writeOut(path: string, text: string): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  await writeFile(path, text);
}

/**
 * Runs `main` and exits with its code; failures (and Ctrl-C, unless `main` handles signals
 * itself) stop every helper process first.
 */
export function runMain(main: (argv: string[]) => Promise<number>, opts: { mainHandlesSignals?: boolean } = {}): void {
  for (const signal of opts.mainHandlesSignals ? [] : (['SIGINT', 'SIGTERM'] as const)) {
    process.once(signal, () => {
      killAllChildren();
      process.exit(130);
    });
  }
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (error: unknown) => {
      killAllChildren();
      console.error(`error: ${errorText(error)}`);
      process.exit(1);
    },
  );
}
