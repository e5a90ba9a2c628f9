// The node's routing view holder (actors/routing/view-holder.ts): the redirect path reads it
// with forRequest(), which notes that redirects are being served — background work on the
// view rests between its slices only then (docs/routing.md, "A hot path that never waits").
import { expect } from 'chai';
import { RoutingViewHolder } from '../../actors/routing/view-holder.js';

describe('routing: view holder', () => {
  it('has served nothing before the first forRequest', () => {
    const holder = new RoutingViewHolder();
    holder.current();
    expect(holder.servedWithin(1000)).to.equal(false);
  });

  it('forRequest returns the current view and notes when a redirect was last served', () => {
    const holder = new RoutingViewHolder();
    const before = performance.now();
    expect(holder.forRequest()).to.equal(holder.current());
    expect(holder.servedWithin(1000)).to.equal(true);
    expect(holder.servedWithin(1000, before + 900)).to.equal(true);
    expect(holder.servedWithin(1000, performance.now() + 1001)).to.equal(false);
  });
});
