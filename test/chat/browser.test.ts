// The chat page in a real browser (Debian chromium through playwright-core) against two real
// nodes: two people on different nodes talk in one room; markup in a message stays text.
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { expect } from 'chai';
import type { Browser, Page } from 'playwright-core';
import { REPO_ROOT } from '../../bin/stack/node-process.js';
import { http } from '../support/http.js';
import { ADMIN_EMAIL, ADMIN_PASSWORD } from '../support/node-env.js';
import type { TestNode } from '../support/nodes.js';
import { launchChromium } from '../support/chromium.js';
import { waitFor } from '../support/wait.js';
import { PhoenixUser, roomHistory, socketUrl, startChatStack, type ChatStack } from './support/cluster.js';
import { startTcpProxy, type TcpProxy } from './support/tcp-proxy.js';

const OUTPUT_DIR = join(REPO_ROOT, 'test-output');
const XSS = '<img src=x onerror="window.__pwned=1">';

interface Tab {
  page: Page;
  /** Console errors, page errors and CSP violations seen so far. */
  problems: string[];
}

describe('chat page in chromium on real nodes (two plain, one with CHAT_REQUIRE_AUTH) @integration', function () {
  this.timeout(30_000);
  let stack: ChatStack | undefined;
  let browser: Browser | undefined;
  let a: TestNode;
  let b: TestNode;
  /** A node of the same cluster with CHAT_REQUIRE_AUTH=true. */
  let secure: TestNode;

  before(async function () {
    this.timeout(120_000);
    await mkdir(OUTPUT_DIR, { recursive: true });
    [stack, browser] = await Promise.all([startChatStack([{}, {}, { CHAT_REQUIRE_AUTH: 'true' }]), launchChromium()]);
    [a, b, secure] = stack.nodes as [TestNode, TestNode, TestNode];
  });

  afterEach(function () {
    if (this.currentTest?.state === 'failed') process.stderr.write(`${stack?.recentOutput(40)}\n`);
  });

  after(async function () {
    this.timeout(60_000);
    await browser?.close().catch(() => undefined);
    await stack?.stop();
  });

  async function open(node: TestNode | string): Promise<Tab> {
    const context = await browser!.newContext({ viewport: { width: 1000, height: 700 } });
    const page = await context.newPage();
    const problems: string[] = [];
    page.on('console', (message) => {
      if (message.type() === 'error') problems.push(message.text());
    });
    page.on('pageerror', (error) => problems.push(error.message));
    const response = await page.goto(`${typeof node === 'string' ? node : node.adminUrl}/`);
    expect(response?.status()).to.equal(200);
    return { page, problems };
  }

  type Who = string | { email: string; password: string };

  async function submitJoin(tab: Tab, user: Who, room: string): Promise<void> {
    if (typeof user === 'string') {
      await tab.page.fill('#user', user);
    } else {
      await tab.page.fill('#email', user.email);
      await tab.page.fill('#password', user.password);
    }
    await tab.page.fill('#room', room);
    await tab.page.click('#join');
  }

  async function joinRoom(tab: Tab, user: Who, room: string): Promise<void> {
    await submitJoin(tab, user, room);
    await tab.page.waitForSelector('#status[data-state="joined"]', { timeout: 10_000 });
  }

  async function send(tab: Tab, body: string): Promise<void> {
    await tab.page.fill('#body', body);
    await tab.page.click('#send');
    // The input clears once the server acked.
    await waitFor('the message to be acked', 10_000, async () => ((await tab.page.inputValue('#body')) === '' ? true : undefined), {
      everyMs: 50,
    });
  }

  const bodies = (tab: Tab) => tab.page.$$eval('#messages .message .body', (nodes) => nodes.map((n) => n.textContent));
  const presence = (tab: Tab) => tab.page.$$eval('#presence li .user', (nodes) => nodes.map((n) => n.textContent));

  it('two people on different nodes chat, see each other online, and markup stays text', async () => {
    const alice = await open(a);
    const bob = await open(b);
    expect(await alice.page.textContent('#node-name')).to.equal(a.name);
    expect(await bob.page.textContent('#node-name')).to.equal(b.name);

    await joinRoom(alice, 'alice', 'browser');
    await joinRoom(bob, 'bob', 'browser');
    for (const tab of [alice, bob]) {
      await waitFor('both people in the presence list', 10_000, async () =>
        JSON.stringify(await presence(tab)) === JSON.stringify(['alice', 'bob']) ? true : undefined,
      );
    }

    await send(alice, 'hello from node a');
    await waitFor("bob to see alice's message", 10_000, async () => ((await bodies(bob)).includes('hello from node a') ? true : undefined));
    await send(bob, XSS);
    for (const tab of [alice, bob]) {
      await waitFor('the markup message on both pages', 10_000, async () =>
        JSON.stringify(await bodies(tab)) === JSON.stringify(['hello from node a', XSS]) ? true : undefined,
      );
      expect(await tab.page.$$('#messages img')).to.have.length(0);
      expect(await tab.page.evaluate(() => typeof (globalThis as { __pwned?: unknown }).__pwned)).to.equal('undefined');
    }
    const users = await alice.page.$$eval('#messages .message .user', (nodes) => nodes.map((n) => n.textContent));
    expect(users).to.deep.equal(['alice', 'bob']);
    expect((await roomHistory(a, 'browser')).map((m) => m.body)).to.deep.equal(['hello from node a', XSS]);

    // A reload joins again and shows the history from the join reply.
    await bob.page.reload();
    await joinRoom(bob, 'bob', 'browser');
    await waitFor('the history after a reload', 10_000, async () => ((await bodies(bob)).length === 2 ? true : undefined));

    await alice.page.screenshot({ path: join(OUTPUT_DIR, 'chat-alice-node-a.png'), fullPage: true });
    await bob.page.screenshot({ path: join(OUTPUT_DIR, 'chat-bob-node-b.png'), fullPage: true });
    // No CSP violation, script error or failed module load on either page.
    expect(alice.problems).to.deep.equal([]);
    expect(bob.problems).to.deep.equal([]);
    await alice.page.context().close();
    await bob.page.context().close();
  });

  it('a page whose connection drops reconnects and catches up with last_seen_id', async () => {
    let proxy: TcpProxy | undefined;
    const erin = new PhoenixUser(socketUrl(b), 'reconnect', 'erin');
    try {
      proxy = await startTcpProxy(a.port);
      const dave = await open(`http://127.0.0.1:${proxy.port}`);
      const sent: string[] = [];
      const received: string[] = [];
      dave.page.on('websocket', (ws) => {
        ws.on('framesent', (frame) => sent.push(String(frame.payload)));
        ws.on('framereceived', (frame) => received.push(String(frame.payload)));
      });
      await joinRoom(dave, 'dave', 'reconnect');
      await erin.join();
      const first = await erin.send('m1');
      await waitFor('dave to see m1', 10_000, async () => ((await bodies(dave)).includes('m1') ? true : undefined));

      proxy.cut(1_000);
      await dave.page.waitForSelector('#status[data-state="reconnecting"]', { timeout: 5_000 });
      for (const body of ['m2', 'm3', 'm4']) expect(await erin.send(body)).to.have.property('id');
      await dave.page.waitForSelector('#status[data-state="joined"]', { timeout: 15_000 });
      await waitFor('dave to catch up', 10_000, async () =>
        JSON.stringify(await bodies(dave)) === JSON.stringify(['m1', 'm2', 'm3', 'm4']) ? true : undefined,
      );
      const rejoin = sent.filter((frame) => frame.includes('"phx_join"')).at(-1) ?? '';
      expect(JSON.parse(rejoin)[4]).to.deep.equal({ user: 'dave', last_seen_id: 'id' in first ? first.id : 'none' });
      const reply = received
        .map((frame) => JSON.parse(frame) as unknown[])
        .filter((f) => f[3] === 'phx_reply' && f[1] === JSON.parse(rejoin)[1]);
      expect(reply[0]?.[4]).to.have.nested.property('response.recovered', true);
      await dave.page.screenshot({ path: join(OUTPUT_DIR, 'chat-reconnected.png'), fullPage: true });
      expect(dave.problems.filter((p) => !/WebSocket|ERR_CONNECTION/.test(p))).to.deep.equal([]);
      await dave.page.context().close();
    } finally {
      await erin.close();
      await proxy?.close();
    }
  });

  it('with CHAT_REQUIRE_AUTH the page logs in and chats under the account name', async () => {
    expect((await http(`${secure.adminUrl}/api/v1/chat/rooms`)).status).to.equal(401);
    const carol = await open(a);
    const admin = await open(secure);
    expect(await admin.page.isVisible('#email')).to.equal(true);
    expect(await admin.page.isDisabled('#user')).to.equal(true);

    await joinRoom(carol, 'carol', 'secure');
    await submitJoin(admin, { email: ADMIN_EMAIL, password: 'wrong-password' }, 'secure');
    await waitFor('the login to be refused', 10_000, async () => ((await admin.page.textContent('#notice')) !== '' ? true : undefined), {
      everyMs: 50,
    });
    expect(await admin.page.getAttribute('#status', 'data-state')).to.not.equal('joined');

    await joinRoom(admin, { email: ADMIN_EMAIL, password: ADMIN_PASSWORD }, 'secure');
    await send(admin, 'signed message');
    await waitFor('carol to see the signed message', 10_000, async () =>
      (await bodies(carol)).includes('signed message') ? true : undefined,
    );
    expect(await carol.page.$$eval('#messages .message .user', (nodes) => nodes.map((n) => n.textContent))).to.deep.equal([ADMIN_EMAIL]);
    await waitFor('both in the presence list', 10_000, async () =>
      JSON.stringify(await presence(carol)) === JSON.stringify(['carol', ADMIN_EMAIL].sort()) ? true : undefined,
    );
    await admin.page.screenshot({ path: join(OUTPUT_DIR, 'chat-auth-node-c.png'), fullPage: true });
    // The failed login's 401 is the only console error allowed.
    expect(admin.problems.filter((p) => !p.includes('401'))).to.deep.equal([]);
    expect(carol.problems).to.deep.equal([]);
  });
});
