// `npm run console -- <port | socket path>`: attaches this terminal to a running node's
// console (bin/node/console-server.ts) over its unix socket. A port means the default socket
// data/console-<port>.sock; anything else is taken as the socket's path.
// On a terminal, line editing and history are local (readline); the node evaluates the lines.
import { existsSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { resolve } from 'node:path';
import { createInterface, type Interface } from 'node:readline';

const USAGE = `usage: npm run console -- <port | socket path>
  <port>         the node's PORT: connects to data/console-<port>.sock
  <socket path>  the node's CONSOLE_SOCKET
In the console: system, store, mongo, users, config, nodes() are in scope; .exit leaves.`;

function fail(message: string, code: number): never {
  process.stderr.write(`${message}\n`);
  process.exit(code);
}

function socketPathOf(arg: string): string {
  if (/^\d+$/.test(arg)) {
    const port = Number(arg);
    if (port < 1 || port > 65535) fail(`console: ${arg} is not a port (1-65535)\n${USAGE}`, 2);
    return resolve('data', `console-${port}.sock`);
  }
  return resolve(arg);
}

function explain(error: NodeJS.ErrnoException, path: string, arg: string): string {
  const which = /^\d+$/.test(arg) ? `the node on port ${arg}` : 'the node';
  switch (error.code) {
    case 'ENOENT':
      return `console: no socket at ${path}: is ${which} running, with the default CONSOLE_SOCKET?${existsSync(resolve('data')) ? '' : ' (run this from the project folder)'}`;
    case 'ECONNREFUSED':
      return `console: nothing listens on ${path}: ${which} is not running (the socket file is left from an earlier run)`;
    case 'EACCES':
      return `console: permission denied on ${path}: the socket is private to the user running the node`;
    default:
      return `console: cannot connect to ${path}: ${error.message}`;
  }
}

const args = process.argv.slice(2);
if (args.length === 0 || args[0] === '-h' || args[0] === '--help' || args[0] === 'help') {
  fail(USAGE, args.length === 0 ? 2 : 0);
}
if (args.length > 1) fail(`console: expected one argument, got ${args.length}\n${USAGE}`, 2);
const arg = args[0]!;
const path = socketPathOf(arg);

const socket: Socket = connect(path);
socket.once('error', (error: NodeJS.ErrnoException) => fail(explain(error, path, arg), 1));
socket.once('connect', () => {
  socket.removeAllListeners('error');
  socket.on('error', (error) => fail(`console: connection lost: ${error.message}`, 1));
  if (process.stdin.isTTY) attachTerminal(socket);
  else attachPipe(socket);
});

/** The node shows its prompt (or the continuation prompt) when it is ready for a line. */
const PROMPT_AT_END = /(> |\.\.\. )$/;

/**
 * Not a terminal (a script, a test): one line at a time, each sent once the node shows its
 * prompt again, so a line with `await` finishes before the next one runs and before the end
 * of the input closes the session.
 */
function attachPipe(conn: Socket): void {
  const queue: string[] = [];
  let inputDone = false;
  let nodeWaiting = false;
  let pending = '';
  const next = (): void => {
    if (!nodeWaiting) return;
    const line = queue.shift();
    if (line !== undefined) {
      nodeWaiting = false;
      conn.write(`${line}\n`);
    } else if (inputDone) {
      conn.end();
    }
  };
  const input = createInterface({ input: process.stdin, terminal: false });
  input.on('line', (line) => {
    queue.push(line);
    next();
  });
  input.on('close', () => {
    inputDone = true;
    next();
  });
  conn.setEncoding('utf8');
  conn.on('data', (chunk: string) => {
    process.stdout.write(chunk);
    const text = pending + chunk;
    pending = text.slice(text.lastIndexOf('\n') + 1);
    if (PROMPT_AT_END.test(pending)) {
      nodeWaiting = true;
      next();
    }
  });
  conn.on('close', () => {
    process.stdout.write('\n');
    process.exit(0);
  });
}

/**
 * A terminal: readline edits lines locally. The node's prompt (the text after the last line
 * break of what it sent) becomes readline's prompt so that redrawing the line keeps it.
 */
function attachTerminal(conn: Socket): void {
  const rl: Interface = createInterface({ input: process.stdin, output: process.stdout, terminal: true, historySize: 500 });
  rl.setPrompt('');
  conn.setEncoding('utf8');
  // The unfinished last line shown so far (usually the prompt; an output may arrive in pieces).
  let pending = '';
  conn.on('data', (chunk: string) => {
    const text = pending + chunk;
    const lastBreak = text.lastIndexOf('\n');
    pending = text.slice(lastBreak + 1);
    if (lastBreak >= 0) {
      process.stdout.clearLine(0);
      process.stdout.cursorTo(0);
      process.stdout.write(text.slice(0, lastBreak + 1));
    }
    rl.setPrompt(pending);
    rl.prompt(true);
  });
  rl.on('line', (line) => {
    pending = ''; // the prompt and the typed line are done; the node's answer starts a new line
    conn.write(`${line}\n`);
  });
  rl.on('SIGINT', () => {
    // Like the node REPL: Ctrl-C drops the line being typed; Ctrl-D (or .exit) leaves.
    rl.write(null, { ctrl: true, name: 'e' });
    rl.write(null, { ctrl: true, name: 'u' });
    process.stdout.write('\n');
    rl.prompt();
  });
  rl.on('close', () => conn.end());
  conn.on('close', () => {
    process.stdout.write('\n');
    process.exit(0);
  });
}
