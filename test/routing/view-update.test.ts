// Single-record changes update the routing view part by part (docs/routing.md, "Single-record
// changes"): after any sequence of changes, the updated view equals a full build of the same
// records — property-style, random changes over the acceptance fixture.
import { expect } from 'chai';
import {
  COLLECTIONS,
  COLLECTION_NAMES,
  recordsOf,
  type AnyEntity,
  type CollectionName,
  type DomainModel,
} from '../../domain/routing/entities.js';
import { seededRandom, type RandomSource } from '../../actors/routing/select.js';
import { buildRoutingView, updateRoutingViewSliced } from '../../actors/routing/view.js';
import { baseModel, loadCases, observableView } from './helpers.js';

const pick = <T>(random: RandomSource, items: readonly T[]): T => items[Math.floor(random() * items.length)]!;

/** One change as a routing actor receives it: the record's new state, a new record, or a tombstone. */
function randomChange(random: RandomSource, model: DomainModel, step: number): { model: DomainModel; collection: CollectionName } {
  const collection = pick(random, COLLECTION_NAMES);
  const list = recordsOf(model, collection) as unknown as AnyEntity[];
  const set = (next: AnyEntity[]): DomainModel => ({ ...model, [COLLECTIONS[collection].key]: next });
  if (list.length === 0) return { model, collection };
  const record = pick(random, list);
  const roll = random();
  if (roll < 0.2) return { model: set(list.filter((r) => r !== record)), collection };
  if (roll < 0.4) return { model: set([...list, { ...record, id: `${record.id}-copy${step}` }]), collection };
  // A field takes the value another record of the collection has (types stay valid, references mostly resolve).
  const donor = pick(random, list) as unknown as Record<string, unknown>;
  const field = pick(
    random,
    Object.keys(donor).filter((k) => k !== 'id'),
  );
  const changed = { ...(record as unknown as Record<string, unknown>), [field]: donor[field] } as unknown as AnyEntity;
  return { model: set(list.map((r) => (r === record ? changed : r))), collection };
}

describe('routing view: single-record changes rebuild only the affected parts', () => {
  const requests = loadCases().cases.map((c) => ({ clientIp: c.clientIp, path: c.path }));

  for (const seed of [1, 2, 3, 4, 5]) {
    it(`equals a full build after 150 random changes (seed ${seed})`, async () => {
      const random = seededRandom(seed);
      let model = baseModel();
      let view = buildRoutingView(model, 1);
      for (let step = 0; step < 150; step++) {
        // Sometimes a few changes arrive before the (debounced) update runs.
        const changed = new Set<CollectionName>();
        const batch = random() < 0.3 ? 3 : 1;
        for (let i = 0; i < batch; i++) {
          const change = randomChange(random, model, step * 3 + i);
          model = change.model;
          changed.add(change.collection);
        }
        view = await updateRoutingViewSliced(view, model, 1, changed);
        expect(observableView(view, requests), `step ${step}, changed ${[...changed].join(', ')}`).to.deep.equal(
          observableView(buildRoutingView(model, 1), requests),
        );
      }
    });
  }

  it('shares the parts no changed collection feeds', async () => {
    const model = baseModel();
    const view = buildRoutingView(model, 1);
    const programs = recordsOf(model, 'programs').map((p) => ({ ...p }));
    const next = await updateRoutingViewSliced(view, { ...model, programs }, 1, new Set<CollectionName>(['programs']));
    expect(next.subnets).to.equal(view.subnets);
    expect(next.live).to.equal(view.live);
    expect(next.serversById).to.equal(view.serversById);
    expect(next.catchup).to.not.equal(view.catchup);
    const servers = await updateRoutingViewSliced(view, model, 1, new Set<CollectionName>(['servers']));
    expect(servers.subnets).to.not.equal(view.subnets);
    expect(servers.catchup).to.not.equal(view.catchup);
    expect(servers.live).to.equal(view.live);
  });

  it('builds afresh from a view of another generation', async () => {
    const model = baseModel();
    const view = buildRoutingView(model, 1);
    const next = await updateRoutingViewSliced(view, model, 2, new Set<CollectionName>(['programs']));
    expect(next.generation).to.equal(2);
    expect(next.subnets).to.not.equal(view.subnets);
  });
});
