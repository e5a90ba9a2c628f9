// The Observer API (docs/console.md, docs/api.md) on a two-node cluster: every node's tree
// read from either node through the cluster store, an ADMIN's stop seen restarted with its
// reason, singletons, maps with generation, the live streams, and MANAGER refused the stop.
import { expect } from 'chai';
import { useClusterHarness, type ClusterHarness, type HarnessNode } from '../support/cluster-harness.js';
import { waitFor } from '../support/wait.js';

interface Actor {
  path: string;
  name: string;
  kind: string;
  depth: number;
  state: string;
  restarts: number;
  lastRestartReason?: string;
  mailbox: number;
  messagesPerSecond: number;
}

const ROUTING_VIEW = '/node/routing/routing-view';

async function tree(h: ClusterHarness, via: HarnessNode, of: HarnessNode, token?: string): Promise<{ node: string; actors: Actor[] }> {
  const res = await h.api(via, 'GET', `/api/v1/observer/nodes/${encodeURIComponent(of.name)}/tree`, token ? { token } : {});
  expect(res.status, res.text).to.equal(200);
  return res.body;
}

/** The first `snapshot` event of a server-sent event stream. */
async function firstSnapshot(url: string, token: string): Promise<{ contentType: string | null; data: any }> {
  const controller = new AbortController();
  const res = await fetch(url, { headers: { authorization: `Bearer ${token}` }, signal: controller.signal });
  const reader = res.body!.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = '';
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) throw new Error(`the stream ended before a snapshot: ${buffer}`);
      buffer += value;
      const match = /event: snapshot\ndata: (.*)\n\n/.exec(buffer);
      if (match) return { contentType: res.headers.get('content-type'), data: JSON.parse(match[1]!) };
    }
  } finally {
    controller.abort();
  }
}

describe('Observer API on two nodes @integration', function () {
  this.timeout(60_000);
  const h = useClusterHarness({ nodes: 2 });
  let a: HarnessNode;
  let b: HarnessNode;
  let managerToken: string;

  before(async () => {
    [a, b] = [h.nodes[0]!, h.nodes[1]!];
    const created = await h.api(a, 'POST', '/api/v1/users', {
      body: { email: 'mona@example.com', password: 'manager-password', role: 'MANAGER' },
    });
    expect(created.status, created.text).to.equal(201);
    managerToken = await h.login(a, 'mona@example.com', 'manager-password');
  });

  it("answers for the other node's tree: every actor with kind, state, restarts, mailbox and rate", async () => {
    const remote = await tree(h, a, b);
    expect(remote.node).to.equal(b.name);
    const paths = remote.actors.map((x) => x.path);
    expect(paths[0]).to.equal('/node');
    expect(paths).to.include.members(['/node/cluster', '/node/routing', ROUTING_VIEW, '/node/chat', '/node/scheduling']);
    const node = remote.actors[0]!;
    expect(node).to.include({ name: 'node', kind: 'supervisor', depth: 0, state: 'running' });
    const view = remote.actors.find((x) => x.path === ROUTING_VIEW)!;
    expect(view).to.include({ depth: 2, state: 'running', restarts: 0 });
    expect(view.mailbox).to.be.a('number');
    expect(view.messagesPerSecond).to.be.a('number');
    // The local one answers too, and names itself.
    expect((await tree(h, a, a)).node).to.equal(a.name);
  });

  it('an ADMIN stops a routing actor on the other node; its supervisor restarts it with the reason', async () => {
    const res = await h.api(a, 'POST', `/api/v1/observer/nodes/${encodeURIComponent(b.name)}/actors/stop`, {
      body: { path: ROUTING_VIEW },
    });
    expect(res.status, res.text).to.equal(202);
    expect(res.body).to.deep.equal({ node: b.name, path: ROUTING_VIEW, reason: 'stopped by ops-admin@example.test from the console' });
    await waitFor('the restarted routing view', 10_000, async () => {
      const view = (await tree(h, a, b)).actors.find((x) => x.path === ROUTING_VIEW);
      return view?.restarts === 1 && view.state === 'running' && view.lastRestartReason === res.body.reason;
    });
    // The node still routes (the view came back with fresh state).
    const ready = await fetch(`${b.adminUrl}/ready`);
    expect(ready.status).to.equal(200);
  });

  it('refuses bad stops with a clear message: unknown node, unknown actor, a top-level actor, a bad body', async () => {
    const unknownNode = await h.api(a, 'POST', '/api/v1/observer/nodes/nobody/actors/stop', { body: { path: ROUTING_VIEW } });
    expect(unknownNode.status).to.equal(404);
    expect(unknownNode.body.message).to.include('nobody');
    const unknownActor = await h.api(a, 'POST', `/api/v1/observer/nodes/${encodeURIComponent(b.name)}/actors/stop`, {
      body: { path: '/node/nope' },
    });
    expect(unknownActor.status).to.equal(404);
    expect(unknownActor.body.message).to.include('/node/nope');
    const top = await h.api(a, 'POST', `/api/v1/observer/nodes/${encodeURIComponent(b.name)}/actors/stop`, { body: { path: '/node' } });
    expect(top.status).to.equal(400);
    expect(top.body.message).to.include('top-level');
    const bad = await h.api(a, 'POST', `/api/v1/observer/nodes/${encodeURIComponent(a.name)}/actors/stop`, {
      body: { path: 'x', extra: 1 },
    });
    expect(bad.status).to.equal(400);
    expect(bad.body.details.map((d: { path: string }) => d.path)).to.include('body.path');
  });

  it('MANAGER reads the tree but is refused the stop', async () => {
    expect((await tree(h, b, a, managerToken)).node).to.equal(a.name);
    const res = await h.api(b, 'POST', `/api/v1/observer/nodes/${encodeURIComponent(a.name)}/actors/stop`, {
      token: managerToken,
      body: { path: ROUTING_VIEW },
    });
    expect(res.status).to.equal(403);
    const none = await h.api(b, 'GET', `/api/v1/observer/nodes/${encodeURIComponent(a.name)}/tree`, { token: null });
    expect(none.status).to.equal(401);
  });

  it('lists the singletons with their holders and the maps with counts and generation', async () => {
    const singletons = await h.api(b, 'GET', '/api/v1/observer/singletons');
    expect(singletons.status).to.equal(200);
    const names = singletons.body.singletons.map((s: { name: string }) => s.name);
    expect(names).to.include('singleton.healthcheck');
    for (const s of singletons.body.singletons) expect([a.name, b.name]).to.include(s.holder);

    const region = await h.api(a, 'POST', '/api/v1/regions', { body: { name: 'observer-region', status: 'ACTIVE' } });
    expect(region.status, region.text).to.equal(201);
    const maps = await h.api(b, 'GET', '/api/v1/observer/maps');
    expect(maps.status).to.equal(200);
    const generation = maps.body.generation as number;
    expect(generation).to.be.a('number');
    const regions = maps.body.maps.find((m: { name: string }) => m.name === `domain.g${generation}.regions`);
    expect(regions).to.deep.equal({ name: `domain.g${generation}.regions`, entries: 1, generation });
    expect(maps.body.maps.map((m: { name: string }) => m.name)).to.include.members(['domain.meta', 'chat.presence', 'cluster.jobs']);
  });

  it('streams the tree and the overview as server-sent events', async () => {
    const token = await h.adminToken();
    const live = await firstSnapshot(`${a.adminUrl}/api/v1/observer/nodes/${encodeURIComponent(b.name)}/tree/events`, token);
    expect(live.contentType).to.match(/^text\/event-stream/);
    expect(live.data.node).to.equal(b.name);
    const overview = await firstSnapshot(`${b.adminUrl}/api/v1/observer/overview/events`, token);
    expect(overview.data.nodes.map((n: { name: string }) => n.name).sort()).to.deep.equal([a.name, b.name].sort());
    expect(overview.data.maps.generation).to.be.a('number');
    // Each node's own figures, read on that node through the cluster store.
    for (const node of overview.data.nodes) {
      expect(node.stats, node.statsError).to.include({ node: node.name, ready: true, generation: overview.data.maps.generation });
      expect(node.stats.down).to.deep.equal([]);
      expect(node.stats.redirects).to.be.a('number');
    }
    expect(overview.data.summary.edges).to.have.keys(['up', 'down', 'inactive']);
    expect(overview.data.summary.chat).to.have.keys(['rooms', 'members', 'connections']);
  });

  it('documents the routes in the OpenAPI document', async () => {
    const doc = await h.api(a, 'GET', '/api/v1/openapi.json');
    expect(Object.keys(doc.body.paths)).to.include.members([
      '/api/v1/observer/nodes/{node}/tree',
      '/api/v1/observer/nodes/{node}/actors/stop',
      '/api/v1/observer/singletons',
      '/api/v1/observer/maps',
      '/api/v1/domain/schemas',
      '/api/v1/observer/overview/events',
      '/api/v1/observer/chat/events',
    ]);
  });
});
