import { expect } from 'chai';
import { contentSlot } from '../../actors/routing/content-slot.js';
import { parseRequestPath } from '../../actors/routing/request-path.js';

describe('routing: request path', () => {
  it('parses live and catch-up with every codec', () => {
    const codecs = {
      hls: ['HLS', 'NONE'],
      hls_cenc: ['HLS', 'CENC'],
      hls_wv: ['HLS', 'WIDEVINE'],
      hls_pr: ['HLS', 'PLAYREADY'],
      mpd: ['MPD', 'NONE'],
      mpd_cenc: ['MPD', 'CENC'],
      mpd_wv: ['MPD', 'WIDEVINE'],
      mpd_pr: ['MPD', 'PLAYREADY'],
    } as const;
    for (const [codec, [protocol, encryption]] of Object.entries(codecs)) {
      expect(parseRequestPath(`/btv/live/${codec}/ch_1`)).to.deep.equal({
        ok: true,
        kind: 'live',
        protocol,
        encryption,
        slot: contentSlot(protocol, encryption),
        resource: 'ch_1',
      });
      expect(parseRequestPath(`/btv/catchup/${codec}/P1`)).to.include({ ok: true, kind: 'catchup', protocol, encryption, resource: 'P1' });
    }
  });

  it('strips one extension and ignores the query string', () => {
    expect(parseRequestPath('/btv/live/hls/ch1.m3u8')).to.include({ resource: 'ch1' });
    expect(parseRequestPath('/btv/live/mpd/ch1.mpd?token=abc')).to.include({ resource: 'ch1' });
    expect(parseRequestPath('/btv/catchup/hls/p1.m3p4')).to.include({ resource: 'p1' });
    expect(parseRequestPath('/btv/live/hls/ch1?x=/../')).to.include({ resource: 'ch1' });
    expect(parseRequestPath('/btv/live/hls/ch1#frag')).to.include({ resource: 'ch1' });
  });

  it('collapses runs of slashes (like nginx merge_slashes)', () => {
    expect(parseRequestPath('//btv//live///hls//ch1')).to.include({ ok: true, resource: 'ch1' });
    expect(parseRequestPath('/vod//a///b')).to.deep.equal({ ok: true, kind: 'vod', resource: 'a/b', path: '/vod/a/b' });
  });

  it('parses VOD and static paths, keeping %-encoding and trailing slashes', () => {
    expect(parseRequestPath('/vod/a/b/c')).to.deep.equal({ ok: true, kind: 'vod', resource: 'a/b/c', path: '/vod/a/b/c' });
    expect(parseRequestPath('/vod/a/b/c.mp4?start=10')).to.include({ path: '/vod/a/b/c.mp4' });
    expect(parseRequestPath('/vod/My%20Film/x')).to.include({ path: '/vod/My%20Film/x' });
    expect(parseRequestPath('/vod/a/b/')).to.include({ path: '/vod/a/b/' });
    expect(parseRequestPath('/static/x/y/z')).to.deep.equal({ ok: true, kind: 'static', resource: 'x/y/z', path: '/static/x/y/z' });
    expect(parseRequestPath("/static/a-b_c.~!$&'()*+,;=:@")).to.include({ ok: true });
    expect(parseRequestPath('/vod/...')).to.include({ ok: true }); // three dots are a name, not a dot segment
  });

  it('rejects everything else with a reason', () => {
    const bad: Array<[string, string]> = [
      ['', 'unknown path'],
      ['btv/live/hls/ch1', 'unknown path'],
      ['/non/existing/path', 'unknown path'],
      ['/btv/life/hls/x', 'unknown path'],
      ['/BTV/live/hls/x', 'unknown path'],
      ['/btv/live', 'unknown path'],
      ['/btv/live/hlss/x', 'bad codec'],
      ['/btv/live/HLS/x', 'bad codec'],
      ['/btv/live/hls', 'bad codec'],
      ['/btv/live/hls_xx/x', 'bad codec'],
      ['/btv/live/hls/asd123!', 'bad resource'],
      ['/btv/live/hls/', 'bad resource'],
      ['/btv/live/hls/ch1/', 'bad resource'],
      ['/btv/live/hls/ch1/extra', 'bad resource'],
      ['/btv/live/hls/ch1.', 'bad resource'],
      ['/btv/live/hls/.m3u8', 'bad resource'],
      ['/btv/live/hls/ch1.a.b', 'bad resource'],
      ['/btv/live/hls/ch%31', 'bad resource'],
      ['/btv/live/hls/ch-1', 'bad resource'],
      ['/btv/live/hls/кино', 'bad resource'],
      ['/vod/', 'empty asset path'],
      ['/vod//', 'empty asset path'],
      ['/vod', 'unknown path'],
      ['/static/', 'empty asset path'],
      ['/vod/a b', 'bad character in path'],
      ['/vod/a"b', 'bad character in path'],
      ['/vod/a<b>', 'bad character in path'],
      ['/vod/a\\b', 'bad character in path'],
      ['/vod/a\r\nSet-Cookie:x', 'bad character in path'],
      ['/vod/фильм', 'bad character in path'],
      ['/vod/a%2', 'bad character in path'],
      ['/vod/a%zz', 'bad character in path'],
      ['/vod/../admin', 'dot segment in path'],
      ['/vod/a/./b', 'dot segment in path'],
      ['/vod/a/..', 'dot segment in path'],
      ['/static/%2e%2E/x', 'dot segment in path'],
      ['/vod/.%2e/x', 'dot segment in path'],
    ];
    for (const [path, reason] of bad) {
      const parsed = parseRequestPath(path);
      expect(parsed.ok, path).to.equal(false);
      if (!parsed.ok) expect(parsed.reason, path).to.equal(reason);
    }
    expect(parseRequestPath(`/vod/${'a'.repeat(5000)}`)).to.include({ ok: false, reason: 'path too long' });
  });
});
