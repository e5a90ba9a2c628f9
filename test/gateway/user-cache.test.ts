// The per-node user cache (actors/auth/user-cache.ts): a change made through one node drops
// the user from every node's cache at once, through the cluster store.
import { expect } from 'chai';
import { userChangeFeed } from '../../bin/node/user-changes.js';
import { LocalCluster } from '../../cluster/local/index.js';
import { waitFor } from '../support/wait.js';
import { startHarness, type Harness } from './support/harness.js';

describe('gateway/admin: users cached per node', () => {
  let a: Harness | undefined;
  let b: Harness | undefined;
  afterEach(async () => {
    await Promise.all([a?.close(), b?.close()]);
  });

  it('serves a verified token from the cache; a change on another node is seen within moments', async () => {
    const hub = new LocalCluster();
    a = await startHarness({ changes: userChangeFeed(hub.store()) });
    b = await startHarness({ users: a.users, changes: userChangeFeed(hub.store()) });
    const admin = await a.seedUser('admin@example.com', 'admin-password', 'ADMIN');
    const manager = await a.seedUser('manager@example.com', 'manager-password', 'MANAGER');
    const managerToken = await a.login('manager@example.com', 'manager-password');
    const read = (node: Harness) => node.request('GET', `/api/v1/users/${manager.id}`, { token: managerToken });
    expect((await read(a)).status).to.equal(200);

    // Cached: a second request does not ask the store who the token is.
    a.users.calls.length = 0;
    await a.request('GET', '/api/v1/cluster/nodes', { token: managerToken });
    expect(a.users.calls).to.deep.equal([]);

    const adminToken = await b.login('admin@example.com', 'admin-password');
    const promote = await b.request('PATCH', `/api/v1/users/${manager.id}`, { token: adminToken, body: { role: 'ADMIN' } });
    expect(promote.status).to.equal(200);
    expect(admin.id).to.not.equal(manager.id);
    // Well before the cache's own 5 s freshness runs out.
    await waitFor('node a to refuse the old token', 2000, async () => ((await read(a!)).status === 401 ? true : undefined));
  });
});
