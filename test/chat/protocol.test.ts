import { expect } from 'chai';
import {
  encodeBroadcast,
  encodeBroadcastJson,
  encodeChannelEnd,
  encodeFrame,
  encodeReply,
  parseFrame,
  PHX_CLOSE,
  PHX_ERROR,
} from '../../gateway/socket/protocol.js';

describe('chat protocol (Phoenix v2 frames)', () => {
  it('parses a join frame as the phoenix client sends it', () => {
    const result = parseFrame('["3","3","room:lobby","phx_join",{"user":"ann"}]');
    expect(result).to.deep.equal({
      ok: true,
      frame: { joinRef: '3', ref: '3', topic: 'room:lobby', event: 'phx_join', payload: { user: 'ann' } },
    });
  });

  it('parses a heartbeat with a null join_ref', () => {
    const result = parseFrame('[null,"7","phoenix","heartbeat",{}]');
    expect(result.ok).to.equal(true);
    if (result.ok) expect(result.frame.joinRef).to.equal(null);
  });

  const bad: Array<[string, string]> = [
    ['not json', 'not valid JSON'],
    ['{"topic":"x"}', 'JSON array'],
    ['["1","1","t","e"]', '5 elements'],
    ['["1","1","t","e",{},1]', '5 elements'],
    ['[1,"1","t","e",{}]', 'join_ref'],
    ['["1",2,"t","e",{}]', 'ref'],
    ['["1","1","","e",{}]', 'topic'],
    ['["1","1",5,"e",{}]', 'topic'],
    ['["1","1","t",null,{}]', 'event'],
    ['["1","1","t","e",[]]', 'payload'],
    ['["1","1","t","e",null]', 'payload'],
    ['["1","1","t","e","x"]', 'payload'],
    [`["${'9'.repeat(65)}","1","t","e",{}]`, 'join_ref'],
  ];
  for (const [text, reason] of bad) {
    it(`rejects ${text.slice(0, 30)} (${reason})`, () => {
      const result = parseFrame(text);
      expect(result.ok).to.equal(false);
      if (!result.ok) expect(result.reason).to.contain(reason);
    });
  }

  it('encodes replies with the push join_ref, ref and topic', () => {
    const reply = encodeReply({ joinRef: '3', ref: '4', topic: 'room:a' }, 'ok', { id: '000000000001' });
    expect(JSON.parse(reply)).to.deep.equal(['3', '4', 'room:a', 'phx_reply', { status: 'ok', response: { id: '000000000001' } }]);
    expect(JSON.parse(encodeReply({ joinRef: null, ref: '9', topic: 'phoenix' }, 'ok'))).to.deep.equal([
      null,
      '9',
      'phoenix',
      'phx_reply',
      { status: 'ok', response: {} },
    ]);
  });

  it('encodes broadcasts with a null ref, also from pre-serialized payloads', () => {
    const payload = { id: '000000000002', user: 'bob', body: 'hi "there"', at: '2026-01-01T00:00:00.000Z' };
    const plain = encodeBroadcast('5', 'room:a', 'new_msg', payload);
    expect(JSON.parse(plain)).to.deep.equal(['5', null, 'room:a', 'new_msg', payload]);
    expect(encodeBroadcastJson('5', 'room:a', 'new_msg', JSON.stringify(payload))).to.equal(plain);
  });

  it('encodes phx_close and phx_error with the join_ref as ref', () => {
    expect(JSON.parse(encodeChannelEnd('5', 'room:a', PHX_CLOSE))).to.deep.equal(['5', '5', 'room:a', 'phx_close', {}]);
    expect(JSON.parse(encodeChannelEnd('5', 'room:a', PHX_ERROR))).to.deep.equal(['5', '5', 'room:a', 'phx_error', {}]);
  });

  it('round-trips a frame', () => {
    const frame = { joinRef: '1', ref: '2', topic: 'room:x', event: 'new_msg', payload: { body: 'é 😀' } };
    const parsed = parseFrame(encodeFrame(frame));
    expect(parsed).to.deep.equal({ ok: true, frame });
  });
});
