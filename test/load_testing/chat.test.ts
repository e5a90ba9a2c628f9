import { expect } from 'chai';
import { nodeOf } from '../../load_testing/chat-load.js';
import { DeliveryLedger } from '../../load_testing/delivery-ledger.js';
import { LatencyHistogram } from '../../load_testing/histogram.js';
import {
  encodeFrame,
  heartbeatFrame,
  joinFrame,
  messageBody,
  parseFrame,
  parseMessageBody,
  pushFrame,
  replyOf,
  roomOf,
  socketUrl,
  tokenProtocols,
} from '../../load_testing/phoenix-frames.js';
import { chatReport, mergeChatRaw } from '../../load_testing/summaries.js';
import type { ChatLoadRaw } from '../../load_testing/chat-load.js';

describe('load_testing chat load pieces', () => {
  it('builds the socket URL from an http or ws base', () => {
    expect(socketUrl('http://127.0.0.1:4000')).to.equal('ws://127.0.0.1:4000/socket/websocket?vsn=2.0.0');
    expect(socketUrl('https://chat.example.com/')).to.equal('wss://chat.example.com/socket/websocket?vsn=2.0.0');
    expect(tokenProtocols('a b')).to.deep.equal(['phoenix', 'base64url.bearer.phx.YSBi']);
    expect(tokenProtocols(undefined)).to.deep.equal([]);
    expect(socketUrl('ws://127.0.0.1:4000')).to.equal('ws://127.0.0.1:4000/socket/websocket?vsn=2.0.0');
    expect(() => socketUrl('ftp://x')).to.throw(/not an http/);
  });

  it('speaks Phoenix v2 frames', () => {
    expect(encodeFrame(joinFrame('1', 'room:a', 'load1'))).to.equal('["1","1","room:a","phx_join",{"user":"load1"}]');
    expect(encodeFrame(pushFrame('1', '7', 'room:a', 'hi'))).to.equal('["1","7","room:a","new_msg",{"body":"hi"}]');
    expect(encodeFrame(heartbeatFrame('9'))).to.equal('[null,"9","phoenix","heartbeat",{}]');
    const reply = parseFrame('["1","7","room:a","phx_reply",{"status":"ok","response":{"id":"x"}}]')!;
    expect(replyOf(reply)).to.deep.equal({ status: 'ok', response: { id: 'x' } });
    expect(replyOf(parseFrame('["1",null,"room:a","new_msg",{"body":"b"}]')!)).to.equal(undefined);
    for (const bad of ['nope', '[]', '[1,2,3,4,5]', '[null,null,"t","e",[]]', '{"a":1}']) expect(parseFrame(bad), bad).to.equal(undefined);
  });

  it('stamps message bodies with sender, seq and due time', () => {
    const body = messageBody({ sender: 12, seq: 3, scheduledAt: 1234.56789 });
    expect(body).to.equal('m:12:3:1234.568');
    expect(parseMessageBody(body)).to.deep.equal({ sender: 12, seq: 3, scheduledAt: 1234.568 });
    expect(parseMessageBody('hello')).to.equal(undefined);
    expect(parseMessageBody(42)).to.equal(undefined);
  });

  it('puts members of every room on every node', () => {
    const rooms = 10;
    for (let room = 0; room < rooms; room++) {
      const nodes = new Set<number>();
      for (let i = room; i < 100; i += rooms) nodes.add(nodeOf(i, rooms, 2));
      expect([...nodes].sort(), `room ${room}`).to.deep.equal([0, 1]);
    }
    expect(roomOf(13, 10, 'r-')).to.equal('r-3');
  });

  describe('DeliveryLedger', () => {
    // sockets 0,1,2 in room 0; socket 3 in room 1; socket 4 never joined
    const ledger = (): DeliveryLedger => new DeliveryLedger([0, 0, 0, 1, -1]);

    it('expects each acknowledged message once at every member, sender included', () => {
      const l = ledger();
      l.sent(0, 0);
      l.ack(0, 0);
      l.sent(3, 0);
      l.ack(3, 0);
      expect(l.expected).to.equal(4);
      for (const r of [0, 1, 2]) expect(l.receive(r, 0, 0)).to.equal('new');
      l.receive(3, 3, 0);
      expect(l.summary()).to.deep.equal({ expected: 4, received: 4, lost: 0, duplicates: 0, outOfOrder: 0, unackedDelivered: 0 });
    });

    it('counts losses per member, duplicates, reordering and unacknowledged deliveries', () => {
      const l = ledger();
      for (let seq = 0; seq < 3; seq++) l.sent(0, seq);
      l.ack(0, 0);
      l.ack(0, 1); // seq 2 never acknowledged
      l.ack(0, 1); // a repeated ack changes nothing
      l.receive(0, 0, 1);
      l.receive(0, 0, 0); // late: out of order
      l.receive(0, 0, 0); // duplicate
      l.receive(1, 0, 0);
      l.receive(1, 0, 2); // delivered though never acknowledged
      // socket 2 got nothing; socket 1 misses seq 1
      const s = l.summary();
      expect(s.expected).to.equal(6);
      expect(s.lost).to.equal(3);
      expect(s.duplicates).to.equal(1);
      expect(s.outOfOrder).to.equal(1);
      expect(s.unackedDelivered).to.equal(1);
      expect(s.received).to.equal(4);
    });
  });

  it('merges the results of several load processes', () => {
    const part = (latencies: number[], lost: number): ChatLoadRaw => {
      const h = new LatencyHistogram();
      for (const v of latencies) h.record(v);
      return {
        startedAt: '2026-01-01T00:00:00.000Z',
        sockets: 10,
        socketsJoined: 10,
        rooms: 2,
        messagesPerSecond: 10,
        sendWindowS: 10,
        drainS: 1,
        messagesSent: 100,
        messagesSkipped: 0,
        messagesAcked: 99,
        messagesRejected: { rate_limited: 1 },
        deliveriesInWindow: 400,
        expected: 495,
        received: 495 - lost,
        lost,
        duplicates: 0,
        outOfOrder: 0,
        unackedDelivered: 0,
        errors: {},
        latency: h.toJSON(),
        refusalLatency: new LatencyHistogram().toJSON(),
        timeline: [{ count: 40, errors: 0, sumMs: 40, maxMs: 2 }],
        maxSendLagMs: 3,
      };
    };
    const merged = mergeChatRaw([part([1, 2], 0), part([3, 400], 5)]);
    expect(merged).to.include({ sockets: 20, rooms: 4, messagesPerSecond: 20, lost: 5, deliveriesInWindow: 800, expected: 990 });
    expect(merged.messagesRejected).to.deep.equal({ rate_limited: 2 });
    expect(merged.timeline).to.deep.equal([{ count: 80, errors: 0, sumMs: 80, maxMs: 2 }]);
    const report = chatReport(merged, { target: 'x' });
    expect(report.deliveriesPerSec).to.equal(80);
    expect(report.latency.maxMs).to.equal(400);
    expect(report.latency.count).to.equal(4);
    expect(report.notes.join(' ')).to.include('rate_limited 2');
  });
});
