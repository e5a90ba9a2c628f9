// The stored text of versioned values (cluster/codec.ts, docs/cluster.md "How map values are stored").
import { expect } from 'chai';
import { decodeVersioned, encodeVersioned } from '../../cluster/codec.js';
import type { VersionedValue } from '../../domain/ports/cluster-store.js';

describe('cluster codec: versioned values', () => {
  it('stores a string as it is after a version header, anything else as JSON', () => {
    expect(encodeVersioned({ version: 3, value: 'a "b"\nc' })).to.equal('s3:a "b"\nc');
    expect(encodeVersioned({ version: 3, value: { a: 'b' } })).to.equal('{"version":3,"value":{"a":"b"}}');
    expect(encodeVersioned({ version: 1, value: null })).to.equal('{"version":1,"value":null}');
  });

  it('decodes both forms back to what was encoded', () => {
    const entries: Array<VersionedValue<unknown>> = [
      { version: 12, value: '' },
      { version: -1.5, value: 's9:{"version":1}' },
      { version: 1e21, value: 'x:y:z' },
      { version: 2, value: { nested: ['s1:'] } },
      { version: 0, value: 7 },
    ];
    for (const entry of entries) {
      expect(decodeVersioned(encodeVersioned(entry))).to.deep.equal(entry);
    }
  });

  it('reads text written before string values were stored raw (JSON of a string value)', () => {
    expect(decodeVersioned('{"version":4,"value":"old chunk\\ntext"}')).to.deep.equal({ version: 4, value: 'old chunk\ntext' });
  });

  it('answers undefined for a malformed header, never a wrong version', () => {
    for (const raw of ['s', 's:', 's:text', 'sx:text', 's 1:text', 's1 :text', 'sInfinity:text', 'sNaN:t', 'stext without colon']) {
      expect(decodeVersioned(raw), raw).to.equal(undefined);
    }
    expect(decodeVersioned('not json')).to.equal(undefined);
    expect(decodeVersioned(42)).to.equal(undefined);
  });

  it('rejects a value JSON cannot carry', () => {
    expect(() => encodeVersioned({ version: 1, value: undefined })).to.throw(TypeError);
    expect(() => encodeVersioned({ version: 1, value: () => 1 })).to.throw(TypeError);
  });
});
