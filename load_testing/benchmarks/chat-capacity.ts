// B4 chat capacity (docs/performance.md): 2 Beamstack nodes and, side by side, one Centrifugo
// v6.9.1 node (memory engine, history on), each driven by the same load generator and ledger
// with 2 000 sockets in 20 rooms, the offered rate raised in steps. A step's row: offered,
// acknowledged, refused by reason, deliveries/s, delivery p50/p99, lost, duplicated, out of
// order, delivered-but-unacked and the p99 of refusal replies. Capacity: the highest step with
// every push acknowledged, delivery p99 < 100 ms and nothing lost.
import { randomBytes } from 'node:crypto';
import { startCentrifugo } from '../centrifugo.js';
import type { ChatProtocol } from '../chat-wire.js';
import type { ChatLoadRaw } from '../chat-load.js';
import { runInChild } from '../child-runner.js';
import { LatencyHistogram } from '../histogram.js';
import { formatCount, formatMs } from '../report.js';
import { mergeChatRaw } from '../summaries.js';
import type { SuiteContext } from './context.js';
import { verdictOf, type Benchmark } from './types.js';
import { errorText } from '../../domain/errors.js';

const SOCKETS = 2_000;
const ROOMS = 20;
const STEPS = [100, 200, 400, 800, 1_600];
const QUICK_STEPS = [100, 400];
/** Load processes per step: each runs its own rooms, so the ledger of each is complete. */
const CHILDREN = 2;
const TARGET_CAPACITY = 400;

export interface StepRow {
  offered: number;
  sent: number;
  acked: number;
  ackedPerSec: number;
  refused: Record<string, number>;
  deliveriesPerSec: number;
  p50: number;
  p99: number;
  lost: number;
  duplicated: number;
  outOfOrder: number;
  deliveredUnacked: number;
  refusalP99: number;
  socketsJoined: number;
  noReply: number;
  /** The generator's other errors (e.g. joins refused or timed out), by text. */
  errors: Record<string, number>;
}

export function stepRow(offered: number, raw: ChatLoadRaw): StepRow {
  const latency = LatencyHistogram.fromJSON(raw.latency);
  const refusals = LatencyHistogram.fromJSON(raw.refusalLatency);
  return {
    offered,
    sent: raw.messagesSent,
    acked: raw.messagesAcked,
    ackedPerSec: raw.sendWindowS > 0 ? raw.messagesAcked / raw.sendWindowS : 0,
    refused: raw.messagesRejected,
    deliveriesPerSec: raw.sendWindowS > 0 ? raw.deliveriesInWindow / raw.sendWindowS : 0,
    p50: latency.count > 0 ? latency.percentile(50) : 0,
    p99: latency.count > 0 ? latency.percentile(99) : 0,
    lost: raw.lost,
    duplicated: raw.duplicates,
    outOfOrder: raw.outOfOrder,
    deliveredUnacked: raw.unackedDelivered,
    refusalP99: refusals.count > 0 ? refusals.percentile(99) : 0,
    socketsJoined: raw.socketsJoined,
    noReply: raw.errors['no reply to push'] ?? 0,
    errors: Object.fromEntries(Object.entries(raw.errors).filter(([text]) => text !== 'no reply to push')),
  };
}

/** The highest step with every push acknowledged, p99 < 100 ms and nothing lost (0 if none). */
export function capacityOf(rows: StepRow[]): number {
  let capacity = 0;
  for (const row of rows) {
    if (row.sent > 0 && row.acked === row.sent && row.p99 < 100 && row.lost === 0 && row.socketsJoined === SOCKETS) {
      capacity = Math.max(capacity, row.offered);
    }
  }
  return capacity;
}

/** The targets for steps above capacity; the problems found. */
export function overloadProblems(rows: StepRow[], capacity: number): string[] {
  const problems: string[] = [];
  for (const row of rows.filter((r) => r.offered > capacity)) {
    if (row.ackedPerSec < 0.9 * capacity) problems.push(`${row.offered}/s: acked ${row.ackedPerSec.toFixed(0)}/s < 90 % of capacity`);
    if (row.refusalP99 >= 20) problems.push(`${row.offered}/s: refusal p99 ${formatMs(row.refusalP99)} ms`);
    if (row.p99 >= 250) problems.push(`${row.offered}/s: delivery p99 ${formatMs(row.p99)} ms`);
    if (row.deliveredUnacked > 0) problems.push(`${row.offered}/s: ${row.deliveredUnacked} delivered but not acked`);
  }
  return problems;
}

function rowText(row: StepRow): string {
  const refused = Object.entries(row.refused)
    .map(([reason, n]) => `${reason} ${n}`)
    .join(', ');
  return (
    `${row.offered}/s: acked ${formatCount(row.acked)}/${formatCount(row.sent)}${refused === '' ? '' : ` (refused: ${refused})`}, ` +
    `${formatCount(row.deliveriesPerSec)} deliveries/s, p50 ${formatMs(row.p50)} p99 ${formatMs(row.p99)} ms, ` +
    `lost ${row.lost}, dup ${row.duplicated}, out of order ${row.outOfOrder}, delivered-unacked ${row.deliveredUnacked}, ` +
    `refusal p99 ${formatMs(row.refusalP99)} ms${row.noReply > 0 ? `, no reply ${row.noReply}` : ''}` +
    `${row.socketsJoined < SOCKETS ? `, joined ${formatCount(row.socketsJoined)}/${formatCount(SOCKETS)}` : ''}` +
    Object.entries(row.errors)
      .map(([text, n]) => `, ${text}: ${n}`)
      .join('')
  );
}

async function runSteps(
  ctx: SuiteContext,
  label: string,
  urls: string[],
  protocol: ChatProtocol,
  steps: number[],
  durationMs: number,
): Promise<StepRow[]> {
  const rows: StepRow[] = [];
  for (const offered of steps) {
    const prefix = `b4-${randomBytes(3).toString('hex')}-`;
    ctx.log(`B4 ${label}: ${offered} messages/s for ${durationMs / 1000} s`);
    const parts = await Promise.all(
      Array.from({ length: CHILDREN }, (_, c) =>
        runInChild(
          {
            kind: 'chat',
            spec: {
              urls,
              protocol,
              sockets: SOCKETS / CHILDREN,
              rooms: ROOMS / CHILDREN,
              roomPrefix: `${prefix}${c}-`,
              messagesPerSecond: offered / CHILDREN,
              durationMs,
              drainMs: 10_000,
            },
          },
          durationMs + 180_000,
        ),
      ),
    );
    const row = stepRow(offered, mergeChatRaw(parts));
    ctx.log(`B4 ${label} ${rowText(row)}`);
    rows.push(row);
  }
  return rows;
}

export function b4(ctx: SuiteContext): Benchmark {
  return {
    id: 'B4',
    title: `chat capacity: 2 nodes, ${formatCount(SOCKETS)} sockets in ${ROOMS} rooms, ${STEPS.join('/')} messages/s, vs Centrifugo v6.9.1`,
    target: `capacity >= ${TARGET_CAPACITY} msg/s and >= 0.5 x Centrifugo's; above it acked >= 90 % of capacity, refusals p99 < 20 ms, 0 delivered-but-refused`,
    async run() {
      const steps = ctx.quick ? QUICK_STEPS : STEPS;
      const durationMs = ctx.quick ? 5_000 : 15_000;
      const cluster = await ctx.cluster(2);
      const urls = cluster.nodes.slice(0, 2).map((n) => n.admin);
      const ours = await runSteps(ctx, 'Beamstack', urls, 'phoenix', steps, durationMs);
      let peer: StepRow[] | undefined;
      let peerProblem: string | undefined;
      try {
        const centrifugo = await startCentrifugo();
        try {
          peer = await runSteps(ctx, 'Centrifugo', [centrifugo.url], 'centrifugo', steps, durationMs);
        } finally {
          await centrifugo.stop();
        }
      } catch (error) {
        peerProblem = errorText(error);
      }
      const capacity = capacityOf(ours);
      const peerCapacity = peer === undefined ? undefined : capacityOf(peer);
      const problems = overloadProblems(ours, capacity);
      const notes = [
        'Beamstack stores every message in MongoDB (FerretDB) before the ack; Centrifugo keeps history in memory',
        'delivery latency counts from when a message was due on the fixed schedule to its arrival at each member',
        ...ours.map((row) => `Beamstack ${rowText(row)}`),
        ...(peer ?? []).map((row) => `Centrifugo ${rowText(row)}`),
        ...problems,
      ];
      if (peerProblem !== undefined) notes.push(`Centrifugo not measured: ${peerProblem}`);
      if (ctx.quick) notes.push(`--quick: steps ${steps.join('/')} of ${durationMs / 1000} s`);
      const ok = capacity >= TARGET_CAPACITY && problems.length === 0 && peerCapacity !== undefined && capacity >= 0.5 * peerCapacity;
      return {
        verdict: verdictOf(ok),
        summary:
          `capacity ${capacity} msg/s (${formatCount(capacity * (SOCKETS / ROOMS))} deliveries/s); ` +
          `Centrifugo ${peerCapacity === undefined ? 'not measured' : `${peerCapacity} msg/s`}; ${problems.length} overload problems`,
        notes,
        details: { steps, durationMs, beamstack: ours, centrifugo: peer, capacity, peerCapacity },
      };
    },
  };
}
