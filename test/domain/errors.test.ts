// errorText: every thrown value becomes a sentence that names it (a start failure once logged
// "the node could not start: null").
import { expect } from 'chai';
import { errorText } from '../../domain/errors.js';

describe('errorText', () => {
  it('gives the message of an Error', () => {
    expect(errorText(new Error('disk full'))).to.equal('disk full');
  });

  it('names an Error without a message by its name and code', () => {
    expect(errorText(Object.assign(new Error(''), { code: 'ECONNREFUSED' }))).to.equal('Error ECONNREFUSED');
    expect(errorText(new TypeError(''))).to.equal('TypeError without a message');
  });

  it('names an error whose message is "null" (a Java exception through hazelcast-client) by its class and cause', () => {
    class TargetDisconnectedError extends Error {}
    expect(errorText(new TargetDisconnectedError('null'))).to.equal('TargetDisconnectedError without a message');
    const withCause = Object.assign(new TargetDisconnectedError('null'), { cause: new Error('heartbeat timed out') });
    expect(errorText(withCause)).to.equal('TargetDisconnectedError without a message, caused by: heartbeat timed out');
  });

  it('names the inner errors of an AggregateError without a message', () => {
    const refused = (address: string) => Object.assign(new Error(`connect ECONNREFUSED ${address}`), { code: 'ECONNREFUSED' });
    expect(errorText(new AggregateError([refused('::1:5701'), refused('127.0.0.1:5701')]))).to.equal(
      'connect ECONNREFUSED ::1:5701; connect ECONNREFUSED 127.0.0.1:5701',
    );
  });

  it('says so when null or undefined was thrown', () => {
    expect(errorText(null)).to.equal('null was thrown (no error detail)');
    expect(errorText(undefined)).to.equal('undefined was thrown (no error detail)');
  });

  it('gives the message of an error-like object, else its JSON', () => {
    expect(errorText({ message: 'from a library' })).to.equal('from a library');
    expect(errorText({ code: 42 })).to.equal('{"code":42}');
    expect(errorText('plain text')).to.equal('plain text');
  });
});
