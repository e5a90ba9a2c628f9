// The operator console in Chromium (playwright-core) on a two-node cluster, walked as an
// operator would (docs/console.md): keyboard-only login, the domain model built through the
// generic forms (a validation error at its field, a refused delete explained, a hostile name
// shown as text), routing explain in the console checked against a real redirect, a rejoin
// followed to its end, the Observer of the other node stopping a routing actor and showing it
// restarted with its reason, and MANAGER without ADMIN-only actions. Every page gets a
// screenshot under test-output/console and an axe-core check (no serious/critical violation).
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { launchChromium } from '../support/chromium.js';
import { ADMIN_EMAIL, ADMIN_PASSWORD } from '../support/node-env.js';
import { startClusterHarness, type ClusterHarness, type HarnessNode } from '../support/cluster-harness.js';
import { waitFor } from '../support/wait.js';
import { PhoenixUser, socketUrl } from '../chat/support/cluster.js';
import { makeMp4, TEST_PATTERN, upload } from '../video/support.js';
import { screenshot, seriousA11yViolations, waitForText } from './support.js';

const HOSTILE = '<img src=x onerror=alert(1)>';
const CLIENT_IP = '198.51.100.7';
const LIVE_PATH = '/btv/live/hls/console_ch';
const MANAGER = { email: 'mona@example.com', password: 'manager-password' };
const ZONE = 'console-zone';

describe('operator console in chromium on two nodes @integration', function () {
  this.timeout(60_000);
  let h: ClusterHarness;
  let browser: Browser;
  let A: HarnessNode;
  let B: HarnessNode;
  let admin: { context: BrowserContext; page: Page };
  const problems: string[] = [];
  const dialogs: string[] = [];
  let storageDir = '';

  before(async function () {
    this.timeout(180_000);
    storageDir = await mkdtemp(join(tmpdir(), 'console-video-'));
    // A stores the video zone the video page creates.
    [h, browser] = await Promise.all([startClusterHarness({ nodes: [{ VIDEO_ZONE: ZONE }, {}] }), launchChromium()]);
    [A, B] = h.nodes as [HarnessNode, HarnessNode];
    const manager = await h.api(A, 'POST', '/api/v1/users', { body: { ...MANAGER, role: 'MANAGER' } });
    expect(manager.status, manager.text).to.equal(201);
    admin = await open(A);
  });

  afterEach(async function () {
    if (this.currentTest?.state !== 'failed') return;
    process.stderr.write(`${h.recentOutput(40)}\nbrowser: ${problems.join('\n')}\n`);
    await screenshot(admin.page, `failed-${this.currentTest.title.slice(0, 40).replace(/\W+/g, '-')}`).catch(() => undefined);
  });

  after(async function () {
    this.timeout(60_000);
    await browser?.close().catch(() => undefined);
    await h?.stop();
    if (storageDir !== '') await rm(storageDir, { recursive: true, force: true });
  });

  async function open(node: HarnessNode): Promise<{ context: BrowserContext; page: Page }> {
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    const page = await context.newPage();
    page.on('console', (message) => {
      // Refused API calls (409, 403, 401) are part of the walk; Chromium logs each one.
      if (message.type() === 'error' && !message.text().startsWith('Failed to load resource')) problems.push(message.text());
    });
    page.on('pageerror', (error) => problems.push(error.message));
    page.on('dialog', (dialog) => {
      dialogs.push(dialog.message());
      void dialog.dismiss();
    });
    const response = await page.goto(`${node.adminUrl}/admin`);
    expect(response?.status()).to.equal(200);
    return { context, page };
  }

  const focusedId = (page: Page): Promise<string> => page.evaluate<string>('document.activeElement ? document.activeElement.id : ""');

  async function keyboardLogin(page: Page, email: string, password: string): Promise<void> {
    expect(await focusedId(page), 'the e-mail field has the focus on load').to.equal('login-email');
    await page.keyboard.type(email);
    await page.keyboard.press('Tab');
    expect(await focusedId(page)).to.equal('login-password');
    await page.keyboard.type(password);
    await page.keyboard.press('Tab');
    expect(await focusedId(page)).to.equal('login');
    await page.keyboard.press('Enter');
    await page.waitForSelector('#nav a[data-page="overview"]', { timeout: 10_000 });
  }

  async function checkPage(page: Page, name: string): Promise<void> {
    await screenshot(page, name);
    expect(await seriousA11yViolations(page), `axe on the ${name} page`).to.deep.equal([]);
  }

  async function go(page: Page, nav: string): Promise<void> {
    await page.click(`#nav a[data-page="${nav}"]`);
  }

  /** Shows the collection's list (the page redraws after the hash changes). */
  async function openList(page: Page, collection: string): Promise<void> {
    await page.click(`.subnav a[href="#/domain/${collection}"]`);
    await page.waitForSelector(`.subnav a[aria-current="page"][href="#/domain/${collection}"]`);
    await page.waitForSelector('.page-domain .list table');
  }

  async function openNewForm(page: Page, collection: string): Promise<void> {
    await openList(page, collection);
    await page.click(`a[href="#/domain/${collection}/new"]`);
    await page.waitForSelector('form.entity');
  }

  /** Opens the entity's "New" form, fills it (text, selects, checkboxes), saves. */
  async function create(page: Page, collection: string, fill: (page: Page) => Promise<void>): Promise<void> {
    await openNewForm(page, collection);
    await fill(page);
    await page.click('form.entity button[type="submit"]');
    await waitFor(`the ${collection} list after saving`, 10_000, () => page.url().endsWith(`#/domain/${collection}`), { everyMs: 50 });
    await waitForText(page, '#notice', 'Saved');
  }

  it('the console page has a strict CSP and the login is reachable and labelled for the keyboard', async () => {
    const res = await fetch(`${A.adminUrl}/admin`);
    const csp = res.headers.get('content-security-policy') ?? '';
    expect(csp).to.include("script-src 'self'").and.include("style-src 'self'");
    expect(csp).not.to.include('unsafe-inline');
    expect(csp).not.to.include('unsafe-eval');
    const { page } = admin;
    await checkPage(page, 'login');
    await keyboardLogin(page, ADMIN_EMAIL, ADMIN_PASSWORD);
    const storage = await page.evaluate('[localStorage.length, sessionStorage.length, document.cookie]');
    expect(storage, 'no token in browser storage').to.deep.equal([0, 0, '']);
  });

  it('overview: both nodes ready with their generation and live redirect and error rates, edge health, chat', async () => {
    const { page } = admin;
    await go(page, 'overview');
    const nodeRow = (node: HarnessNode) => page.locator('.page-overview tr', { has: page.locator('td', { hasText: node.name }) });
    // Steady client traffic on A (unknown paths: 404, so errors too) while the page follows.
    let traffic = true;
    const load = (async () => {
      while (traffic) {
        await fetch(`${A.clientUrl}/no/such/path`).then((r) => r.arrayBuffer());
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    })();
    try {
      await waitFor(
        "A's readiness, generation and non-zero rates on the live overview",
        15_000,
        async () => {
          const cells = await nodeRow(A).locator('td').allTextContents();
          const rateOf = (cell: string | undefined) => Number(/^([\d.]+)\/s$/.exec(cell ?? '')?.[1] ?? 0);
          return cells[3] === 'ready' && /^\d+$/.test(cells[4] ?? '') && rateOf(cells[5]) > 0 && rateOf(cells[6]) > 0 ? cells : undefined;
        },
        { everyMs: 200 },
      );
    } finally {
      traffic = false;
      await load;
    }
    expect((await nodeRow(B).locator('td').allTextContents())[3]).to.equal('ready');
    await waitForText(page, '.page-overview', 'Edge health');
    await waitForText(page, '.page-overview', 'Sockets in rooms');
    await waitForText(page, '.page-overview', 'Generation served');
    await checkPage(page, 'overview');
  });

  it('domain model: entities built through the forms, a validation error at its field, a refused delete explained', async () => {
    const { page } = admin;
    await go(page, 'domain');
    await create(page, 'servers', async (p) => {
      await p.selectOption('#field-type', 'EDGE');
      await p.fill('#field-domainName', 'edge-console.example.com');
      await p.fill('#field-ip', '192.0.2.10');
      await p.fill('#field-port', '8080');
      await p.selectOption('#field-status', 'ACTIVE');
      await p.uncheck('#field-healthcheckEnabled');
    });
    await create(page, 'server-groups', async (p) => {
      await p.fill('#field-name', 'console-group');
      await p.selectOption('#field-status', 'ACTIVE');
      await p.selectOption('#field-serverIds', { label: 'edge-console.example.com' });
    });
    await create(page, 'regions', async (p) => {
      await p.fill('#field-name', 'console-region');
      await p.selectOption('#field-status', 'ACTIVE');
      await p.selectOption('#field-serverGroupIds', { label: 'console-group' });
    });

    // A subnet with a bad CIDR: the API's message appears at the CIDR field.
    await openNewForm(page, 'subnets');
    await page.fill('#field-name', 'console-subnet');
    await page.fill('#field-cidr', 'not-a-cidr');
    await page.selectOption('#field-regionId', { label: 'console-region' });
    await page.click('form.entity button[type="submit"]');
    const api = await h.api(A, 'POST', '/api/v1/subnets', { body: { name: 'x', cidr: 'not-a-cidr', regionId: 'r' } });
    const apiMessage = (api.body.details as Array<{ path: string; message: string }>).find((d) => d.path === 'body.cidr')!.message;
    await waitForText(page, '#error-cidr', apiMessage);
    expect(await page.getAttribute('#field-cidr', 'aria-invalid')).to.equal('true');
    expect(await focusedId(page), 'the first bad field gets the focus').to.equal('field-cidr');
    await checkPage(page, 'domain-form-error');
    await page.fill('#field-cidr', '198.51.100.0/24');
    await page.click('form.entity button[type="submit"]');
    await waitForText(page, '#notice', 'Saved subnet console-subnet');
    await page.waitForSelector('.page-domain .list table');

    await create(page, 'linear-channels', async (p) => {
      await p.fill('#field-name', 'Console channel');
      await p.fill('#field-codeName', 'console_channel');
      await p.fill('#field-epgId', 'console_ch');
    });
    await create(page, 'tv-streams', async (p) => {
      await p.selectOption('#field-linearChannelId', { label: 'Console channel' });
      await p.fill('#field-streamPath', '/s/console-hls');
      await p.selectOption('#field-status', 'ACTIVE');
      await p.selectOption('#field-protocol', 'HLS');
    });
    await waitForText(page, '.page-domain table', '/s/console-hls');
    await checkPage(page, 'domain-list');

    // The region is used by the subnet: the delete is refused and the reason shown.
    await openList(page, 'regions');
    await page.click('button[aria-label="Delete console-region"]');
    const refused = await waitForText(page, '#list-status', 'Cannot delete region console-region');
    expect(refused).to.include('used by');
    expect(refused).to.include('subnet');
  });

  it('every server string is text: a region named like markup shows as those characters', async () => {
    const { page } = admin;
    await create(page, 'regions', async (p) => {
      await p.fill('#field-name', HOSTILE);
      await p.selectOption('#field-status', 'INACTIVE');
    });
    await waitForText(page, '.page-domain table', HOSTILE);
    expect(await page.locator('.page-domain table img').count(), 'no element made of the name').to.equal(0);
    expect(await page.textContent('#notice')).to.equal(`Saved region ${HOSTILE}.`);
    expect(dialogs, 'no script ran').to.deep.equal([]);
  });

  it('whole model: export as a file, import it back with one more region after a dry-run diff', async () => {
    const { page } = admin;
    await openList(page, 'regions');
    const [download] = await Promise.all([page.waitForEvent('download'), page.click('#export')]);
    const exported = JSON.parse(await readFile(await download.path(), 'utf8'));
    expect(exported.regions.map((r: { name: string }) => r.name)).to.include.members(['console-region', HOSTILE]);
    exported.regions.push({ id: 'imported-region', name: 'imported-region', status: 'ACTIVE', serverGroupIds: [] });
    await page.setInputFiles('#import-file', {
      name: 'model.json',
      mimeType: 'application/json',
      buffer: Buffer.from(JSON.stringify(exported)),
    });
    await waitForText(page, '#transfer-status', 'Dry run of model.json');
    const regionsRow = await page
      .locator('#import-diff tr', { has: page.locator('td', { hasText: /^regions$/ }) })
      .locator('td')
      .allTextContents();
    expect(regionsRow).to.deep.equal(['regions', '1', '0', '0', String(exported.regions.length - 1)]);
    expect((await h.api(A, 'GET', '/api/v1/regions/imported-region')).status, 'nothing changed by the dry run').to.equal(404);
    await checkPage(page, 'domain-import-dry-run');
    await page.click('#import-apply');
    await waitForText(page, '#transfer-status', 'Replaced the whole model');
    expect((await h.api(A, 'GET', '/api/v1/regions/imported-region')).status).to.equal(200);
  });

  it('domain lists: sorting and search run over every page, not only the one shown', async () => {
    const { page } = admin;
    for (let i = 0; i < 24; i += 1) {
      const res = await h.api(A, 'POST', '/api/v1/regions', { body: { name: `bulk-${String(i).padStart(2, '0')}`, status: 'ACTIVE' } });
      expect(res.status, res.text).to.equal(201);
    }
    const apiNames = async (query: string) =>
      ((await h.api(A, 'GET', `/api/v1/regions?${query}`)).body.items as Array<{ name: string }>).map((r) => r.name);
    const shownNames = () => page.locator('.page-domain .list tbody tr td:nth-child(2)').allTextContents();
    await openList(page, 'regions');
    await page.click('.page-domain th button:has-text("Name")');
    await waitForText(page, '.page-domain th[aria-sort="ascending"]', 'Name');
    expect(await shownNames()).to.deep.equal(await apiNames('sort=name&limit=20'));
    await page.click('.page-domain th button:has-text("Name")');
    await waitForText(page, '.page-domain th[aria-sort="descending"]', 'Name');
    const descending = await apiNames('sort=-name&limit=40');
    await waitFor('the descending first page', 5_000, async () => ((await shownNames())[0] === descending[0] ? true : undefined));
    expect(await shownNames()).to.deep.equal(descending.slice(0, 20));
    await page.click('button:has-text("Next page")');
    await waitFor('the second page in the same order', 5_000, async () => ((await shownNames())[0] === descending[20] ? true : undefined));
    expect(await shownNames()).to.deep.equal(descending.slice(20, 40));

    await page.fill('#search', 'BULK-2');
    await page.click('.page-domain form.filters button[type="submit"]');
    await waitForText(page, '.page-domain .list caption', 'Regions: 4 in all');
    expect(await shownNames()).to.deep.equal(['bulk-23', 'bulk-22', 'bulk-21', 'bulk-20']);
    await checkPage(page, 'domain-list-search');
  });

  it('routing explain in the console: through a trusted proxy with X-Real-IP to the new edge, a real redirect agreeing, links to the records', async () => {
    const { page } = admin;
    await go(page, 'explain');
    await page.fill('#explain-path', LIVE_PATH);
    await page.fill('#explain-ip', '127.0.0.1');
    await page.fill('#explain-real-ip', CLIENT_IP);
    await page.focus('#explain-path');
    for (const next of ['explain-ip', 'explain-real-ip']) {
      await page.keyboard.press('Tab');
      expect(await focusedId(page)).to.equal(next);
    }
    await page.click('.page-explain button[type="submit"]');
    const result = await waitForText(page, '#explain-result', 'edge-console.example.com');
    expect(result).to.include('console-subnet');
    expect(await page.textContent('#explain-result ol li')).to.equal(
      `Peer 127.0.0.1 is a trusted proxy (TRUSTED_PROXIES): the client is X-Real-IP ${CLIENT_IP}.`,
    );
    const links = await page.locator('#explain-records a').allTextContents();
    expect(links).to.deep.equal([
      'subnet console-subnet (198.51.100.0/24)',
      'region console-region',
      'server group console-group',
      'edge edge-console.example.com',
      'channel Console channel',
      'stream /s/console-hls',
    ]);
    await checkPage(page, 'routing-explain');

    const res = await fetch(`${A.clientUrl}${LIVE_PATH}`, { redirect: 'manual', headers: { 'x-real-ip': CLIENT_IP } });
    await res.arrayBuffer();
    expect(res.status).to.equal(302);
    expect(res.headers.get('location')).to.equal('http://edge-console.example.com:8080/s/console-hls');

    // The same client asking directly (not through a proxy): its header is ignored.
    await page.fill('#explain-ip', '203.0.113.9');
    await page.click('.page-explain button[type="submit"]');
    await waitForText(page, '#explain-result ol li', 'ignored: peer 203.0.113.9 is not a trusted proxy');

    // From the decision to the record: the edge's form.
    await page.fill('#explain-ip', '127.0.0.1');
    await page.click('.page-explain button[type="submit"]');
    await page.click('#explain-records a:has-text("edge edge-console.example.com")');
    await page.waitForSelector('form.entity');
    expect(await page.inputValue('#field-domainName')).to.equal('edge-console.example.com');
  });

  it("EPG: a file imported with its report, the channel's day on the timeline with the records' status", async () => {
    const { page } = admin;
    const day = new Date().toISOString().slice(0, 10);
    const at = (hour: string) => `${day.replaceAll('-', '')}${hour}0000 +0000`;
    const xmltv = `<?xml version="1.0" encoding="UTF-8"?>
<tv generator-info-name="console-test">
  <programme start="${at('01')}" stop="${at('02')}" channel="console_ch"><title>Morning news</title></programme>
  <programme start="${at('02')}" stop="${at('04')}" channel="console_ch"><title>${HOSTILE.replaceAll('<', '&lt;')}</title></programme>
  <programme start="${at('01')}" stop="${at('02')}" channel="no_such_channel"><title>Lost</title></programme>
</tv>`;
    await go(page, 'epg');
    await page.waitForSelector('#timeline-channel');
    await page.setInputFiles('#epg-file', { name: 'guide.xml', mimeType: 'application/xml', buffer: Buffer.from(xmltv) });
    await page.click('.page-epg form button[type="submit"]');
    await waitForText(page, '#epg-upload-status', 'Imported guide.xml');
    const report = (await page.textContent('#epg-report')) ?? '';
    expect(report)
      .to.match(/Created\s*2/)
      .and.match(/Skipped\s*1/)
      .and.include('no_such_channel');

    // A completed record of the first programme (the recording scheduler's work, done here by the API).
    const programs = await h.api(A, 'GET', '/api/v1/programs?epgId=console_ch_' + at('01').slice(0, 14));
    const program = (programs.body.items as Array<{ id: string }>)[0]!;
    const dvr = await h.api(A, 'POST', '/api/v1/servers', {
      body: {
        type: 'DVR',
        domainName: 'dvr-console.example.com',
        ip: '192.0.2.20',
        port: 8080,
        status: 'ACTIVE',
        healthcheckEnabled: false,
      },
    });
    expect(dvr.status, dvr.text).to.equal(201);
    const record = await h.api(A, 'POST', '/api/v1/program-records', {
      body: { programId: program.id, serverId: dvr.body.id, status: 'COMPLETED', protocol: 'HLS', path: 'morning-news' },
    });
    expect(record.status, record.text).to.equal(201);

    // The day's records answer late, after the next day (no programmes, no records) is drawn:
    // the late answer must not replace the day now chosen.
    const recordsUrl = '**/api/v1/program-records?*';
    await page.route(recordsUrl, async (route) => {
      await new Promise((resolve) => setTimeout(resolve, 1500));
      await route.continue();
    });
    const lateAnswer = page.waitForEvent('requestfinished', {
      predicate: (request) => request.url().includes('/api/v1/program-records?'),
      timeout: 10_000,
    });
    await page.selectOption('#timeline-channel', { label: 'Console channel' });
    await page.click('button:has-text("Next day")');
    await waitForText(page, '#timeline caption', '0 programmes');
    await lateAnswer;
    await page.unroute(recordsUrl);
    // The page handles the finished answer before a timer it starts afterwards fires.
    await page.evaluate(() => new Promise((resolve) => setTimeout(resolve, 100)));
    expect(await page.textContent('#timeline caption')).to.include('0 programmes');
    await page.click('button:has-text("Previous day")');
    await waitForText(page, '#timeline caption', `Console channel, ${day} (UTC): 2 programmes`);
    const rows = await page
      .locator('#timeline tbody tr')
      .evaluateAll((trs) => trs.map((tr) => [...tr.children].map((td) => td.textContent)));
    expect(rows).to.deep.equal([
      [`${day}T01:00:00Z`, `${day}T02:00:00Z`, 'Morning news', 'HLS COMPLETED'],
      [`${day}T02:00:00Z`, `${day}T04:00:00Z`, HOSTILE, 'no record'],
    ]);
    expect(await page.locator('.timeline li[data-records="COMPLETED"]').textContent()).to.equal('01:00 Morning news');
    expect(await page.locator('.page-epg img').count(), 'the hostile title is text').to.equal(0);
    await checkPage(page, 'epg');
    await page.click('#timeline a:has-text("HLS COMPLETED")');
    await page.waitForSelector('form.entity');
    expect(await page.inputValue('#field-path')).to.equal('morning-news');
  });

  it('cluster: a rejoin confirmed and followed live until it succeeds', async () => {
    const { page } = admin;
    await go(page, 'cluster');
    await page.click('#rejoin');
    expect(await page.isVisible('#rejoin-confirm')).to.equal(true);
    await page.click('#rejoin-yes');
    await waitForText(page, '#job-area', 'Rejoin progress');
    await waitForText(page, '#cluster-status', 'The rejoin succeeded.', 40_000);
    const job = (await page.textContent('#job')) ?? '';
    expect(job).to.include(A.name).and.include(B.name);
    expect(job).to.include('acknowledge');
    await checkPage(page, 'cluster');
  });

  it('observer: on the other node, stop a routing actor and see it restarted with its reason', async () => {
    const { page } = admin;
    await go(page, 'observer');
    await page.selectOption('#observer-node', B.name);
    await waitForText(page, '#tree caption', `Supervision tree of ${B.name}`);
    await page.click('button[aria-label="Stop /node/routing/routing-view"]');
    await waitForText(page, '#observer-status', 'Stopped /node/routing/routing-view');
    const row = page.locator('#tree tr', { has: page.locator('span[title="/node/routing/routing-view"]') });
    await waitFor(
      'the restart to show in the tree',
      10_000,
      async () => {
        const cells = await row.locator('td').allTextContents();
        return cells[3] === '1' && cells[4] === `stopped by ${ADMIN_EMAIL} from the console` && cells[2] === 'running' ? true : undefined;
      },
      { everyMs: 100 },
    );
    await waitForText(page, '.page-observer', 'singleton.healthcheck');
    await checkPage(page, 'observer');
  });

  it('video: a zone created through its form, an agent token issued once and revoked, retention preview, setting and run, search, playback in the page, legal hold, audit', async () => {
    const { page } = admin;
    await go(page, 'video');
    await page.click('a[href="#/video/new"]');
    await page.waitForSelector('#zone-form');
    // Keyboard: the fields in reading order, each labelled.
    await page.focus('#zone-name');
    for (const next of ['zone-publicAddress', 'zone-publicPort', 'zone-storageDir']) {
      await page.keyboard.press('Tab');
      expect(await focusedId(page)).to.equal(next);
      expect(await page.locator(`label[for="${next}"]`).count()).to.equal(1);
    }
    const values: Record<string, string> = {
      name: ZONE,
      publicAddress: '127.0.0.1',
      publicPort: '0',
      storageDir,
      fileType: 'mp4',
      fileNamePattern: TEST_PATTERN,
      defaultStorageDays: '30',
      uploadSpeedKbps: '4000',
    };
    for (const [name, value] of Object.entries(values)) await page.fill(`#zone-${name}`, value);
    await page.click('#zone-form button[type="submit"]');
    await page.waitForSelector('#zone-publicPort[aria-invalid="true"]');
    expect(await page.textContent('#zone-error-publicPort')).to.match(/>= 1|minimum|at least/i);
    await page.fill('#zone-publicPort', String(A.port));
    await page.click('#zone-form button[type="submit"]');
    await waitForText(page, '#notice', `Saved zone ${ZONE}.`);
    await waitForText(page, '#zone-form-title', `Settings of ${ZONE}`);

    // The token is shown once; an agent uploads with it; revoked, it no longer works.
    await page.click('#issue-token');
    await waitForText(page, '#tokens-status', 'Issued token');
    const token = await page.inputValue('#new-token');
    expect(token.length).to.be.greaterThan(20);
    const old = await makeMp4(storageDir, 'source-old.mp4', 1, 1);
    const fresh = await makeMp4(storageDir, 'source-new.mp4', 1, 2);
    await Promise.all([rm(join(storageDir, 'source-old.mp4')), rm(join(storageDir, 'source-new.mp4'))]);
    const oldFile = 'p1_call-console-1_20200110T120000.mp4';
    const newFile = `p1_call-console-2_${new Date().toISOString().slice(0, 19).replace(/[-:]/g, '')}.mp4`;
    for (const [file, bytes, sessionId, recordedAt] of [
      [oldFile, old, 'call-console-1', '2020-01-10T12:00:00Z'],
      [newFile, fresh, 'call-console-2', new Date().toISOString()],
    ] as const) {
      const res = await upload(A.adminUrl, ZONE, file, bytes, { token, sessionId, projectId: 'p1', recordedAt });
      expect(res.status, await res.text()).to.equal(201);
    }
    await page.click('button[aria-label^="Revoke token"]');
    await waitForText(page, '#tokens-status', 'Revoked token');
    const refused = await upload(A.adminUrl, ZONE, 'p1_call-console-3_20240101T000000.mp4', fresh, { token, sessionId: 'call-console-3' });
    expect(refused.status).to.equal(401);

    // Retention: the old recording is past its storage period; the setting changes through the form.
    await page.click('#retention-preview-again');
    await waitForText(page, '#retention-preview caption', 'The next run deletes (1)');
    await page.fill('#zone-defaultStorageDays', '7');
    await page.click('#zone-form button[type="submit"]');
    await waitFor('the new storage period', 10_000, async () =>
      (await h.api(A, 'GET', `/api/v1/video/zones/${ZONE}`)).body.defaultStorageDays === 7 ? true : undefined,
    );
    await checkPage(page, 'video-zone');

    // Search, legal hold on the old one, play the new one in the page.
    await page.click('a[href="#/video"]');
    await page.fill('#video-session', 'call-console-1');
    await page.click('form[role="search"] button[type="submit"]');
    await waitForText(page, '#video-results caption', 'Recordings (1)');
    await page.click(`button[aria-label="Legal hold ${oldFile}"]`);
    await waitForText(page, '#video-status', `${oldFile} is on legal hold.`);
    await waitForText(page, '#video-results tbody', 'held');
    await page.fill('#video-session', 'call-console-2');
    await page.click('form[role="search"] button[type="submit"]');
    await waitForText(page, '#video-results tbody', newFile);
    await page.click(`button[aria-label="Play ${newFile}"]`);
    await waitFor(
      'the recording to play in the page',
      15_000,
      () =>
        page.evaluate<boolean>(
          '(() => { const v = document.getElementById("player-video"); return v !== null && v.readyState >= 1 && v.error === null && v.duration > 0; })()',
        ),
      { everyMs: 100 },
    );
    await checkPage(page, 'video');

    // Held: the retention run keeps it.
    await page.click(`a[href="#/video/zone/${ZONE}"]`);
    await waitForText(page, '#retention-preview caption', 'The next run deletes (0)');
    await page.click('#retention-run');
    await waitForText(page, '#retention-status', `Retention of ${ZONE} finished.`);
    expect((await page.locator('#retention-report td').allTextContents())[0]).to.equal('0');
    expect((await stat(join(storageDir, oldFile))).size).to.equal(old.length);
    // A zone with recordings cannot be deleted: the refusal is explained.
    await page.click('#zone-delete');
    expect(await waitForText(page, '#zone-delete-status', `Cannot delete zone ${ZONE}:`)).to.match(/recording/i);

    // The audit log names the searches and the playback.
    await go(page, 'overview');
    await go(page, 'video');
    const audit = await waitForText(page, '.page-video section:has(#audit-title)', 'video.playback');
    expect(audit).to.include('video.search').and.include(newFile);
    // The overview shows the zone's disk on its storage node.
    await go(page, 'overview');
    await waitForText(page, '.page-overview table', `${ZONE}:`);
    await waitForText(page, '.page-overview', 'Up1');
    await checkPage(page, 'overview-with-video');
  });

  it('chat: a room on the other node with its members and live message rate', async () => {
    const { page } = admin;
    await go(page, 'chat');
    await waitForText(page, '#chat-status', 'Live');
    const user = new PhoenixUser(socketUrl(B), 'console-room', 'carol');
    try {
      await user.join();
      const sent = await user.sendPaced(['one', 'two', 'three', 'four', 'five'], 50);
      expect(sent.filter((r) => !('error' in r))).to.have.length(5);
      const row = page.locator('#chat-rooms tr', { has: page.locator('td', { hasText: /^console-room$/ }) });
      const cells = await waitFor(
        'the room with its member and a message rate',
        10_000,
        async () => {
          const got = await row.locator('td').allTextContents();
          return got[1] === '1' && got[3] === '5' && Number(got[4]) > 0 ? got : undefined;
        },
        { everyMs: 100 },
      );
      expect(cells[2]).to.equal('1');
      await checkPage(page, 'chat');
    } finally {
      await user.close();
    }
  });

  it('the users page opens and passes the accessibility check', async () => {
    const { page } = admin;
    await go(page, 'users');
    await waitForText(page, '.page-users h1', 'Users');
    await waitForText(page, '.page-users table', MANAGER.email);
    await checkPage(page, 'users');
  });

  it('MANAGER: no ADMIN-only page or action in the console, and the API refuses them', async () => {
    const { context, page } = await open(B);
    try {
      await keyboardLogin(page, MANAGER.email, MANAGER.password);
      expect(await page.locator('#nav a[data-page="users"]').count()).to.equal(0);
      await go(page, 'cluster');
      await page.waitForSelector('.page-cluster table');
      expect(await page.locator('#rejoin').count()).to.equal(0);
      await go(page, 'observer');
      await page.waitForSelector('#tree table', { timeout: 10_000 });
      expect(await page.locator('#tree button').count()).to.equal(0);
      await screenshot(page, 'observer-manager');
      await go(page, 'video');
      await page.waitForSelector('#video-session');
      expect(await page.locator('a[href="#/video/new"]').count(), 'no zone creation').to.equal(0);
      await page.click(`a[href="#/video/zone/${ZONE}"]`);
      await page.waitForSelector('#retention-preview table');
      expect(
        await page.locator('#issue-token, #zone-form, #retention-run, #zone-delete').count(),
        'no token, setting, run or delete',
      ).to.equal(0);

      const token = await h.login(B, MANAGER.email, MANAGER.password);
      const rejoin = await h.api(B, 'POST', '/api/v1/cluster/rejoin', { token });
      expect(rejoin.status).to.equal(403);
      const stop = await h.api(B, 'POST', `/api/v1/observer/nodes/${encodeURIComponent(A.name)}/actors/stop`, {
        token,
        body: { path: '/node/routing/routing-view' },
      });
      expect(stop.status).to.equal(403);
      const users = await h.api(B, 'GET', '/api/v1/users', { token });
      expect(users.status).to.equal(403);

      // The account goes away while the console is open: the next call is refused and the
      // operator lands on the login form with a message, not on a broken page.
      const found = await h.api(A, 'GET', '/api/v1/users?limit=100');
      const id = (found.body.items as Array<{ id: string; email: string }>).find((u) => u.email === MANAGER.email)!.id;
      expect((await h.api(A, 'DELETE', `/api/v1/users/${id}`)).status).to.equal(204);
      await go(page, 'cluster');
      await waitForText(page, '#notice', 'Your session expired; log in again.');
      expect(await page.isVisible('#login-form')).to.equal(true);
    } finally {
      await context.close();
    }
  });

  it('logout ends the session and shows the login form', async () => {
    const { page } = admin;
    await page.click('#logout');
    await waitForText(page, '#notice', 'You are logged out.');
    expect(await page.isVisible('#login-form')).to.equal(true);
    expect(await page.isVisible('#nav')).to.equal(false);
    expect(problems, 'no script error in the browser').to.deep.equal([]);
  });
});
