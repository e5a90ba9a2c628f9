// What one node tells the console's overview about itself (docs/console.md "Overview"): its
// readiness, its own redirect counters (the console turns two readings into rates), the
// health checker's recent transitions when it runs there, and its video disk when it stores
// a zone. Read on the node, asked through the cluster store like the Observer's tree.

export interface EdgeTransition {
  server: string;
  available: boolean;
  /** ISO-8601 UTC */
  at: string;
}

export interface VideoDisk {
  zone: string;
  usedBytes: number;
  totalBytes: number;
}

/** What the node's own wiring reports (bin/node/overview-stats.ts). */
export interface LocalNodeStats {
  ready: boolean;
  /** The failing readiness checks, as /ready names them. */
  down: string[];
  /** The domain-model generation of the node's routing view (absent before it loaded). */
  generation?: number;
  /** Client-port answers since the node started. */
  redirects: number;
  /** Of those, answers other than 302. */
  redirectErrors: number;
  /** The newest first, at most a few. */
  transitions: EdgeTransition[];
  videoDisk?: VideoDisk;
}

export interface NodeStats extends LocalNodeStats {
  node: string;
  /** ISO-8601 UTC: when the node read them. */
  at: string;
}
