// An EPG document in either format the service takes (docs/scheduling.md, "EPG formats"):
// standard XMLTV (<tv>) or the Kaltura flavour (<EpgChannels>), told apart by the root
// element. Used by POST /api/v1/epg and by the EPG import job.
import { XMLValidator } from 'fast-xml-parser';
import type { EpgSkip, ProgramDraft } from '../../../actors/routing/index.js';
import { parseKalturaXmltv } from './kaltura-xmltv.js';
import { XmltvError, parseXmltv } from './xmltv.js';

export type EpgFormat = 'xmltv' | 'kaltura';

export interface ParsedEpgDocument {
  format: EpgFormat;
  /** Channel ids the document declares (Kaltura: channel/@id; XMLTV: the programmes' channels). */
  channels: string[];
  programmes: ProgramDraft[];
  skipped: EpgSkip[];
}

/** The name of the root element of a well-formed document (after the prolog and comments). */
function rootElement(xml: string): string | undefined {
  const withoutProlog = xml
    .replace(/<\?[\s\S]*?\?>/g, '')
    .replace(/<!--[\s\S]*?-->/g, '')
    .replace(/<!DOCTYPE[^>]*>/gi, '');
  return /<([A-Za-z_][\w.:-]*)/.exec(withoutProlog)?.[1];
}

/** Throws XmltvError with a reason for anything that is not a usable EPG document. */
export function parseEpgDocument(xml: string): ParsedEpgDocument {
  if (/<!ENTITY/i.test(xml)) throw new XmltvError('The document declares XML entities; they are not accepted.');
  const valid = XMLValidator.validate(xml);
  if (valid !== true) throw new XmltvError(`The body is not well-formed XML: ${valid.err.msg} (line ${valid.err.line}).`);
  if (rootElement(xml) === 'EpgChannels') return { format: 'kaltura', ...parseKalturaXmltv(xml) };
  const parsed = parseXmltv(xml);
  const channels = [...new Set(parsed.programmes.map((p) => p.channel))];
  return { format: 'xmltv', channels, ...parsed };
}
