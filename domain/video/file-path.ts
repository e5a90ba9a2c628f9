// Recording file names and where they live: a name is one plain path segment, so no request
// can reach outside the zone's storageDir (docs/video.md, "Playback links").
import { isAbsolute, relative, resolve, sep } from 'node:path';

/** Letters, digits, `.`, `_`, `-`; starts with a letter or digit (no hidden files, no `..`). */
const FILE_NAME_RE = /^[A-Za-z0-9][A-Za-z0-9._-]{0,254}$/;

export type FileNameCheck = { ok: true } | { ok: false; message: string };

export function checkFileName(fileName: string, fileType?: string): FileNameCheck {
  if (!FILE_NAME_RE.test(fileName) || fileName.includes('..')) {
    return { ok: false, message: 'a file name is 1-255 letters, digits, ".", "_" or "-", starting with a letter or digit, without ".."' };
  }
  if (fileType !== undefined && !fileName.toLowerCase().endsWith(`.${fileType.toLowerCase()}`)) {
    return { ok: false, message: `the zone stores .${fileType} files` };
  }
  return { ok: true };
}

/** The absolute path of `fileName` inside `dir`, or undefined when it would leave `dir`. */
export function resolveInside(dir: string, fileName: string): string | undefined {
  if (!checkFileName(fileName).ok) return undefined;
  const root = resolve(dir);
  const full = resolve(root, fileName);
  const rel = relative(root, full);
  if (rel === '' || rel.startsWith('..') || isAbsolute(rel) || rel.includes(sep)) return undefined;
  return full;
}

const CONTENT_TYPES: Record<string, string> = {
  mp4: 'video/mp4',
  m4v: 'video/mp4',
  webm: 'video/webm',
  mkv: 'video/x-matroska',
  avi: 'video/x-msvideo',
  mov: 'video/quicktime',
  ogv: 'video/ogg',
  ts: 'video/mp2t',
  flv: 'video/x-flv',
  wmv: 'video/x-ms-wmv',
};

export function contentTypeOf(fileName: string): string {
  const dot = fileName.lastIndexOf('.');
  const ext = dot < 0 ? '' : fileName.slice(dot + 1).toLowerCase();
  return CONTENT_TYPES[ext] ?? 'application/octet-stream';
}
