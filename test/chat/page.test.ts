// The chat page and the chat HTTP routes inside the real admin server (helmet, auth by default).
import { expect } from 'chai';
import type { ChatApi } from '../../actors/chat/index.js';
import { silentLogger } from '../../domain/log.js';
import { registerChatPage, escapeHtml } from '../../gateway/pages/index.js';
import { registerChatHttp } from '../../gateway/socket/index.js';
import { startHarness, type Harness } from '../gateway/support/harness.js';

const chat: Pick<ChatApi, 'rooms' | 'history'> = {
  rooms: async () => [{ name: 'lobby', members: 1, connections: 1, lastMessageId: null }],
  history: async () => [],
};

describe('chat page in the admin server', () => {
  let harness: Harness | undefined;

  afterEach(async () => {
    await harness?.close();
    harness = undefined;
  });

  const start = (requireAuth: boolean, nodeName = 'node-a@127.0.0.1') =>
    startHarness({
      plugins: [
        async (app) => {
          registerChatHttp(app, { chat, requireAuth, log: silentLogger });
          registerChatPage(app, { nodeName, requireAuth });
        },
      ],
    });

  it('serves the page with a strict CSP that allows its own module script and ws back to itself', async () => {
    harness = await start(false, 'n<script>"&\'');
    const page = await harness.request('GET', '/');
    expect(page.status).to.equal(200);
    expect(page.headers.get('content-type')).to.match(/^text\/html/);
    const csp = page.headers.get('content-security-policy') ?? '';
    expect(csp).to.contain("script-src 'self'").and.to.contain("connect-src 'self'").and.to.contain("default-src 'none'");
    expect(csp).to.not.contain('unsafe-inline').and.to.not.contain('upgrade-insecure-requests');
    expect(page.text).to.contain('<script type="module" src="/assets/chat.js"></script>');
    expect(page.text).to.contain('n&lt;script&gt;&quot;&amp;&#39;').and.to.not.contain('n<script>');
    expect(page.text).to.contain('data-require-auth="false"');
    // Helmet's other headers stay.
    expect(page.headers.get('x-content-type-options')).to.equal('nosniff');
  });

  it('serves the page script and the phoenix ESM build as JavaScript', async () => {
    harness = await start(false);
    const script = await harness.request('GET', '/assets/chat.js');
    expect(script.status).to.equal(200);
    expect(script.headers.get('content-type')).to.match(/^text\/javascript/);
    expect(script.text).to.contain("from './phoenix.mjs'");
    expect(script.text).to.not.contain('innerHTML');
    const phoenix = await harness.request('GET', '/assets/phoenix.mjs');
    expect(phoenix.status).to.equal(200);
    expect(phoenix.headers.get('content-type')).to.match(/^text\/javascript/);
    expect(phoenix.text).to.match(/export\s*\{[^}]*\bSocket\b/);
    expect((await harness.request('GET', '/assets/chat.css')).status).to.equal(200);
    expect((await harness.request('GET', '/assets/page.css')).status).to.equal(200);
    expect((await harness.request('GET', '/assets/nope.js')).status).to.equal(404);
  });

  it('keeps /api/v1/chat/* public without CHAT_REQUIRE_AUTH', async () => {
    harness = await start(false);
    const rooms = await harness.request('GET', '/api/v1/chat/rooms');
    expect(rooms.status).to.equal(200);
    expect(rooms.body.rooms).to.have.length(1);
    expect((await harness.request('GET', '/api/v1/chat/rooms/lobby/messages')).status).to.equal(200);
  });

  it('asks for a token on /api/v1/chat/* with CHAT_REQUIRE_AUTH, and the page shows the login fields', async () => {
    harness = await start(true);
    expect((await harness.request('GET', '/api/v1/chat/rooms')).status).to.equal(401);
    expect((await harness.request('GET', '/api/v1/chat/rooms/lobby/messages')).status).to.equal(401);
    await harness.seedUser('chat@example.test', 'a-long-password-1', 'MANAGER');
    const token = await harness.login('chat@example.test', 'a-long-password-1');
    expect((await harness.request('GET', '/api/v1/chat/rooms', { token })).status).to.equal(200);
    const page = await harness.request('GET', '/');
    expect(page.status).to.equal(200);
    expect(page.text).to.contain('data-require-auth="true"');
  });

  it('escapes every HTML special character', () => {
    expect(escapeHtml(`<a href="x">&'</a>`)).to.equal('&lt;a href=&quot;x&quot;&gt;&amp;&#39;&lt;/a&gt;');
  });
});
