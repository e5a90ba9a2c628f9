// `ctl migrate`: applies the database migrations to MONGODB_URL (what every node also does at
// start) and prints what was applied. Needs MONGODB_URL only: no secret, no cluster store.
import { loadStoresConfig } from '../../domain/config.js';
import { MIGRATIONS, connectMongo, formatDelay, runMigrations } from '../../persistence/index.js';
import { CtlError, cliLogger, type Output } from './cli.js';

export interface MigrateOptions {
  env: Record<string, string | undefined>;
  output: Output;
  /** How long to wait for MongoDB before giving up. */
  timeoutMs: number;
  verbose?: boolean;
}

export async function migrate(opts: MigrateOptions): Promise<void> {
  const { mongodbUrl } = loadStoresConfig(opts.env);
  const log = cliLogger(opts.output, opts.verbose);
  const mongo = connectMongo({ url: mongodbUrl, log, retryMaxMs: 2000 });
  try {
    let timer: NodeJS.Timeout | undefined;
    const gaveUp = new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => resolve('timeout'), opts.timeoutMs);
    });
    const outcome = await Promise.race([mongo.ready().then(() => 'up' as const), gaveUp]);
    clearTimeout(timer);
    if (outcome === 'timeout') {
      throw new CtlError(
        `MongoDB at ${mongo.safeUrl} (MONGODB_URL) did not answer within ${formatDelay(opts.timeoutMs)}; nothing was migrated`,
      );
    }

    const result = await runMigrations(mongo.db, log, MIGRATIONS);
    const describe = (id: string): string => MIGRATIONS.find((m) => m.id === id)?.description ?? '';
    for (const id of result.applied) opts.output.out(`applied  ${id}  ${describe(id)}`);
    if (result.applied.length === 0) {
      opts.output.out(`nothing to apply: all ${result.alreadyDone.length} migrations were already applied (${mongo.safeUrl})`);
    } else {
      opts.output.out(`${result.applied.length} applied, ${result.alreadyDone.length} already applied before (${mongo.safeUrl})`);
    }
  } finally {
    await mongo.close().catch(() => undefined);
  }
}
