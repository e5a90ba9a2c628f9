// Prefixes every line a child writes, so the logs of several nodes stay readable together.
import type { Readable } from 'node:stream';
import { createInterface } from 'node:readline';

export function pipeWithPrefix(stream: Readable | null, prefix: string, write: (line: string) => void): void {
  if (!stream) return;
  const lines = createInterface({ input: stream, crlfDelay: Infinity });
  lines.on('line', (line) => write(`${prefix} ${line}`));
}
