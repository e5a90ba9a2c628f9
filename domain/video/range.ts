// The HTTP Range header for playback (RFC 9110 §14). One byte range is served as 206; several
// ranges are answered with the whole file (200), which the RFC allows and every player accepts;
// a range that starts past the end is 416 (docs/video.md, "Playback").

export type RangeRequest = { kind: 'whole' } | { kind: 'single'; start: number; end: number } | { kind: 'unsatisfiable' };

const SPEC = /^\s*(\d*)\s*-\s*(\d*)\s*$/;

export function parseRange(header: string | undefined, size: number): RangeRequest {
  if (header === undefined) return { kind: 'whole' };
  const match = /^\s*bytes\s*=(.*)$/i.exec(header);
  // Another unit or garbage: ignore the header (RFC 9110: a server MAY ignore Range).
  if (!match) return { kind: 'whole' };
  const specs = (match[1] ?? '').split(',').filter((part) => part.trim() !== '');
  if (specs.length !== 1) return { kind: 'whole' };
  const spec = SPEC.exec(specs[0]!);
  if (!spec) return { kind: 'whole' };
  const [, first = '', last = ''] = spec;
  if (first === '' && last === '') return { kind: 'whole' };
  if (first.length > 15 || last.length > 15) return { kind: 'unsatisfiable' };
  if (first === '') {
    // A suffix: the last N bytes.
    const length = Number(last);
    if (length === 0 || size === 0) return { kind: 'unsatisfiable' };
    return { kind: 'single', start: Math.max(0, size - length), end: size - 1 };
  }
  const start = Number(first);
  const end = last === '' ? size - 1 : Math.min(Number(last), size - 1);
  if (last !== '' && Number(last) < start) return { kind: 'whole' };
  if (start >= size) return { kind: 'unsatisfiable' };
  return { kind: 'single', start, end };
}
