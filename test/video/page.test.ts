// The /video page inside the real admin server (helmet, auth by default): strict CSP with
// media from the storage nodes, escaped server values, its script and stylesheet.
import { expect } from 'chai';
import { registerVideoPage } from '../../gateway/pages/index.js';
import { startHarness, type Harness } from '../gateway/support/harness.js';

describe('/video page in the admin server', () => {
  let harness: Harness | undefined;

  afterEach(async () => {
    await harness?.close();
    harness = undefined;
  });

  const start = (directoryLogin: boolean, nodeName = 'node-a@127.0.0.1') =>
    startHarness({ plugins: [async (app) => registerVideoPage(app, { nodeName, directoryLogin })] });

  it('serves the page with a strict CSP that lets <video> reach other origins and nothing else', async () => {
    harness = await start(true, 'n<script>"&\'');
    const page = await harness.request('GET', '/video');
    expect(page.status).to.equal(200);
    expect(page.headers.get('content-type')).to.match(/^text\/html/);
    const csp = (page.headers.get('content-security-policy') ?? '').split(';').map((d) => d.trim());
    expect(csp).to.include.members([
      "default-src 'none'",
      "script-src 'self'",
      "style-src 'self'",
      "connect-src 'self'",
      "media-src 'self' http: https:",
      "frame-ancestors 'none'",
    ]);
    expect(csp.join(';')).to.not.contain('unsafe-inline').and.to.not.contain('upgrade-insecure-requests');
    expect(page.headers.get('cache-control')).to.equal('no-store');
    expect(page.headers.get('referrer-policy')).to.equal('no-referrer');
    expect(page.text).to.contain('<script type="module" src="/assets/video.js"></script>');
    expect(page.text).to.contain('<video id="player" controls');
    expect(page.text).to.contain('n&lt;script&gt;&quot;&amp;&#39;').and.to.not.contain('n<script>');
    expect(page.text).to.contain('data-directory-login="true"');
    // No inline script or style anywhere.
    expect(page.text)
      .to.not.match(/<script(?![^>]*\bsrc=)[^>]*>/)
      .and.to.not.match(/\sstyle=/);
  });

  it('says when directory login is off', async () => {
    harness = await start(false);
    expect((await harness.request('GET', '/video')).text).to.contain('data-directory-login="false"');
  });

  it('serves its script (text only, token kept in memory) and stylesheet', async () => {
    harness = await start(false);
    const script = await harness.request('GET', '/assets/video.js');
    expect(script.status).to.equal(200);
    expect(script.headers.get('content-type')).to.match(/^text\/javascript/);
    expect(script.text).to.not.contain('innerHTML').and.to.not.contain('localStorage').and.to.not.contain('sessionStorage');
    expect(script.text).to.contain("'/api/v1/sessions'").and.to.contain('/api/v1/video/recordings?');
    const css = await harness.request('GET', '/assets/video.css');
    expect(css.status).to.equal(200);
    expect(css.headers.get('content-type')).to.match(/^text\/css/);
    const shared = await harness.request('GET', '/assets/page.css');
    expect(shared.status).to.equal(200);
    expect(shared.text).to.contain('--page-width');
  });
});
