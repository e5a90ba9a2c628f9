// Watches nodes' Prometheus metrics while a benchmark runs: the largest event-loop delay
// seen (beamstack_event_loop_lag_max_seconds, a per-second maximum) and the requests the
// redirect port shed (beamstack_redirects_shed_total), per node; and, for nodes on this machine,
// how long the OS kept their main thread waiting for a CPU meanwhile (run-queue-wait.ts).
import { watchRunQueueWait, type RunQueueWait } from './run-queue-wait.js';

const POLL_MS = 500;

/**
 * The lag gauge is the largest delay of the node's last full second (rotated every second at a
 * phase of its own), so a scrape within the first 2 s of a watch may report a second from before
 * it — in B6 the end of the PUT or the probing before a window was counted as the window's lag.
 * Lag is read from scrapes from then on: a window's first ≤ 1 s is not covered.
 */
export const LAG_SETTLE_MS = 2_000;

export interface NodeMetricsSummary {
  node: string;
  lagMaxMs: number | undefined;
  /** Requests shed while watched (the counter's growth since the first scrape). */
  shed: number | undefined;
  /** The node's main thread waiting for a CPU while watched (nodes with a known local pid). */
  runQueueWait?: RunQueueWait;
}

/** The value of an unlabelled series or one with only the registry's default labels (`{node="…"}`). */
export function metric(text: string, name: string): number | undefined {
  const match = new RegExp(`^${name}(?:\\{[^}]*\\})? (\\S+)$`, 'm').exec(text);
  return match ? Number(match[1]) : undefined;
}

/** /metrics needs a bearer token (docs/security.md, "Exposure"). */
async function scrape(adminUrl: string, token: string): Promise<string | undefined> {
  try {
    const res = await fetch(`${adminUrl}/metrics`, { headers: { authorization: `Bearer ${token}` }, signal: AbortSignal.timeout(5000) });
    return res.ok ? await res.text() : undefined;
  } catch {
    return undefined;
  }
}

/** Polls every node until stop(); then the largest lag seen and the shed count at the end. */
export function watchNodeMetrics(
  nodes: ReadonlyArray<{ name: string; admin: string; pid?: number | undefined }>,
  token: string,
  opts: { lagSettleMs?: number; pollMs?: number } = {},
): { stop(): Promise<NodeMetricsSummary[]> } {
  const lagFrom = performance.now() + (opts.lagSettleMs ?? LAG_SETTLE_MS);
  const seen = new Map<string, NodeMetricsSummary>(nodes.map((n) => [n.name, { node: n.name, lagMaxMs: undefined, shed: undefined }]));
  const waits = nodes.map((n) => ({ name: n.name, watch: n.pid === undefined ? undefined : watchRunQueueWait(n.pid) }));
  let running = true;
  const polls = nodes.map(async (n) => {
    const summary = seen.get(n.name)!;
    let shedAtStart: number | undefined;
    for (;;) {
      const scrapedAt = performance.now();
      const text = await scrape(n.admin, token);
      if (text !== undefined) {
        const lag = metric(text, 'beamstack_event_loop_lag_max_seconds');
        if (lag !== undefined && scrapedAt >= lagFrom) summary.lagMaxMs = Math.max(summary.lagMaxMs ?? 0, lag * 1000);
        const shed = metric(text, 'beamstack_redirects_shed_total');
        if (shed !== undefined) {
          shedAtStart ??= shed;
          summary.shed = shed - shedAtStart;
        }
      }
      if (!running) return;
      await new Promise((resolve) => setTimeout(resolve, opts.pollMs ?? POLL_MS));
    }
  });
  return {
    async stop() {
      running = false;
      await Promise.all(polls);
      for (const { name, watch } of waits) {
        const wait = watch?.stop();
        if (wait !== undefined) seen.get(name)!.runQueueWait = wait;
      }
      return [...seen.values()];
    },
  };
}
