// The environment test nodes run with: their stores, a bootstrap admin the tests log in as,
// a fixed secret and fast membership timings.

export const ADMIN_EMAIL = 'ops-admin@example.test';
export const ADMIN_PASSWORD = 'correct-horse-battery';
/** Tests check that this never reaches output (see test/node/ops.test.ts). */
export const TEST_SECRET_KEY_BASE = 'test-secret-key-base-of-at-least-32-characters';
/** Membership timing for tests: a killed node is gone after ~3-4 s. */
export const TEST_TIMING = { HEARTBEAT_INTERVAL_MS: '500', NODE_DOWN_AFTER_MS: '3000' } as const;

export interface NodeStores {
  mongodbUrl: string;
  /** HZ_MEMBERS: `host:port[,host:port…]`. */
  hzMembers: string;
  clusterName: string;
}

/** Env for a node on `stores`: loopback host, test timings, bootstrap admin. Spread overrides after it. */
export function nodeEnv(stores: NodeStores, logLevel = 'info'): Record<string, string> {
  return {
    HOST: '127.0.0.1',
    MONGODB_URL: stores.mongodbUrl,
    HZ_MEMBERS: stores.hzMembers,
    HZ_CLUSTER_NAME: stores.clusterName,
    SECRET_KEY_BASE: TEST_SECRET_KEY_BASE,
    ADMIN_EMAIL,
    ADMIN_PASSWORD,
    LOG_LEVEL: logLevel,
    // The scheduling cleaners delete programmes older than 48 h (fixtures are): tests of
    // scheduling switch it on (test/scheduling/e2e.test.ts).
    SCHEDULING_ENABLED: 'false',
    // No drain period on stop (tests restart nodes often); test/node/shutdown-drain.test.ts sets one.
    SHUTDOWN_DRAIN_MS: '0',
    ...TEST_TIMING,
  };
}
