// Raw results of the load children → the reports printed and saved. Pure.
import type { ChatLoadRaw } from './chat-load.js';
import { LatencyHistogram } from './histogram.js';
import type { HttpLoadRaw, SecondSample } from './http-load.js';
import {
  formatCount,
  formatMs,
  spectrumOf,
  summarizeLatency,
  type ChatLoadReport,
  type HttpLoadReport,
  type TimelinePoint,
} from './report.js';

export function timelineOf(samples: SecondSample[]): TimelinePoint[] {
  return samples.map((s, second) => ({
    second,
    count: s.count,
    errors: s.errors,
    meanMs: s.count === 0 ? 0 : s.sumMs / s.count,
    maxMs: s.maxMs,
  }));
}

/** Share of the requested rate below which a fixed-rate run is flagged as not keeping up. */
export const RATE_SHORTFALL = 0.95;

export function httpReport(raw: HttpLoadRaw, meta: { scenario: string; target: string; requestedRps?: number }): HttpLoadReport {
  const latency = LatencyHistogram.fromJSON(raw.latency);
  const achievedRps = raw.durationS > 0 ? raw.responses / raw.durationS : 0;
  const notes: string[] = [];
  if (raw.responses === 0) notes.push(`no answers at all from ${meta.target}: is it running? (errors: ${JSON.stringify(raw.errors)})`);
  if (meta.requestedRps !== undefined && raw.expectedIntervalMs !== undefined) {
    notes.push(
      `latency corrected for coordinated omission (one request per ${formatMs(raw.expectedIntervalMs)} ms per connection expected); ` +
        `"as measured" is the uncorrected time from send to answer`,
    );
    if (achievedRps < meta.requestedRps * RATE_SHORTFALL) {
      notes.push(
        `the requested ${formatCount(meta.requestedRps)} req/s was not reached (${formatCount(achievedRps)} req/s achieved): ` +
          'the generator skips what it cannot send, so even the corrected latency understates what clients arriving on schedule would see (their queue would grow without bound)',
      );
    }
  }
  return {
    kind: 'http',
    scenario: meta.scenario,
    target: meta.target,
    startedAt: raw.startedAt,
    durationS: raw.durationS,
    connections: raw.connections,
    ...(meta.requestedRps !== undefined ? { requestedRps: meta.requestedRps } : {}),
    achievedRps,
    requests: raw.responses,
    statusCounts: raw.statusCounts,
    errors: raw.errors,
    errorTotal: raw.errorTotal,
    timeouts: raw.timeouts,
    latency: summarizeLatency(latency),
    ...(raw.uncorrected !== undefined ? { uncorrected: summarizeLatency(LatencyHistogram.fromJSON(raw.uncorrected)) } : {}),
    spectrum: spectrumOf(latency),
    timeline: timelineOf(raw.timeline),
    notes,
  };
}

export function chatReport(raw: ChatLoadRaw, meta: { target: string }): ChatLoadReport {
  const latency = LatencyHistogram.fromJSON(raw.latency);
  const errors = { ...raw.errors };
  const notes = ['delivery latency counts from when a message was due on the fixed schedule to its arrival at each member'];
  if (raw.messagesSkipped > 0)
    notes.push(`${formatCount(raw.messagesSkipped)} scheduled messages were not sent: their socket was not joined or had closed`);
  if (raw.maxSendLagMs > 100)
    notes.push(`the sender loop fell up to ${formatMs(raw.maxSendLagMs)} ms behind its schedule (the load generator was short of CPU)`);
  const rejected = Object.entries(raw.messagesRejected);
  if (rejected.length > 0) {
    notes.push(`pushes answered with an error: ${rejected.map(([reason, n]) => `${reason} ${formatCount(n)}`).join(', ')}`);
  }
  const errorList = Object.entries(raw.errors);
  if (errorList.length > 0) notes.push(`client-side errors: ${errorList.map(([reason, n]) => `${reason} ${formatCount(n)}`).join(', ')}`);
  if (raw.unackedDelivered > 0)
    notes.push(`${formatCount(raw.unackedDelivered)} deliveries were of messages whose push was not acknowledged`);
  notes.push(`drained for ${raw.drainS.toFixed(1)} s after the last send`);
  return {
    kind: 'chat',
    scenario: 'chat',
    target: meta.target,
    startedAt: raw.startedAt,
    durationS: raw.sendWindowS,
    sockets: raw.sockets,
    socketsJoined: raw.socketsJoined,
    rooms: raw.rooms,
    requestedMessagesPerSec: raw.messagesPerSecond,
    messagesSent: raw.messagesSent,
    messagesAcked: raw.messagesAcked,
    messagesRejected: raw.messagesRejected,
    deliveriesExpected: raw.expected,
    deliveriesReceived: raw.received,
    deliveriesPerSec: raw.sendWindowS > 0 ? raw.deliveriesInWindow / raw.sendWindowS : 0,
    lost: raw.lost,
    duplicates: raw.duplicates,
    outOfOrder: raw.outOfOrder,
    errors,
    errorTotal: Object.values(errors).reduce((a, b) => a + b, 0),
    latency: summarizeLatency(latency),
    spectrum: spectrumOf(latency),
    timeline: timelineOf(raw.timeline),
    notes,
  };
}

/** Several chat children's results as one (each child ran its own rooms). */
export function mergeChatRaw(parts: ChatLoadRaw[]): ChatLoadRaw {
  if (parts.length === 0) throw new Error('mergeChatRaw: nothing to merge');
  const sum = (pick: (p: ChatLoadRaw) => number): number => parts.reduce((total, p) => total + pick(p), 0);
  const addCounts = (pick: (p: ChatLoadRaw) => Record<string, number>): Record<string, number> => {
    const out: Record<string, number> = {};
    for (const p of parts) for (const [k, v] of Object.entries(pick(p))) out[k] = (out[k] ?? 0) + v;
    return out;
  };
  const latency = new LatencyHistogram();
  for (const p of parts) latency.merge(LatencyHistogram.fromJSON(p.latency));
  const refusalLatency = new LatencyHistogram();
  for (const p of parts) refusalLatency.merge(LatencyHistogram.fromJSON(p.refusalLatency));
  const timeline: SecondSample[] = [];
  for (const p of parts) {
    p.timeline.forEach((s, i) => {
      const t = (timeline[i] ??= { count: 0, errors: 0, sumMs: 0, maxMs: 0 });
      t.count += s.count;
      t.errors += s.errors;
      t.sumMs += s.sumMs;
      t.maxMs = Math.max(t.maxMs, s.maxMs);
    });
  }
  const first = parts[0]!;
  return {
    startedAt: parts.map((p) => p.startedAt).sort()[0]!,
    sockets: sum((p) => p.sockets),
    socketsJoined: sum((p) => p.socketsJoined),
    rooms: sum((p) => p.rooms),
    messagesPerSecond: sum((p) => p.messagesPerSecond),
    sendWindowS: Math.max(...parts.map((p) => p.sendWindowS)),
    drainS: Math.max(...parts.map((p) => p.drainS)),
    messagesSent: sum((p) => p.messagesSent),
    messagesSkipped: sum((p) => p.messagesSkipped),
    messagesAcked: sum((p) => p.messagesAcked),
    messagesRejected: addCounts((p) => p.messagesRejected),
    deliveriesInWindow: sum((p) => p.deliveriesInWindow),
    expected: sum((p) => p.expected),
    received: sum((p) => p.received),
    lost: sum((p) => p.lost),
    duplicates: sum((p) => p.duplicates),
    outOfOrder: sum((p) => p.outOfOrder),
    unackedDelivered: sum((p) => p.unackedDelivered),
    errors: addCounts((p) => p.errors),
    latency: parts.length === 1 ? first.latency : latency.toJSON(),
    refusalLatency: parts.length === 1 ? first.refusalLatency : refusalLatency.toJSON(),
    timeline,
    maxSendLagMs: Math.max(...parts.map((p) => p.maxSendLagMs)),
  };
}
