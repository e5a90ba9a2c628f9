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
for (const [variable, host] of [
  ['ADMIN_HOST', config.adminHost],
  ['HOST', config.host],
] as const) {
  for (const address of publicListenAddresses(host)) {
    logger.warn(
      `${variable} ${host} listens on the public address ${address}: put the node behind a proxy or a firewall (docs/security.md)`,
    );
  }
}
let node: RunningNode | undefined;
let stopRequested = false;

async function stop(reason: string, exitCode = 0): Promise<void> {
  if (stopRequested) return;
  stopRequested = true;
  if (node) await node.stop(reason);
  process.exit(exitCode);
}
process.on('SIGTERM', () => void stop('SIGTERM'));
process.on('SIGINT', () => void stop('SIGINT'));
process.on('unhandledRejection', (reason) => {
  // A promise nobody awaited failed: a bug whose consequences are unknown. Crash like an
  // actor would (docs/operations.md): log it with its stack, leave the cluster cleanly, exit 1
  // and let the launcher (npm start, systemd, Kubernetes) start a fresh process.
  const err = reason instanceof Error ? { message: reason.message, stack: reason.stack } : { message: errorText(reason) };
  logger.fatal({ err }, `unhandled rejection: ${err.message}; stopping the node`);
  void stop('unhandled rejection', 1);
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
  const hostVariable = e.port === config.apiPort ? 'HOST' : 'ADMIN_HOST';
  const host = e.port === config.apiPort ? config.host : config.adminHost;
  switch (e.code) {
    case 'EADDRINUSE':
      return `cannot listen on ${e.address ?? host}:${e.port} (${which}): the port is already in use — is another node or program running on it?`;
    case 'EACCES':
      return `cannot listen on ${e.address ?? host}:${e.port} (${which}): permission denied (ports below 1024 need privileges)`;
    case 'EADDRNOTAVAIL':
      return `cannot listen on ${e.address ?? host} (${hostVariable}): not an address of this machine`;
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
