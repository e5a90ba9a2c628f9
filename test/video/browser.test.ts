// The /video page in a real browser (Debian chromium through playwright-core) on real nodes:
// a supervisor logs in on node A with a DIRECTORY account (a real slapd), searches a session
// id, and the recording plays in the page's <video> from node B, the zone's storage node.
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import type { Browser, Page } from 'playwright-core';
import { REPO_ROOT } from '../../bin/stack/node-process.js';
import { startClusterHarness, type ClusterHarness, type HarnessNode } from '../support/cluster-harness.js';
import { GROUP_ROLES, PEOPLE, PEOPLE_DN, startSlapd, type TestSlapd } from '../support/slapd.js';
import { launchChromium } from '../support/chromium.js';
import { waitFor } from '../support/wait.js';
import { makeStreamableMp4, sha256, TEST_PATTERN, upload } from './support.js';

const OUTPUT_DIR = join(REPO_ROOT, 'test-output');
const ZONE = 'tula';
const FILE = 'p3_call-browser-1_20250110T120000.mp4';

describe('/video page in chromium: directory login, search, playback @integration', function () {
  this.timeout(60_000);
  let slapd: TestSlapd | undefined;
  let h: ClusterHarness | undefined;
  let browser: Browser | undefined;
  let storageDir = '';
  let A: HarnessNode;
  let B: HarnessNode;

  before(async function () {
    this.timeout(180_000);
    await mkdir(OUTPUT_DIR, { recursive: true });
    storageDir = await mkdtemp(join(tmpdir(), 'video-tula-'));
    slapd = await startSlapd();
    const ldapEnv = { LDAP_URL: slapd.url, LDAP_BIND_DN: `uid={username},${PEOPLE_DN}`, LDAP_GROUP_ROLES: GROUP_ROLES };
    [h, browser] = await Promise.all([startClusterHarness({ nodes: [ldapEnv, { ...ldapEnv, VIDEO_ZONE: ZONE }] }), launchChromium()]);
    [A, B] = h.nodes as [HarnessNode, HarnessNode];
    const zone = await h.api(A, 'POST', '/api/v1/video/zones', {
      body: {
        name: ZONE,
        publicAddress: '127.0.0.1',
        publicPort: B.port,
        storageDir,
        fileType: 'mp4',
        fileNamePattern: TEST_PATTERN,
        defaultStorageDays: 30,
        uploadSpeedKbps: 4000,
      },
    });
    expect(zone.status, zone.text).to.equal(201);
    const issued = await h.api(A, 'POST', `/api/v1/video/zones/${ZONE}/agent-tokens`);
    expect(issued.status, issued.text).to.equal(201);
    // Eight seconds of test pattern, moov atom first so playback starts at once.
    const bytes = await makeStreamableMp4(join(storageDir, '..'), `${ZONE}-${FILE}`, 8);
    await rm(join(storageDir, '..', `${ZONE}-${FILE}`));
    const stored = await upload(B.adminUrl, ZONE, FILE, bytes, {
      token: issued.body.token,
      sessionId: 'call-browser-1',
      projectId: 'p3',
      recordedAt: '2025-01-10T12:00:00Z',
    });
    expect(stored.status, await stored.text()).to.equal(201);
    expect(sha256(bytes)).to.have.length(64);
  });

  afterEach(function () {
    if (this.currentTest?.state === 'failed') process.stderr.write(`${h?.recentOutput(40)}\n`);
  });

  after(async function () {
    this.timeout(60_000);
    await browser?.close().catch(() => undefined);
    await h?.stop();
    await slapd?.dispose();
    if (storageDir !== '') await rm(storageDir, { recursive: true, force: true });
  });

  async function open(): Promise<{ page: Page; problems: string[] }> {
    const context = await browser!.newContext({ viewport: { width: 1200, height: 900 } });
    const page = await context.newPage();
    const problems: string[] = [];
    page.on('console', (message) => {
      if (message.type() === 'error') problems.push(message.text());
    });
    page.on('pageerror', (error) => problems.push(error.message));
    const response = await page.goto(`${A.adminUrl}/video`);
    expect(response?.status()).to.equal(200);
    return { page, problems };
  }

  it('a directory user logs in on node A, finds the session, and the <video> plays from node B', async () => {
    const { page, problems } = await open();
    expect(await page.textContent('#node-name')).to.equal(A.name);
    expect(await page.inputValue('#account-kind')).to.equal('directory');

    // A wrong password first: refused, still logged out.
    await page.fill('#account', 'alice');
    await page.fill('#password', 'not-her-password');
    await page.click('#login');
    await waitFor(
      'the refusal',
      10_000,
      async () => ((await page.textContent('#notice')) === 'Wrong username or password.' ? true : undefined),
      { everyMs: 50 },
    );
    expect(await page.isVisible('#search-form')).to.equal(false);

    await page.fill('#password', PEOPLE.alice!.password);
    await page.click('#login');
    await page.waitForSelector('#who[data-state="in"]', { timeout: 10_000 });
    expect(await page.textContent('#who')).to.equal('Alice Supervisor (MANAGER)');
    // The token is in memory only.
    const storage = await page.evaluate(() => {
      const web = globalThis as unknown as { localStorage: { length: number }; sessionStorage: { length: number } };
      return [web.localStorage.length, web.sessionStorage.length];
    });
    expect(storage).to.deep.equal([0, 0]);
    await waitFor('the zone list', 10_000, async () =>
      (await page.$$eval('#zone option', (o) => o.map((x) => (x as unknown as { value: string }).value))).includes(ZONE) ? true : undefined,
    );

    await page.fill('#session-id', 'call-browser-1');
    await page.selectOption('#zone', ZONE);
    await page.click('#search');
    await page.waitForSelector(`#result-rows tr td:text("${FILE}")`, { timeout: 10_000 });
    expect(await page.textContent('#result-count')).to.equal('Recordings 1–1 of 1');
    const cells = await page.$$eval('#result-rows tr td', (tds) => tds.map((td) => td.textContent));
    expect(cells.slice(1, 5)).to.deep.equal(['call-browser-1', 'p3', ZONE, FILE]);

    await page.click('#result-rows button.play');
    const src = await page.getAttribute('#player', 'src');
    expect(src).to.match(new RegExp(`^http://127\\.0\\.0\\.1:${B.port}/video/files/${ZONE}/`));
    expect(await page.inputValue('#link')).to.equal(src);
    expect(await page.textContent('#link-expiry')).to.contain(String(new Date().getFullYear()));
    const played = await waitFor(
      'the video to play',
      20_000,
      async () => {
        const state = await page.$eval('#player', (v) => {
          const video = v as unknown as { currentTime: number; paused: boolean; error: { code: number } | null; readyState: number };
          return { time: video.currentTime, paused: video.paused, error: video.error?.code ?? null, ready: video.readyState };
        });
        if (state.error !== null) throw new Error(`media error ${state.error}`);
        return state.time > 1 ? state : undefined;
      },
      { everyMs: 100, retryErrors: false },
    );
    expect(played.paused).to.equal(false);
    expect(played.ready).to.be.at.least(2);

    await page.click('#result-rows button.copy');
    await waitFor(
      'the copy notice',
      5_000,
      async () => (/copied|Ctrl\+C/.test((await page.textContent('#notice')) ?? '') ? true : undefined),
      { everyMs: 50 },
    );
    await page.screenshot({ path: join(OUTPUT_DIR, 'video-page-playing.png'), fullPage: true });
    // Only the refused login's 401 may show up in the console; no CSP violation, no script error.
    expect(problems.filter((p) => !p.includes('401'))).to.deep.equal([]);

    await page.click('#logout');
    expect(await page.isVisible('#login-form')).to.equal(true);
    expect(await page.getAttribute('#player', 'src')).to.equal(null);
    await page.context().close();
  });
});
