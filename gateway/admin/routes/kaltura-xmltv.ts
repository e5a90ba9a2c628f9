// The original's Kaltura-flavour XMLTV (docs/scheduling.md, "EPG formats"): one file per
// channel, programmes as siblings of the channel element.
//
//   <EpgChannels group-id="3057" main-lang="kaz">
//     <channel id="000000014"><display-name lang="kaz">BBC World News</display-name></channel>
//     <programme channel="000000014" external_id="30190406003000" start="20190406003000" stop="20190406010000">
//       <title lang="kaz">Click</title> …
//     </programme>
//   </EpgChannels>
//
// Channel epgId = channel/@id; programme epgId = @external_id; name = title; times
// YYYYMMDDhhmmss read as UTC. Every other element is ignored.
import type { EpgSkip, ProgramDraft } from '../../../actors/routing/index.js';
import { RESOURCE_PATTERN } from '../../../domain/routing/entities.js';
import { XmltvError, epgXmlParser, parseXmltvTime, programmeTitle, xmlText } from './xmltv.js';

export interface ParsedKaltura {
  /** The channel ids the document declares (channel/@id), in order. */
  channels: string[];
  programmes: ProgramDraft[];
  skipped: EpgSkip[];
}

const RESOURCE = new RegExp(RESOURCE_PATTERN);
const KALTURA_TIME = /^\d{14}$/;

/** `20190406003000` (UTC) → ISO-8601; undefined unless exactly 14 digits of a real time. */
export function parseKalturaTime(value: string): string | undefined {
  const trimmed = value.trim();
  return KALTURA_TIME.test(trimmed) ? parseXmltvTime(trimmed) : undefined;
}

/** Parses a well-formed document whose root is <EpgChannels> (checked by the caller). */
export function parseKalturaXmltv(xml: string): ParsedKaltura {
  const doc = epgXmlParser.parse(xml) as Record<string, unknown>;
  const root = doc.EpgChannels;
  if (root === undefined) throw new XmltvError('The document is not a Kaltura EPG (no <EpgChannels> root element).');
  const body = typeof root === 'object' && root !== null ? (root as Record<string, unknown>) : {};
  const channelList = Array.isArray(body.channel) ? (body.channel as Array<Record<string, unknown>>) : [];
  const programmeList = Array.isArray(body.programme) ? (body.programme as Array<Record<string, unknown>>) : [];
  const channels: string[] = [];
  const skipped: EpgSkip[] = [];
  for (const channel of channelList) {
    const id = xmlText(channel['@id']) ?? '';
    if (RESOURCE.test(id)) channels.push(id);
    else skipped.push({ channel: id, reason: 'the channel id is missing or not an epgId (letters, digits, _)' });
  }
  const programmes: ProgramDraft[] = [];
  for (const item of programmeList) {
    const channel = xmlText(item['@channel']) ?? '';
    const startText = xmlText(item['@start']) ?? '';
    const externalId = xmlText(item['@external_id']) ?? '';
    const where = { channel, start: startText, ...(externalId !== '' ? { epgId: externalId } : {}) };
    if (!RESOURCE.test(channel)) {
      skipped.push({ ...where, reason: 'the channel attribute is missing or not an epgId (letters, digits, _)' });
      continue;
    }
    if (!RESOURCE.test(externalId) || externalId.length > 128) {
      skipped.push({ ...where, reason: 'external_id is missing or not an epgId (letters, digits, _; up to 128)' });
      continue;
    }
    const start = parseKalturaTime(startText);
    if (start === undefined) {
      skipped.push({ ...where, reason: `start "${startText}" is not a time like 20190406003000 (UTC)` });
      continue;
    }
    const stopText = xmlText(item['@stop']);
    const stop = stopText === undefined ? undefined : parseKalturaTime(stopText);
    if (stop === undefined) {
      skipped.push({
        ...where,
        start,
        reason: stopText === undefined ? 'stop is missing' : `stop "${stopText}" is not a time like 20190406010000 (UTC)`,
      });
      continue;
    }
    const name = programmeTitle(item);
    if (name === undefined) {
      skipped.push({ ...where, start, reason: 'the programme has no title' });
      continue;
    }
    programmes.push({ epgId: externalId, channel, name: name.slice(0, 200), startDatetime: start, endDatetime: stop });
  }
  return { channels, programmes, skipped };
}
