// `npm run node`: one Beamstack node, configured by the environment (see .env.example).
import { ConfigError, loadConfig, type NodeConfig } from '../domain/config.js';
import { createNodeLogger } from './node/logger.js';
import { startNode, type RunningNode } from './node/start-node.js';

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
  logger.error({ err: reason instanceof Error ? reason.message : String(reason) }, 'unhandled rejection');
});

startNode(config, { log: logger, fastifyLogger: logger }, (code) => process.exit(code))
  .then((running) => {
    node = running;
    if (stopRequested && running) void running.stop('stop requested during start').then(() => process.exit(0));
  })
  .catch((error: unknown) => {
    logger.fatal({ err: error instanceof Error ? error.message : String(error) }, 'the node could not start');
    process.exit(1);
  });
