// A zone's fileNamePattern: how files that arrive by other means (rsync) are indexed from
// their names alone (docs/video.md, "Files dropped into storageDir").

export interface ParsedFileName {
  sessionId: string;
  projectId?: string;
  /** ISO 8601, when the name carries it. */
  recordedAt?: string;
}

export type CompiledPattern = { ok: true; regex: RegExp } | { ok: false; message: string };

/** Compiles the pattern anchored to the whole name; it must have a `sessionId` named group. */
export function compileFileNamePattern(pattern: string): CompiledPattern {
  let regex: RegExp;
  try {
    regex = new RegExp(`^(?:${pattern})$`, 'u');
  } catch (error) {
    return { ok: false, message: `is not a valid regular expression (${(error as Error).message})` };
  }
  if (!/\(\?<sessionId>/.test(pattern)) return { ok: false, message: 'needs a named group (?<sessionId>…)' };
  return { ok: true, regex };
}

const COMPACT = /^(\d{4})(\d{2})(\d{2})(?:[T_-]?(\d{2})(\d{2})(\d{2})?)?$/;
const DASHED = /^(\d{4})-(\d{2})-(\d{2})(?:[T _](\d{2})[:-]?(\d{2})(?:[:-]?(\d{2}))?)?(?:\.\d+)?(Z|[+-]\d{2}:?\d{2})?$/;

/**
 * A recording date from a file name: `20240131`, `20240131T101500`, `20240131-1015`,
 * `2024-01-31`, `2024-01-31T10-15-00`, `2024-01-31T10:15:00Z`. Without an offset it is UTC.
 */
export function parseRecordedAt(text: string): string | undefined {
  const match = COMPACT.exec(text) ?? DASHED.exec(text);
  if (!match) return undefined;
  const [, y, mo, d, h = '00', mi = '00', s = '00'] = match;
  const offset = match[7];
  const iso = `${y}-${mo}-${d}T${h}:${mi}:${s}${offset === undefined || offset === 'Z' ? 'Z' : offset.replace(/^([+-]\d{2})(\d{2})$/, '$1:$2')}`;
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return undefined;
  // Reject rollovers such as 2024-02-31 (Date would turn it into March 2).
  if (offset === undefined || offset === 'Z') {
    if (date.getUTCFullYear() !== Number(y) || date.getUTCMonth() + 1 !== Number(mo) || date.getUTCDate() !== Number(d)) return undefined;
  }
  return date.toISOString();
}

/** The ids a file name carries, or undefined when it does not match (or carries a bad date). */
export function parseFileName(regex: RegExp, fileName: string): ParsedFileName | undefined {
  const match = regex.exec(fileName);
  const groups = match?.groups;
  const sessionId = groups?.['sessionId'];
  if (groups === undefined || sessionId === undefined || !isValidId(sessionId)) return undefined;
  const parsed: ParsedFileName = { sessionId };
  const projectId = groups['projectId'];
  if (projectId !== undefined && projectId !== '') {
    if (!isValidId(projectId)) return undefined;
    parsed.projectId = projectId;
  }
  const recordedAt = groups['recordedAt'];
  if (recordedAt !== undefined && recordedAt !== '') {
    const iso = parseRecordedAt(recordedAt);
    if (iso === undefined) return undefined;
    parsed.recordedAt = iso;
  }
  return parsed;
}

/** Session and project ids: printable ASCII without spaces, 1..128 characters. */
export const ID_PATTERN = '^[\\x21-\\x7e]{1,128}$';
const ID_RE = new RegExp(ID_PATTERN);

export function isValidId(value: string): boolean {
  return ID_RE.test(value);
}
