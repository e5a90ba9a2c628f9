// The bulk replace's validation worker (actors/routing/domain-model/validate-off-loop.ts): the
// records handed out while it still validates, the verdict, and the spare worker booted ahead.
import { expect } from 'chai';
import { COLLECTION_NAMES, COLLECTIONS, recordsOf, type DomainModel } from '../../domain/routing/entities.js';
import { validateDomainModel } from '../../domain/routing/validate.js';
import { DomainError } from '../../actors/routing/errors.js';
import {
  RawJsonBody,
  ValidationStream,
  prepareValidationWorker,
  type ValidatedSlice,
} from '../../actors/routing/domain-model/validate-off-loop.js';
import { generateDomainModel } from '../../load_testing/fixture-model.js';
import { readdirSync, readFileSync } from 'node:fs';
import { getPriority } from 'node:os';
import { waitFor } from '../support/wait.js';

const body = (doc: unknown): RawJsonBody => new RawJsonBody(Buffer.from(JSON.stringify(doc)));

async function drain(stream: ValidationStream): Promise<ValidatedSlice[]> {
  const slices: ValidatedSlice[] = [];
  try {
    for await (const slice of stream) slices.push(slice);
    return slices;
  } finally {
    stream.close();
  }
}

/** The records of a validated model as the store gets them: without derived fields. */
function storedForm(model: DomainModel): Map<string, unknown[]> {
  return new Map(
    COLLECTION_NAMES.map((collection) => [
      collection,
      recordsOf(model, collection).map((record) => {
        const out: Record<string, unknown> = { ...record };
        for (const field of COLLECTIONS[collection].derived) delete out[field];
        return out;
      }),
    ]),
  );
}

/** Each thread of this process with its niceness (Linux: /proc/self/task/<tid>/stat, field 19). */
function threadNiceness(): Map<number, number> {
  const out = new Map<number, number>();
  for (const tid of readdirSync('/proc/self/task').map(Number)) {
    try {
      const stat = readFileSync(`/proc/self/task/${tid}/stat`, 'utf8');
      out.set(tid, Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[16]));
    } catch {
      // the thread ended meanwhile
    }
  }
  return out;
}

describe('routing: the validation stream of a bulk replace', function () {
  this.timeout(30_000);
  const doc = generateDomainModel({ seed: 5, subnets: 2500, servers: 40, channels: 30, records: 1500 });
  const expected = validateDomainModel(doc);

  it('hands out every normalized record collection by collection, in slices, and ends once the model is valid', async () => {
    if (!expected.ok) throw new Error('the generated model should be valid');
    const slices = await drain(new ValidationStream(body(doc)));
    expect(slices.length).to.be.greaterThan(COLLECTION_NAMES.filter((c) => recordsOf(doc, c).length > 0).length);
    const order = slices.map((s) => COLLECTION_NAMES.indexOf(s.collection));
    expect(order).to.deep.equal([...order].sort((a, b) => a - b));
    const got = new Map<string, unknown[]>(COLLECTION_NAMES.map((c) => [c, []]));
    for (const slice of slices) got.get(slice.collection)!.push(...slice.records);
    expect(got).to.deep.equal(storedForm(expected.model));
  });

  it('a spare worker booted ahead validates the same way, twice in a row', async () => {
    for (let round = 0; round < 2; round++) {
      prepareValidationWorker();
      const slices = await drain(new ValidationStream(body(doc)));
      expect(slices.reduce((sum, s) => sum + s.records.length, 0)).to.equal(
        COLLECTION_NAMES.reduce((sum, c) => sum + recordsOf(doc, c).length, 0),
      );
    }
  });

  it('the worker runs below the serving thread: on Linux its own thread at niceness 10, elsewhere the process untouched', async () => {
    const processPriority = getPriority();
    if (process.platform === 'linux') {
      const before = threadNiceness();
      prepareValidationWorker();
      const lowered = await waitFor('a new thread at niceness 10', 10_000, () =>
        [...threadNiceness()].find(([tid, nice]) => !before.has(tid) && nice === 10),
      );
      expect(lowered).to.not.equal(undefined);
      expect(threadNiceness().get(process.pid)).to.equal(before.get(process.pid));
    } else {
      // A niceness is the whole process's there: the worker must leave it alone.
      prepareValidationWorker();
    }
    const slices = await drain(new ValidationStream(body(doc)));
    expect(slices.length).to.be.greaterThan(0);
    expect(getPriority()).to.equal(processPriority);
  });

  it('a model found invalid after records were handed out: the iteration throws INVALID naming the problem', async () => {
    const last = doc.programRecords.length - 1;
    const bad = { ...doc, programRecords: doc.programRecords.map((r, i) => (i === last ? { ...r, serverId: 'nowhere' } : r)) };
    const stream = new ValidationStream(body(bad));
    let handedOut = 0;
    try {
      for await (const slice of stream) handedOut += slice.records.length;
      expect.fail('should throw');
    } catch (err) {
      expect(err).to.be.instanceOf(DomainError);
      expect((err as DomainError).code).to.equal('INVALID');
      expect((err as DomainError).message).to.match(new RegExp(`programRecords\\[${last}\\]\\.serverId`));
      const explained = await stream.explain(new Error('the store is down'));
      expect((explained as DomainError).message).to.equal((err as DomainError).message);
    } finally {
      stream.close();
    }
    expect(handedOut, 'records handed out before the verdict').to.be.greaterThan(0);
  });

  it('explain: INVALID for a body that is not JSON, whatever else failed; the other failure for a valid model', async () => {
    const broken = new ValidationStream(new RawJsonBody(Buffer.from('{"regions": [')));
    const explained = await broken.explain(new Error('the store is down'));
    broken.close();
    expect(explained).to.be.instanceOf(DomainError);
    expect((explained as DomainError).message).to.match(/is not valid JSON/);

    const valid = new ValidationStream(body(doc));
    const failure = new Error('the store is down');
    expect(await valid.explain(failure)).to.equal(failure);
    valid.close();
  });
});
