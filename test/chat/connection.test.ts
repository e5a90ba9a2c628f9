import { expect } from 'chai';
import { ChatError, MessageBatch } from '../../actors/chat/index.js';
import type { JoinRequest, JoinResult, MemberSink, RoomEvent } from '../../actors/chat/types.js';
import { AskTimeoutError } from '../../actors/kernel/index.js';
import { ChatConnection, type ChatSocketApi, DEFAULT_LIMITS, type ConnectionLimits } from '../../gateway/socket/connection.js';
import { captureLogger } from '../support/capture-logger.js';

type Sent = [string | null, string | null, string, string, Record<string, unknown>];

class FakeTransport {
  sent: Sent[] = [];
  closed: { code: number; reason: string } | undefined;
  buffered = 0;
  /** Socket writes: one per send, one per sendMany (a whole batch). */
  writes = 0;
  send(text: string): void {
    this.writes += 1;
    this.sent.push(JSON.parse(text) as Sent);
  }
  sendMany(texts: string[]): void {
    this.writes += 1;
    for (const text of texts) this.sent.push(JSON.parse(text) as Sent);
  }
  close(code: number, reason: string): void {
    this.closed = { code, reason };
  }
  bufferedAmount(): number {
    return this.buffered;
  }
  take(): Sent[] {
    const out = this.sent;
    this.sent = [];
    return out;
  }
}

/** A chat API double: joins succeed (or fail) on demand, sinks are kept for pushing events. */
class FakeChat implements ChatSocketApi {
  joins: JoinRequest[] = [];
  leaves: Array<[string, string]> = [];
  sends: Array<[string, string, string]> = [];
  sinks = new Map<string, MemberSink>();
  joinResult: (request: JoinRequest) => Promise<JoinResult> = async (request) => ({
    phxRef: `ref-${request.memberId}`,
    messages: [],
    recovered: true,
    presence: { [request.user]: { metas: [{ phx_ref: `ref-${request.memberId}`, online_at: 't', node: 'n' }] } },
  });
  sendResult: () => Promise<{ id: string }> = async () => ({ id: '000000000001' });

  join(request: JoinRequest): Promise<JoinResult> {
    this.joins.push(request);
    this.sinks.set(request.memberId, request.sink);
    return this.joinResult(request);
  }
  leave(room: string, memberId: string): void {
    this.leaves.push([room, memberId]);
  }
  send(room: string, memberId: string, body: string): Promise<{ id: string }> {
    this.sends.push([room, memberId, body]);
    return this.sendResult();
  }
}

const flush = () => new Promise((resolve) => setImmediate(resolve));

function message(seq: number, body = `m${seq}`): RoomEvent {
  return { event: 'new_msg', batch: new MessageBatch([{ room: 'r', seq, user: 'u', body, at: 't' }]) };
}

describe('chat socket connection (protocol handling)', () => {
  let transport: FakeTransport;
  let chat: FakeChat;
  let connection: ChatConnection;
  let clock: number;
  let log: ReturnType<typeof captureLogger>;

  let overloaded = false;

  function open(limits: Partial<ConnectionLimits> = {}, authUser?: string): void {
    connection = new ChatConnection({
      id: 'c1',
      chat,
      transport,
      log,
      limits: { ...DEFAULT_LIMITS, ...limits },
      now: () => clock,
      overloaded: () => overloaded,
      ...(authUser !== undefined ? { authUser } : {}),
    });
  }
  const frame = (value: unknown): void => {
    const text = JSON.stringify(value);
    connection.receiveText(text, Buffer.byteLength(text));
  };
  async function joinRoom(room: string, joinRef: string, payload: Record<string, unknown> = { user: 'ann' }): Promise<Sent[]> {
    frame([joinRef, joinRef, `room:${room}`, 'phx_join', payload]);
    await flush();
    return transport.take();
  }

  beforeEach(() => {
    transport = new FakeTransport();
    chat = new FakeChat();
    clock = 0;
    overloaded = false;
    log = captureLogger();
    open();
  });

  afterEach(() => connection.transportClosed());

  it('answers heartbeats', () => {
    frame([null, '1', 'phoenix', 'heartbeat', {}]);
    expect(transport.take()).to.deep.equal([[null, '1', 'phoenix', 'phx_reply', { status: 'ok', response: {} }]]);
  });

  it('joins a room: ok reply with history, then presence_state, then queued live events', async () => {
    let finishJoin: (result: JoinResult) => void = () => {};
    chat.joinResult = () => new Promise((resolve) => (finishJoin = resolve));
    frame(['3', '3', 'room:lobby', 'phx_join', { user: 'ann', last_seen_id: '000000000001' }]);
    expect(chat.joins[0]).to.include({ room: 'lobby', user: 'ann', lastSeenId: '000000000001', memberId: 'c1/3' });
    const sink = chat.sinks.get('c1/3')!;
    sink.deliver(message(2)); // arrives before the join reply: must wait for it
    sink.deliver(message(3));
    expect(transport.sent).to.deep.equal([]);
    const history = [{ id: '000000000002', user: 'u', body: 'm2', at: 't' }];
    finishJoin({ phxRef: 'p', messages: history, recovered: true, presence: {} });
    await flush();
    expect(transport.take()).to.deep.equal([
      ['3', '3', 'room:lobby', 'phx_reply', { status: 'ok', response: { messages: history, recovered: true } }],
      ['3', null, 'room:lobby', 'presence_state', {}],
      // m2 was in the history: not sent twice
      ['3', null, 'room:lobby', 'new_msg', { id: '000000000003', user: 'u', body: 'm3', at: 't' }],
    ]);
  });

  it('refuses other topics, bad user names and bad last_seen_id', async () => {
    frame(['1', '1', 'lobby', 'phx_join', { user: 'ann' }]);
    frame(['2', '2', 'room:bad name', 'phx_join', { user: 'ann' }]);
    frame([null, '3', 'phoenix', 'phx_join', {}]);
    expect(transport.take().map((f) => f[4])).to.deep.equal([
      { status: 'error', response: { reason: 'unmatched topic' } },
      { status: 'error', response: { reason: 'unmatched topic' } },
      { status: 'error', response: { reason: 'unmatched topic' } },
    ]);
    const [noUser] = await joinRoom('a', '4', {});
    expect(noUser![4]).to.deep.include({ status: 'error' });
    expect((noUser![4].response as Record<string, unknown>).reason).to.equal('invalid_user');
    const [badSeen] = await joinRoom('a', '5', { user: 'ann', last_seen_id: 5 });
    expect((badSeen![4].response as Record<string, unknown>).reason).to.equal('invalid_last_seen_id');
    expect(chat.joins).to.have.length(0);
  });

  it('takes the user from the token when auth is required', async () => {
    connection.transportClosed();
    open({}, 'admin@example.com');
    await joinRoom('a', '1', { user: 'someone-else' });
    expect(chat.joins[0]!.user).to.equal('admin@example.com');
  });

  it('closes the old channel on a duplicate join of the same topic', async () => {
    await joinRoom('a', '1');
    const frames = await joinRoom('a', '5');
    expect(frames[0]).to.deep.equal(['1', '1', 'room:a', 'phx_close', {}]);
    expect(frames[1]!.slice(0, 4)).to.deep.equal(['5', '5', 'room:a', 'phx_reply']);
    expect(chat.leaves).to.deep.equal([['a', 'c1/1']]);
    // Events for the old member are dropped, the new one gets its own.
    chat.sinks.get('c1/1')!.deliver(message(1));
    chat.sinks.get('c1/5')!.deliver(message(2));
    expect(transport.take().map((f) => f[0])).to.deep.equal(['5']);
  });

  it('leaves: ok reply then phx_close; pushes after that get unmatched topic', async () => {
    await joinRoom('a', '1');
    frame(['1', '2', 'room:a', 'phx_leave', {}]);
    expect(transport.take()).to.deep.equal([
      ['1', '2', 'room:a', 'phx_reply', { status: 'ok', response: {} }],
      ['1', '1', 'room:a', 'phx_close', {}],
    ]);
    expect(chat.leaves).to.deep.equal([['a', 'c1/1']]);
    frame(['1', '3', 'room:a', 'new_msg', { body: 'hi' }]);
    expect(transport.take()[0]![4]).to.deep.equal({ status: 'error', response: { reason: 'unmatched topic' } });
  });

  it('pushes new_msg and replies with the id; maps failures to reasons', async () => {
    await joinRoom('a', '1');
    frame(['1', '2', 'room:a', 'new_msg', { body: 'hello' }]);
    await flush();
    expect(chat.sends).to.deep.equal([['a', 'c1/1', 'hello']]);
    expect(transport.take()).to.deep.equal([['1', '2', 'room:a', 'phx_reply', { status: 'ok', response: { id: '000000000001' } }]]);

    frame(['1', '3', 'room:a', 'new_msg', { body: '' }]);
    frame(['1', '4', 'room:a', 'new_msg', { text: 'x' }]);
    frame(['1', '5', 'room:a', 'shout', { body: 'x' }]);
    chat.sendResult = () => Promise.reject(new ChatError('unavailable', 'store down'));
    frame(['1', '6', 'room:a', 'new_msg', { body: 'x' }]);
    chat.sendResult = () => Promise.reject(new AskTimeoutError('/chat', 10));
    frame(['1', '7', 'room:a', 'new_msg', { body: 'x' }]);
    await flush();
    const reasons = transport.take().map((f) => [f[1], (f[4].response as Record<string, unknown>).reason]);
    expect(reasons).to.deep.equal([
      ['3', 'invalid_body'],
      ['4', 'invalid_body'],
      ['5', 'unknown_event'],
      ['6', 'unavailable'],
      ['7', 'timeout'],
    ]);
  });

  it('refuses pushes overloaded at once, without reaching the room, while the node is overloaded', async () => {
    await joinRoom('a', '1');
    overloaded = true;
    frame(['1', '2', 'room:a', 'new_msg', { body: 'busy' }]);
    expect(transport.take()).to.deep.equal([
      [
        '1',
        '2',
        'room:a',
        'phx_reply',
        { status: 'error', response: { reason: 'overloaded', details: 'the server is busy; try again shortly' } },
      ],
    ]);
    expect(chat.sends).to.deep.equal([]);
    overloaded = false;
    frame(['1', '3', 'room:a', 'new_msg', { body: 'calm' }]);
    await flush();
    expect(chat.sends).to.deep.equal([['a', 'c1/1', 'calm']]);
    expect(transport.take()).to.deep.equal([['1', '3', 'room:a', 'phx_reply', { status: 'ok', response: { id: '000000000001' } }]]);
  });

  it('rate-limits pushes to 20 per second per socket', async () => {
    await joinRoom('a', '1');
    for (let i = 0; i < 25; i += 1) frame(['1', `p${i}`, 'room:a', 'new_msg', { body: `m${i}` }]);
    await flush();
    const statuses = transport.take().map((f) => (f[4].response as Record<string, unknown>).reason ?? f[4].status);
    expect(statuses.filter((s) => s === 'ok')).to.have.length(20);
    expect(statuses.filter((s) => s === 'rate_limited')).to.have.length(5);
    clock += 500; // half a second refills 10
    for (let i = 0; i < 12; i += 1) frame(['1', `q${i}`, 'room:a', 'new_msg', { body: `m${i}` }]);
    await flush();
    const later = transport.take().map((f) => f[4].status);
    expect(later.filter((s) => s === 'ok')).to.have.length(10);
    expect(chat.sends).to.have.length(30);
  });

  it('allows at most maxRooms joined rooms per socket', async () => {
    connection.transportClosed();
    open({ maxRooms: 3 });
    for (const room of ['a', 'b', 'c']) expect((await joinRoom(room, room))[0]![4].status).to.equal('ok');
    const [refused] = await joinRoom('d', 'd');
    expect((refused![4].response as Record<string, unknown>).reason).to.equal('too_many_rooms');
    // Re-joining a joined topic is not an extra room.
    const again = await joinRoom('a', 'a2');
    expect(again[1]![4].status).to.equal('ok');
  });

  it('sends phx_error when the room fails, and the socket lives on', async () => {
    await joinRoom('a', '1');
    await joinRoom('b', '2');
    chat.sinks.get('c1/1')!.fail('crashed');
    expect(transport.take()).to.deep.equal([['1', '1', 'room:a', 'phx_error', {}]]);
    expect(transport.closed).to.equal(undefined);
    frame(['2', '9', 'room:b', 'new_msg', { body: 'still here' }]);
    await flush();
    expect(transport.take()[0]![4].status).to.equal('ok');
  });

  it('replies with an error when the join fails, and cleans up the member', async () => {
    chat.joinResult = () => Promise.reject(new ChatError('unavailable', 'down'));
    const [reply] = await joinRoom('a', '1');
    expect(reply![4]).to.deep.equal({ status: 'error', response: { reason: 'unavailable', details: 'down' } });
    expect(chat.leaves).to.deep.equal([['a', 'c1/1']]);
    expect(connection.channelCount).to.equal(0);
  });

  const violations: Array<[string, string]> = [
    ['not json at all', 'not valid JSON'],
    ['{"event":"phx_join"}', 'JSON array'],
    ['["1","1","room:a","phx_join"]', '5 elements'],
    ['["1","1","room:a","phx_join",[]]', 'payload'],
  ];
  for (const [text, why] of violations) {
    it(`closes with 1008 on a malformed frame: ${why}`, async () => {
      await joinRoom('a', '1');
      connection.receiveText(text, text.length);
      expect(transport.closed).to.deep.include({ code: 1008 });
      expect(log.lines.some((l) => l.level === 'warn' && JSON.stringify(l.fields).includes(why))).to.equal(true);
      expect(chat.leaves).to.deep.equal([['a', 'c1/1']]);
    });
  }

  it('closes with 1008 on a frame over 64 KiB and on binary frames', () => {
    const big = JSON.stringify(['1', '1', 'room:a', 'new_msg', { body: 'x'.repeat(70_000) }]);
    connection.receiveText(big, Buffer.byteLength(big));
    expect(transport.closed).to.deep.include({ code: 1008 });
    transport.closed = undefined;
    open();
    connection.receiveBinary();
    expect(transport.closed).to.deep.include({ code: 1008 });
  });

  it('closes an idle socket and resets the idle timer on every frame', async () => {
    connection.transportClosed();
    open({ idleTimeoutMs: 60 });
    await new Promise((resolve) => setTimeout(resolve, 40));
    frame([null, '1', 'phoenix', 'heartbeat', {}]);
    await new Promise((resolve) => setTimeout(resolve, 40));
    expect(transport.closed).to.equal(undefined);
    await new Promise((resolve) => setTimeout(resolve, 60));
    expect(transport.closed).to.deep.include({ code: 1000, reason: 'idle timeout' });
  });

  it('closes a socket whose client does not read', async () => {
    await joinRoom('a', '1');
    transport.buffered = DEFAULT_LIMITS.maxBufferedBytes + 1;
    chat.sinks.get('c1/1')!.deliver(message(1));
    expect(transport.closed).to.deep.include({ code: 1008, reason: 'slow consumer' });
  });

  it('closes with 1001 on shutdown and leaves every room', async () => {
    await joinRoom('a', '1');
    await joinRoom('b', '2');
    connection.shutdown();
    expect(transport.closed).to.deep.equal({ code: 1001, reason: 'server shutting down' });
    expect(chat.leaves.map(([room]) => room).sort()).to.deep.equal(['a', 'b']);
  });
});
