// The local stack's SECRET_KEY_BASE: from the environment, else one generated once and kept
// in data/ (0600) so tokens stay valid across restarts and every local node shares it.
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { ensurePrivateDir, secretFileProblem } from './private-path.js';

/** The kept secret file is readable by other users: the stack refuses to start (exit 2). */
export class SecretFileError extends Error {
  override name = 'SecretFileError';
}

export function localSecretKeyBase(dataDir: string, env: Record<string, string | undefined> = process.env): string {
  const fromEnv = env.SECRET_KEY_BASE?.trim();
  if (fromEnv) return fromEnv;
  const file = join(dataDir, 'secret_key_base');
  if (existsSync(file)) {
    const problem = secretFileProblem(file);
    if (problem !== undefined) throw new SecretFileError(`SECRET_KEY_BASE file: ${problem}`);
    return readFileSync(file, 'utf8').trim();
  }
  ensurePrivateDir(dirname(file));
  const secret = randomBytes(48).toString('base64url');
  writeFileSync(file, `${secret}\n`, { mode: 0o600 });
  return secret;
}
