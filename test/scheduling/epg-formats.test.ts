// EPG documents: the Kaltura flavour beside standard XMLTV (docs/scheduling.md, "EPG formats").
import { expect } from 'chai';
import { parseEpgDocument } from '../../gateway/admin/routes/epg-document.js';
import { parseKalturaTime, parseKalturaXmltv } from '../../gateway/admin/routes/kaltura-xmltv.js';
import { XmltvError } from '../../gateway/admin/routes/xmltv.js';

const kaltura = `<?xml version="1.0" encoding="UTF-8"?>
<!-- exported by the EPG provider -->
<EpgChannels group-id="3057" main-lang="kaz">
  <channel id="000000014"><display-name lang="kaz">BBC World News</display-name></channel>
  <programme channel="000000014" external_id="30190406003000" start="20190406003000" stop="20190406010000">
    <title lang="kaz">Click</title> <desc lang="kaz">About &amp; more</desc> <metas><meta name="genre">news</meta></metas> <tags><tag>x</tag></tags> <crid>979049</crid>
  </programme>
  <programme channel="000000014" external_id="30190406010000" start="20190406010000" stop="20190406013000">
    <title lang="kaz"></title><title lang="eng">HARDtalk</title>
  </programme>
  <programme channel="000000014" start="20190406013000" stop="20190406020000"><title>No id</title></programme>
  <programme channel="000000014" external_id="bad id" start="20190406013000" stop="20190406020000"><title>Bad id</title></programme>
  <programme channel="000000014" external_id="30190406020000" start="2019-04-06 02:00" stop="20190406030000"><title>Bad start</title></programme>
  <programme channel="000000014" external_id="30190406030000" start="20190406030000" stop="20190431030000"><title>No such day</title></programme>
  <programme channel="000000014" external_id="30190406040000" start="20190406040000" stop="20190406050000"></programme>
</EpgChannels>`;

describe('Kaltura-flavour XMLTV', () => {
  it('reads channel/@id, @external_id, the first non-empty title and UTC times; ignores everything else', () => {
    const parsed = parseKalturaXmltv(kaltura);
    expect(parsed.channels).to.deep.equal(['000000014']);
    expect(parsed.programmes).to.deep.equal([
      {
        epgId: '30190406003000',
        channel: '000000014',
        name: 'Click',
        startDatetime: '2019-04-06T00:30:00Z',
        endDatetime: '2019-04-06T01:00:00Z',
      },
      {
        epgId: '30190406010000',
        channel: '000000014',
        name: 'HARDtalk',
        startDatetime: '2019-04-06T01:00:00Z',
        endDatetime: '2019-04-06T01:30:00Z',
      },
    ]);
    const reasons = parsed.skipped.map((s) => s.reason);
    expect(reasons).to.have.length(5);
    expect(reasons[0]).to.match(/external_id is missing/);
    expect(reasons[1]).to.match(/external_id is missing or not an epgId/);
    expect(reasons[2]).to.match(/start "2019-04-06 02:00" is not a time like 20190406003000/);
    expect(reasons[3]).to.match(/stop "20190431030000" is not a time/);
    expect(reasons[4]).to.match(/no title/);
  });

  it('times are exactly 14 digits of a real calendar time, read as UTC', () => {
    expect(parseKalturaTime('20190406003000')).to.equal('2019-04-06T00:30:00Z');
    expect(parseKalturaTime(' 20191231235959 ')).to.equal('2019-12-31T23:59:59Z');
    for (const bad of ['201904060030', '20190406003000 +0200', '20190230003000', '20190406246000', 'x']) {
      expect(parseKalturaTime(bad), bad).to.equal(undefined);
    }
  });

  it('a channel without a usable id is reported; a file with channels and no programmes is fine', () => {
    const parsed = parseKalturaXmltv('<EpgChannels><channel id="a b"/><channel id="ok_1"/></EpgChannels>');
    expect(parsed.channels).to.deep.equal(['ok_1']);
    expect(parsed.programmes).to.deep.equal([]);
    expect(parsed.skipped[0]?.reason).to.match(/channel id is missing or not an epgId/);
  });
});

describe('EPG documents: the root element picks the format', () => {
  it('Kaltura for <EpgChannels>, XMLTV for <tv> (channels from the programmes)', () => {
    expect(parseEpgDocument(kaltura).format).to.equal('kaltura');
    const xmltv = parseEpgDocument(
      '<?xml version="1.0"?><!DOCTYPE tv SYSTEM "xmltv.dtd"><tv><programme channel="c1" start="20080715003000 +0000" stop="20080715010000 +0000"><title>T</title></programme></tv>',
    );
    expect(xmltv.format).to.equal('xmltv');
    expect(xmltv.channels).to.deep.equal(['c1']);
    expect(xmltv.programmes[0]?.epgId).to.equal('c1_20080715003000');
  });

  it('refuses what is not XML, entity declarations, and other roots, with a reason', () => {
    expect(() => parseEpgDocument('not xml')).to.throw(XmltvError, /not well-formed XML/);
    expect(() => parseEpgDocument('<EpgChannels><channel></EpgChannels>')).to.throw(XmltvError, /not well-formed/);
    expect(() => parseEpgDocument('<!DOCTYPE x [<!ENTITY a "b">]><EpgChannels/>')).to.throw(XmltvError, /entities/);
    expect(() => parseEpgDocument('<other/>')).to.throw(XmltvError, /no <tv> root/);
  });
});
