// The password policy beyond length (docs/security.md "Password policy"): a new password must
// not be one of the most common passwords (the bundled list common-passwords.txt, compared
// case-insensitively). Loaded once, on first use.
import { readFileSync } from 'node:fs';

const LIST_URL = new URL('./common-passwords.txt', import.meta.url);

let common: Set<string> | undefined;

function commonPasswords(): Set<string> {
  common ??= new Set(
    readFileSync(LIST_URL, 'utf8')
      .split('\n')
      .map((line) => line.trim())
      .filter((line) => line.length > 0 && !line.startsWith('#'))
      .map((line) => line.toLowerCase()),
  );
  return common;
}

export function isCommonPassword(password: string): boolean {
  return commonPasswords().has(password.trim().toLowerCase());
}

/** Why `password` is refused as a new password, or undefined when it is fine (length is checked by the schema). */
export function passwordPolicyProblem(password: string): string | undefined {
  if (isCommonPassword(password)) return 'This password is one of the most common passwords; choose another.';
  return undefined;
}
