// XMLTV (the EPG exchange format) → programme drafts. Pure parsing: channel ids and times are
// checked here; whether a channel exists is for the domain-model actor.
//
//   <tv>
//     <programme start="20080715003000 +0000" stop="20080715010000 +0000" channel="ch1" [id="…"]>
//       <title lang="en">News</title>
//     </programme>
//   </tv>
//
// A programme's epgId is its `id` attribute when it has a usable one, else
// `<channel>_<start as UTC yyyymmddHHMMSS>` (stable across re-imports of the same EPG).
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import type { EpgSkip, ProgramDraft } from '../../../actors/routing/index.js';
import { RESOURCE_PATTERN } from '../../../domain/routing/entities.js';

export class XmltvError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'XmltvError';
  }
}

export interface ParsedXmltv {
  programmes: ProgramDraft[];
  skipped: EpgSkip[];
}

const RESOURCE = new RegExp(RESOURCE_PATTERN);
const TIME = /^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})?\s*(?:([+-])(\d{2}):?(\d{2})|Z|UTC|GMT)?$/;

/** `20080715003000 +0000` (seconds and offset optional) → `2008-07-15T00:30:00Z`; undefined when invalid. */
export function parseXmltvTime(text: string): string | undefined {
  const m = TIME.exec(text.trim());
  if (!m) return undefined;
  const [, y, mo, d, h, mi, s = '00', sign, oh = '00', om = '00'] = m;
  const fields = [y, mo, d, h, mi, s].map(Number) as [number, number, number, number, number, number];
  const local = Date.UTC(fields[0], fields[1] - 1, fields[2], fields[3], fields[4], fields[5]);
  const check = new Date(local);
  // Date.UTC rolls 2008-02-30 over to March: a real calendar time must come back unchanged.
  if (
    check.getUTCFullYear() !== fields[0] ||
    check.getUTCMonth() !== fields[1] - 1 ||
    check.getUTCDate() !== fields[2] ||
    check.getUTCHours() !== fields[3] ||
    check.getUTCMinutes() !== fields[4] ||
    check.getUTCSeconds() !== fields[5]
  ) {
    return undefined;
  }
  const offsetMin = (Number(oh) * 60 + Number(om)) * (sign === '-' ? -1 : 1);
  if (Math.abs(offsetMin) > 18 * 60) return undefined;
  return new Date(local - offsetMin * 60_000).toISOString().replace('.000Z', 'Z');
}

function compact(iso: string): string {
  return iso.replace(/[-:TZ]/g, '').slice(0, 14);
}

/** The trimmed text of an attribute or element as fast-xml-parser gives it, or undefined. */
export function xmlText(value: unknown): string | undefined {
  if (typeof value === 'string') return value.trim();
  if (typeof value === 'number') return String(value);
  if (typeof value === 'object' && value !== null && '#text' in value) return xmlText(value['#text']);
  return undefined;
}

/** The first non-empty <title> of a <programme>, or undefined. */
export function programmeTitle(programme: Record<string, unknown>): string | undefined {
  const titles: unknown[] = Array.isArray(programme.title) ? programme.title : [];
  return titles.map(xmlText).find((t) => t !== undefined && t.length > 0);
}

/** Both EPG flavours (XMLTV and Kaltura's) parse with these options: attributes as `@name`, values as text. */
export const epgXmlParser = new XMLParser({
  ignoreAttributes: false,
  attributeNamePrefix: '@',
  parseTagValue: false,
  parseAttributeValue: false,
  processEntities: true,
  isArray: (name) => name === 'programme' || name === 'channel' || name === 'title',
});

export function parseXmltv(xml: string): ParsedXmltv {
  // Internal entity declarations are the road to entity-expansion bombs; XMLTV never needs them.
  if (/<!ENTITY/i.test(xml)) throw new XmltvError('The document declares XML entities; they are not accepted.');
  const valid = XMLValidator.validate(xml);
  if (valid !== true) throw new XmltvError(`The body is not well-formed XML: ${valid.err.msg} (line ${valid.err.line}).`);
  const doc = epgXmlParser.parse(xml) as Record<string, unknown>;
  if (!Object.prototype.hasOwnProperty.call(doc, 'tv')) throw new XmltvError('The body is not an XMLTV document (no <tv> root element).');
  const tv = doc.tv; // '' for an empty <tv/>
  const raw = typeof tv === 'object' && tv !== null ? (tv as Record<string, unknown>).programme : undefined;
  const list = Array.isArray(raw) ? (raw as Array<Record<string, unknown>>) : [];
  const programmes: ProgramDraft[] = [];
  const skipped: EpgSkip[] = [];
  for (const item of list) {
    const channel = xmlText(item['@channel']) ?? '';
    const startText = xmlText(item['@start']) ?? '';
    const where = { channel, start: startText };
    if (!RESOURCE.test(channel)) {
      skipped.push({ ...where, reason: 'the channel attribute is missing or not an epgId (letters, digits, _)' });
      continue;
    }
    const start = parseXmltvTime(startText);
    const stopText = xmlText(item['@stop']);
    const stop = stopText === undefined ? undefined : parseXmltvTime(stopText);
    if (start === undefined) {
      skipped.push({ ...where, reason: `start "${startText}" is not an XMLTV time like 20080715003000 +0000` });
      continue;
    }
    if (stop === undefined) {
      skipped.push({ ...where, start, reason: stopText === undefined ? 'stop is missing' : `stop "${stopText}" is not an XMLTV time` });
      continue;
    }
    const name = programmeTitle(item);
    if (name === undefined) {
      skipped.push({ ...where, start, reason: 'the programme has no title' });
      continue;
    }
    const id = xmlText(item['@id']);
    const epgId = id !== undefined && RESOURCE.test(id) && id.length <= 128 ? id : `${channel}_${compact(start)}`;
    programmes.push({ epgId, channel, name: name.slice(0, 200), startDatetime: start, endDatetime: stop });
  }
  return { programmes, skipped };
}
