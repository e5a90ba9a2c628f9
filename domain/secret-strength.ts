// How strong SECRET_KEY_BASE must be (docs/deployment.md, "Security on a network"). In
// development (HOST is a loopback address) 32 characters of anything do; a node that serves
// a network needs an estimated 128 bits of entropy, which `openssl rand -base64 48` gives
// many times over and a word repeated, a hex string of 32 or a password does not.

export const DEV_SECRET_MIN_LENGTH = 32;
export const NETWORK_SECRET_MIN_BITS = 128;

/**
 * Estimated entropy in bits: length × the Shannon entropy of the character distribution.
 * Conservative for random strings (it never credits more than log2(distinct characters) per
 * character) and low for repetitive ones ("aaaa…" scores 0).
 */
export function estimatedEntropyBits(secret: string): number {
  const counts = new Map<string, number>();
  for (const ch of secret) counts.set(ch, (counts.get(ch) ?? 0) + 1);
  const length = [...secret].length;
  let perChar = 0;
  for (const count of counts.values()) {
    const p = count / length;
    perChar -= p * Math.log2(p);
  }
  return perChar * length;
}

/** Why `secret` is not good enough, or undefined when it is. */
export function secretWeakness(secret: string, development: boolean): string | undefined {
  if (secret.length < DEV_SECRET_MIN_LENGTH) return `must be at least ${DEV_SECRET_MIN_LENGTH} characters`;
  if (development) return undefined;
  const bits = Math.floor(estimatedEntropyBits(secret));
  if (bits < NETWORK_SECRET_MIN_BITS) {
    return `is too guessable for a node serving a network (about ${bits} bits of entropy, ${NETWORK_SECRET_MIN_BITS} needed; HOST is not a loopback address): generate one with \`openssl rand -base64 48\``;
  }
  return undefined;
}
