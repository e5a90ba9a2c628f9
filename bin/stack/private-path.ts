// Files and folders only the node's user may read (docs/security.md, "Files and sockets"):
// data/ (FerretDB files, the generated SECRET_KEY_BASE, console sockets) and the console
// socket's folder are 0700; the secret file must be 0600 or the stack refuses to start.
import { chmodSync, mkdirSync, statSync } from 'node:fs';

const GROUP_OR_OTHER = 0o077;
const STICKY = 0o1000;

/** Why a secret file may not be used (readable or writable by others), or undefined. */
export function secretFileProblem(path: string): string | undefined {
  const mode = statSync(path).mode & 0o777;
  if ((mode & GROUP_OR_OTHER) === 0) return undefined;
  return `${path} has mode ${mode.toString(8).padStart(4, '0')}, so other users can read it; run \`chmod 600 ${path}\` (or delete it to get a new secret)`;
}

/**
 * Creates `dir` (and its parents) as 0700, or tightens an existing folder of ours to 0700.
 * A shared sticky folder such as /tmp, or one owned by someone else, is left alone: the
 * files put in it are 0600 themselves.
 */
export function ensurePrivateDir(dir: string): void {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const stat = statSync(dir);
  const ours = process.getuid === undefined || stat.uid === process.getuid();
  if (!ours || (stat.mode & STICKY) !== 0 || (stat.mode & GROUP_OR_OTHER) === 0) return;
  chmodSync(dir, 0o700);
}
