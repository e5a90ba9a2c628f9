import { expect } from 'chai';
import { catchupPath, normalizePath, origin, url } from '../../actors/routing/url.js';

describe('routing: url rules', () => {
  it('https only on 443; port omitted for 80 and 443', () => {
    expect(url('edge1.test', 80, '/s/hls')).to.equal('http://edge1.test/s/hls');
    expect(url('edge1.test', 443, '/s/hls')).to.equal('https://edge1.test/s/hls');
    expect(url('edge2.test', 96, '/s/hls')).to.equal('http://edge2.test:96/s/hls');
    expect(url('edge2.test', 8443, '/s/hls')).to.equal('http://edge2.test:8443/s/hls');
    expect(origin('e.test', 1)).to.equal('http://e.test:1');
  });

  it('collapses runs of / and adds the leading one', () => {
    expect(normalizePath('s//a///b')).to.equal('/s/a/b');
    expect(normalizePath('/')).to.equal('/');
    expect(normalizePath('')).to.equal('/');
    expect(url('e.test', 80, '//x//y/')).to.equal('http://e.test/x/y/');
  });

  it('catch-up path: /dvr/{prefix}/{record path}', () => {
    expect(catchupPath('dvr1', 'rec/hls')).to.equal('/dvr/dvr1/rec/hls');
    expect(catchupPath('dvr1', '/rec//hls')).to.equal('/dvr/dvr1/rec/hls');
    expect(catchupPath(undefined, 'rec/hls')).to.equal('/dvr/rec/hls');
    expect(url('edge2.test', 96, catchupPath('dvr2', 'rec/mpd'))).to.equal('http://edge2.test:96/dvr/dvr2/rec/mpd');
  });
});
