// `npm run node`: one Beamstack node, configured by the environment (see .env.example).
import { ConfigError, loadConfig, type NodeConfig } from '../domain/config.js';
import { publicListenAddresses } from '../domain/network-address.js';
import { createNodeLogger } from './node/logger.js';
import type { RunningNode } from './node/start-node.js';
import { errorText } from '../domain/errors.js';

let config: NodeConfig;
try {
  config = loadConfig();
} catch (error) {
  if (error instanceof ConfigError) {
    process.stderr.write(`configuration error: ${error.message}\n`);
    process.exit(2);
  }
  throw error;
}

const logger = createNodeLogger(config.nodeName, config.logLevel);
for (const address of publicListenAddresses(config.host)) {
  logger.warn(
    `HOST ${config.host} listens on the public address ${address}: put the node behind a proxy or a firewall (docs/deployment.md)`,
  );
}
let node: RunningNode | undefined;
let stopRequested = false;

async function stop(reason: string): Promise<void> {
  if (stopRequested) return;
  stopRequested = true;
  if (node) await node.stop(reason);
  process.exit(0);
}
process.on('SIGTERM', () => void stop('SIGTERM'));
process.on('SIGINT', () => void stop('SIGINT'));
process.on('unhandledRejection', (reason) => {
  logger.error({ err: errorText(reason) }, 'unhandled rejection');
});
process.on('uncaughtException', (error) => {
  // A bug, not an operating condition: say so in one line (stack attached), exit, let the
  // stack launcher (or systemd, k8s…) start the node again.
  logger.fatal({ err: { message: error.message, stack: error.stack } }, `uncaught exception: ${error.message}; exiting`);
  process.exit(1);
});

/** One sentence for a failed start; listen errors name the port and the variable. */
function startFailure(error: unknown): string {
  if (!(error instanceof Error)) return errorText(error);
  const e = error as NodeJS.ErrnoException & { address?: string; port?: number };
  const which = e.port === config.apiPort ? 'API_PORT' : 'PORT';
  switch (e.code) {
    case 'EADDRINUSE':
      return `cannot listen on ${e.address ?? config.host}:${e.port} (${which}): the port is already in use — is another node or program running on it?`;
    case 'EACCES':
      return `cannot listen on ${e.address ?? config.host}:${e.port} (${which}): permission denied (ports below 1024 need privileges)`;
    case 'EADDRNOTAVAIL':
      return `cannot listen on ${e.address ?? config.host} (HOST): not an address of this machine`;
    default:
      return errorText(error);
  }
}

// Loaded only now, so that a bad configuration is reported before the whole code base loads.
const { startNode } = await import('./node/start-node.js').catch((error: unknown) => {
  const err = error instanceof Error ? { message: error.message, stack: error.stack } : { message: String(error) };
  logger.fatal({ err }, `the node could not start: its code failed to load: ${err.message}`);
  return process.exit(1);
});

startNode(config, { log: logger, fastifyLogger: logger }, (code) => process.exit(code))
  .then((running) => {
    node = running;
    if (stopRequested && running) void running.stop('stop requested during start').then(() => process.exit(0));
  })
  .catch((error: unknown) => {
    logger.fatal(`the node could not start: ${startFailure(error)}`);
    process.exit(1);
  });
