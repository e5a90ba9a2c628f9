// Talking to a node's console socket (bin/node/console-server.ts) from a test.
import { connect } from 'node:net';

/** Sends each line once the prompt shows, returns everything the console printed. */
export function consoleSession(path: string, lines: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(path);
    let text = '';
    const queue = [...lines];
    socket.setEncoding('utf8');
    socket.on('error', reject);
    socket.on('data', (chunk: string) => {
      text += chunk;
      if (!/> $/.test(text)) return;
      const line = queue.shift();
      if (line === undefined) socket.end();
      else socket.write(`${line}\n`);
    });
    socket.on('close', () => resolve(text));
  });
}
