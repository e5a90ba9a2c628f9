// The local stack's SECRET_KEY_BASE: from the environment, else one generated once and kept
// in data/ so tokens stay valid across restarts and every local node shares it.
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

export function localSecretKeyBase(dataDir: string, env: Record<string, string | undefined> = process.env): string {
  const fromEnv = env.SECRET_KEY_BASE?.trim();
  if (fromEnv) return fromEnv;
  const file = join(dataDir, 'secret_key_base');
  if (existsSync(file)) return readFileSync(file, 'utf8').trim();
  mkdirSync(dirname(file), { recursive: true });
  const secret = randomBytes(48).toString('base64url');
  writeFileSync(file, `${secret}\n`, { mode: 0o600 });
  return secret;
}
