// Chat load with `ws` clients speaking Phoenix v2 frames: sockets dealt round robin over the
// nodes and the rooms, messages sent open loop on a fixed global schedule (message n is due at
// start + n / rate; latency counts from when it was due, so a lagging generator shows up as
// latency rather than hiding it), every delivery checked against the ledger. Also the idle
// "hold" run of B5: as many heartbeating sockets as a node takes.
import WebSocket from 'ws';
import { type ChatProtocol, type ChatWire, wireOf } from './chat-wire.js';
import { DeliveryLedger, type LedgerSummary } from './delivery-ledger.js';
import { LatencyHistogram, type HistogramJson } from './histogram.js';
import type { SecondSample } from './http-load.js';
import { encodeFrame, heartbeatFrame, messageBody, parseFrame, parseMessageBody, replyOf, roomOf, socketUrl } from './phoenix-frames.js';

export interface ChatLoadSpec {
  /** Base URLs of the nodes' app ports (http(s) or ws(s)); each room gets members on every node (nodeOf). */
  urls: string[];
  sockets: number;
  rooms: number;
  /** Room names are `<prefix><n>`; use a fresh prefix per run (rooms keep history). */
  roomPrefix: string;
  /** Total messages per second over all sockets. */
  messagesPerSecond: number;
  durationMs: number;
  /** Longest wait after the last send for outstanding acks and deliveries (default 15 s). */
  drainMs?: number;
  /** Sockets opening at once (default 100). */
  openConcurrency?: number;
  /** Heartbeat period per socket (default 30 s, like the phoenix client). */
  heartbeatMs?: number;
  token?: string;
  /** Beamstack's Phoenix frames (default) or Centrifugo's JSON protocol (B4's peer). */
  protocol?: ChatProtocol;
}

export interface ChatLoadRaw extends LedgerSummary {
  startedAt: string;
  sockets: number;
  socketsJoined: number;
  rooms: number;
  messagesPerSecond: number;
  sendWindowS: number;
  drainS: number;
  messagesSent: number;
  /** Due messages not sent because their socket was not joined or had closed. */
  messagesSkipped: number;
  messagesAcked: number;
  messagesRejected: Record<string, number>;
  deliveriesInWindow: number;
  errors: Record<string, number>;
  latency: HistogramJson;
  /** From sending a push to its error reply (admission control answers at once). */
  refusalLatency: HistogramJson;
  timeline: SecondSample[];
  /** How far behind its schedule the sender loop fell at worst (ms). */
  maxSendLagMs: number;
}

const CONNECT_TIMEOUT_MS = 15_000;

/**
 * The node socket `index` connects to. Sockets go to rooms round robin (index % rooms), so the
 * node advances once per round of rooms: every room gets members on every node.
 */
export function nodeOf(index: number, rooms: number, nodes: number): number {
  return Math.floor(index / rooms) % nodes;
}

interface ClientSocket {
  index: number;
  ws: WebSocket;
  room: string;
  joinRef: string;
  joined: boolean;
  closed: boolean;
  nextRef: number;
  /** ref → seq and send time of pushes waiting for their reply. */
  pending: Map<string, { seq: number; sentAt: number }>;
}

function countInto(counts: Record<string, number>, key: string): void {
  counts[key] = (counts[key] ?? 0) + 1;
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Runs `work(i)` for i in 0..count-1 with at most `limit` running at once. */
async function eachLimited(count: number, limit: number, work: (i: number) => Promise<void>): Promise<void> {
  let next = 0;
  const lane = async (): Promise<void> => {
    while (next < count) {
      const i = next++;
      await work(i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, count) }, lane));
}

/** Opens a socket; resolves once open, rejects with a short reason. */
function openSocket(url: string, protocols: string[] = []): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, protocols, { perMessageDeflate: false, handshakeTimeout: CONNECT_TIMEOUT_MS });
    const fail = (reason: string): void => {
      ws.removeAllListeners();
      ws.on('error', () => {});
      ws.terminate();
      reject(new Error(reason));
    };
    ws.once('open', () => {
      ws.removeAllListeners('error');
      resolve(ws);
    });
    ws.once('unexpected-response', (_req, res) => fail(`HTTP ${res.statusCode} on upgrade`));
    ws.once('error', (error: NodeJS.ErrnoException) => fail(error.code ?? error.message));
  });
}

export async function runChatLoad(spec: ChatLoadSpec): Promise<ChatLoadRaw> {
  if (spec.urls.length === 0) throw new Error('runChatLoad: no node URLs');
  if (spec.sockets < 1 || spec.rooms < 1 || spec.messagesPerSecond <= 0)
    throw new Error('runChatLoad: sockets, rooms and rate must be positive');
  const heartbeatMs = spec.heartbeatMs ?? 30_000;
  const wire: ChatWire = wireOf(spec.protocol);
  const errors: Record<string, number> = {};
  const rejected: Record<string, number> = {};
  const latency = new LatencyHistogram();
  const refusalLatency = new LatencyHistogram();
  const timeline: SecondSample[] = [];
  const roomIndex = (i: number): number => i % spec.rooms;
  const clients = new Array<ClientSocket | undefined>(spec.sockets);
  // eslint-disable-next-line prefer-const -- assigned once below; callbacks made before then read it
  let ledger: DeliveryLedger | undefined;
  let sendStart = 0;
  let sendEnd = Number.POSITIVE_INFINITY;
  let deliveriesInWindow = 0;
  let acked = 0;

  const second = (): SecondSample => {
    const s = Math.max(0, Math.floor((performance.now() - sendStart) / 1000));
    while (timeline.length <= s) timeline.push({ count: 0, errors: 0, sumMs: 0, maxMs: 0 });
    return timeline[s]!;
  };

  const onFrame = (client: ClientSocket, text: string): void => {
    for (const event of wire.parse(text, client.room)) {
      switch (event.kind) {
        case 'unparseable':
          countInto(errors, 'unparseable frame');
          break;
        case 'message':
          onMessage(client, event.body);
          break;
        case 'reply': {
          const pending = client.pending.get(event.ref);
          if (pending === undefined) break; // join or heartbeat reply (handled where sent)
          client.pending.delete(event.ref);
          if (event.ok) {
            acked++;
            ledger?.ack(client.index, pending.seq);
          } else {
            refusalLatency.record(performance.now() - pending.sentAt);
            countInto(rejected, event.reason);
            second().errors++;
          }
          break;
        }
        case 'channel-lost':
          client.joined = false;
          countInto(errors, 'channel lost');
          break;
        case 'ping': {
          const pong = wire.pong();
          if (pong !== undefined && !client.closed) client.ws.send(pong);
          break;
        }
        case 'ignored':
          break;
      }
    }
  };

  const onMessage = (client: ClientSocket, body: unknown): void => {
    const stamp = parseMessageBody(body);
    if (stamp === undefined || ledger === undefined || sendStart === 0) return; // someone else's message
    const now = performance.now();
    if (ledger.receive(client.index, stamp.sender, stamp.seq) === 'duplicate') return;
    const ms = now - stamp.scheduledAt;
    latency.record(ms);
    const s = second();
    s.count++;
    s.sumMs += ms;
    if (ms > s.maxMs) s.maxMs = ms;
    if (now <= sendEnd) deliveriesInWindow++;
  };

  // 1. Open and join every socket.
  const startedAt = new Date().toISOString();
  await eachLimited(spec.sockets, spec.openConcurrency ?? 100, async (i) => {
    let ws: WebSocket;
    try {
      ws = await openSocket(wire.url(spec.urls[nodeOf(i, spec.rooms, spec.urls.length)]!), wire.protocols(spec.token));
    } catch (error) {
      countInto(errors, `connect: ${(error as Error).message}`);
      return;
    }
    const client: ClientSocket = {
      index: i,
      ws,
      room: roomOf(i, spec.rooms, spec.roomPrefix),
      joinRef: '1',
      joined: false,
      closed: false,
      nextRef: 2,
      pending: new Map(),
    };
    clients[i] = client;
    const joined = new Promise<string | undefined>((resolve) => {
      const timer = setTimeout(() => resolve('join timed out'), CONNECT_TIMEOUT_MS);
      ws.on('message', (data: WebSocket.RawData) => {
        const text = data.toString();
        if (!client.joined) {
          const reply = wire.parse(text, client.room).find((e) => e.kind === 'reply' && e.ref === client.joinRef);
          if (reply !== undefined && reply.kind === 'reply') {
            clearTimeout(timer);
            if (reply.ok) {
              client.joined = true;
              resolve(undefined);
            } else resolve(`join refused: ${reply.reason}`);
            return;
          }
        }
        onFrame(client, text);
      });
    });
    ws.on('close', (code) => {
      client.closed = true;
      client.joined = false;
      if (sendStart !== 0) countInto(errors, `closed by server (${code})`);
    });
    ws.on('error', (error: NodeJS.ErrnoException) => countInto(errors, `socket: ${error.code ?? error.message}`));
    for (const frame of wire.join(client.joinRef, client.room, `load${i}`)) ws.send(frame);
    const problem = await joined;
    if (problem !== undefined) countInto(errors, problem);
  });

  const members = clients.map((c, i) => (c?.joined === true ? roomIndex(i) : -1));
  const socketsJoined = members.filter((r) => r >= 0).length;
  ledger = new DeliveryLedger(members);
  await sleep(500); // let the join storm's presence diffs settle before the clock starts

  // 2. Heartbeats, spread over the period.
  let heartbeatCursor = 0;
  const heartbeatTick = 100;
  const heartbeats = setInterval(() => {
    const perTick = Math.ceil((spec.sockets * heartbeatTick) / heartbeatMs);
    for (let k = 0; k < perTick; k++) {
      const client = clients[heartbeatCursor];
      heartbeatCursor = (heartbeatCursor + 1) % spec.sockets;
      const beat = client === undefined || client.closed ? undefined : wire.heartbeat(String(client.nextRef++));
      if (beat !== undefined) client!.ws.send(beat);
    }
  }, heartbeatTick);

  // 3. Send on the global schedule.
  const intervalMs = 1000 / spec.messagesPerSecond;
  const total = Math.floor((spec.durationMs / 1000) * spec.messagesPerSecond);
  const seqOf = new Array<number>(spec.sockets).fill(0);
  let sent = 0;
  let skipped = 0;
  let maxSendLagMs = 0;
  let n = 0;
  sendStart = performance.now();
  await new Promise<void>((resolve) => {
    const tick = (): void => {
      const now = performance.now();
      while (n < total && sendStart + n * intervalMs <= now) {
        const scheduledAt = sendStart + n * intervalMs;
        maxSendLagMs = Math.max(maxSendLagMs, now - scheduledAt);
        const sender = n % spec.sockets;
        n++;
        const client = clients[sender];
        if (client === undefined || !client.joined || client.closed) {
          skipped++;
          continue;
        }
        const seq = seqOf[sender]!++;
        const ref = String(client.nextRef++);
        client.pending.set(ref, { seq, sentAt: now });
        ledger.sent(sender, seq);
        client.ws.send(wire.push(client.joinRef, ref, client.room, messageBody({ sender, seq, scheduledAt })));
        sent++;
      }
      if (n >= total) resolve();
      else setTimeout(tick, Math.max(0, Math.min(5, sendStart + n * intervalMs - performance.now())));
    };
    tick();
  });
  sendEnd = performance.now();

  // 4. Drain: wait for outstanding replies and deliveries (or give up after drainMs).
  const drainDeadline = sendEnd + (spec.drainMs ?? 15_000);
  const outstanding = (): number => clients.reduce((sum, c) => sum + (c === undefined || c.closed ? 0 : c.pending.size), 0);
  // Deliveries of unacknowledged pushes count in `received`, so completeness is judged on the
  // acknowledged ones (summary() walks them: fine every 250 ms).
  while (performance.now() < drainDeadline && (outstanding() > 0 || ledger.summary().lost > 0)) await sleep(250);
  const drainS = (performance.now() - sendEnd) / 1000;
  clearInterval(heartbeats);
  const pendingAtEnd = outstanding();
  if (pendingAtEnd > 0) errors['no reply to push'] = pendingAtEnd;

  for (const client of clients) {
    if (client === undefined) continue;
    client.ws.removeAllListeners('close');
    client.ws.on('error', () => {});
    client.ws.terminate();
  }

  const summary = ledger.summary();
  return {
    startedAt,
    sockets: spec.sockets,
    socketsJoined,
    rooms: spec.rooms,
    messagesPerSecond: spec.messagesPerSecond,
    sendWindowS: (sendEnd - sendStart) / 1000,
    drainS,
    messagesSent: sent,
    messagesSkipped: skipped,
    messagesAcked: acked,
    messagesRejected: rejected,
    deliveriesInWindow,
    expected: summary.expected,
    received: summary.received,
    lost: summary.lost,
    duplicates: summary.duplicates,
    outOfOrder: summary.outOfOrder,
    unackedDelivered: summary.unackedDelivered,
    errors,
    latency: latency.toJSON(),
    refusalLatency: refusalLatency.toJSON(),
    timeline,
    maxSendLagMs,
  };
}

// ---------------------------------------------------------------- hold (B5)

export interface ChatHoldSpec {
  url: string;
  sockets: number;
  heartbeatMs: number;
  openConcurrency?: number;
  /** Stop opening after this many failures in a row (the node or this process is at a limit). */
  giveUpAfterFailures?: number;
}

export interface ChatHoldResult {
  requested: number;
  opened: number;
  failedToOpen: number;
  failures: Record<string, number>;
  openSeconds: number;
  /** Sockets the server closed while they were held. */
  closedWhileHeld: number;
  heartbeatsSent: number;
  heartbeatsAnswered: number;
  heldSeconds: number;
}

/**
 * Opens up to `sockets` idle sockets to one node, reports `{ phase: 'held', opened }` through
 * `progress`, heartbeats them until `released` resolves, then closes them all.
 */
export async function holdChatSockets(
  spec: ChatHoldSpec,
  progress: (data: Record<string, unknown>) => void,
  released: Promise<void>,
): Promise<ChatHoldResult> {
  const url = socketUrl(spec.url);
  const sockets: WebSocket[] = [];
  const failures: Record<string, number> = {};
  let failedToOpen = 0;
  let failuresInARow = 0;
  let closedWhileHeld = 0;
  let heartbeatsAnswered = 0;
  let heartbeatsSent = 0;
  let holding = true;
  const giveUp = spec.giveUpAfterFailures ?? 200;
  const openStart = performance.now();
  await eachLimited(spec.sockets, spec.openConcurrency ?? 200, async () => {
    if (failuresInARow >= giveUp) return;
    try {
      const ws = await openSocket(url);
      failuresInARow = 0;
      sockets.push(ws);
      ws.on('message', (data: WebSocket.RawData) => {
        const frame = parseFrame(data.toString());
        if (frame !== undefined && frame[2] === 'phoenix' && replyOf(frame)?.status === 'ok') heartbeatsAnswered++;
      });
      ws.on('close', () => {
        if (holding) closedWhileHeld++;
      });
      ws.on('error', () => {});
    } catch (error) {
      failedToOpen++;
      failuresInARow++;
      countInto(failures, (error as Error).message);
    }
  });
  const openSeconds = (performance.now() - openStart) / 1000;
  progress({ phase: 'held', opened: sockets.length, failedToOpen });

  const heldStart = performance.now();
  let cursor = 0;
  const tickMs = 100;
  const timer = setInterval(() => {
    const perTick = Math.ceil((sockets.length * tickMs) / spec.heartbeatMs);
    for (let k = 0; k < perTick && sockets.length > 0; k++) {
      const ws = sockets[cursor]!;
      cursor = (cursor + 1) % sockets.length;
      if (ws.readyState === WebSocket.OPEN) {
        ws.send(encodeFrame(heartbeatFrame(String(++heartbeatsSent))));
      }
    }
  }, tickMs);
  await released;
  holding = false;
  clearInterval(timer);
  const heldSeconds = (performance.now() - heldStart) / 1000;
  for (const ws of sockets) ws.terminate();
  return {
    requested: spec.sockets,
    opened: sockets.length,
    failedToOpen,
    failures,
    openSeconds,
    closedWhileHeld,
    heartbeatsSent,
    heartbeatsAnswered,
    heldSeconds,
  };
}
