import { expect } from 'chai';
import { BAD_REQUEST_BODY, NOT_FOUND_BODY } from '../../actors/routing/decide.js';
import { seededRandom } from '../../actors/routing/select.js';
import { applySetup, decideFor, loadCases, validModel, viewOf } from './helpers.js';

describe('routing: acceptance cases of fixtures/redirect-cases.json (pure decide)', () => {
  const { fixture, cases } = loadCases();
  const model = validModel(fixture);

  it('the fixture is a valid domain model', () => {
    expect(model.servers).to.have.length(4);
  });

  for (const c of cases) {
    it(`${c.name}: ${c.method} ${c.path} from ${c.clientIp} → ${c.status}`, () => {
      const view = viewOf(applySetup(model, c.setup));
      const random = seededRandom(c.name.length);
      const seen = new Set<string>();
      const statuses = new Set<number>();
      // Random choice: repeat so that every acceptable Location gets a chance to show up.
      for (let i = 0; i < 200; i++) {
        const decision = decideFor(view, c.clientIp, c.path, random, c.method);
        statuses.add(decision.status);
        if (decision.status === 302) seen.add(decision.location);
        else if (c.body !== undefined) {
          expect(decision.status === 404 ? NOT_FOUND_BODY : BAD_REQUEST_BODY).to.equal(c.body);
        }
      }
      expect([...statuses]).to.deep.equal([c.status]);
      if (c.status === 302) expect([...seen].sort()).to.deep.equal([...c.locations!].sort());
      else expect(seen.size).to.equal(0);
    });
  }
});
