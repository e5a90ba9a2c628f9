// Entry of a load child process (see child-runner.ts): waits for one task, runs it, sends the
// result, exits. It exits too when the parent goes away.
import { holdChatSockets, runChatLoad } from './chat-load.js';
import { startCheckedLoad, type CheckedLoad, type CheckedLoadSnapshot, type CheckedLoadSpec } from './checked-load.js';
import type { ChildMessage, ParentMessage } from './child-runner.js';
import { runHttpLoad } from './http-load.js';
import { errorText } from '../domain/errors.js';
import { lowerPriority } from './niceness.js';

if (process.send === undefined) {
  process.stderr.write('load-child.ts is started by load_testing/child-runner.ts, not directly\n');
  process.exit(2);
}

const send = (message: ChildMessage): Promise<void> =>
  new Promise((resolve) => {
    if (process.send === undefined || !process.connected) return resolve();
    process.send(message, undefined, {}, () => resolve());
  });

let release: () => void = () => {};
const released = new Promise<void>((resolve) => (release = resolve));
process.on('disconnect', () => process.exit(0));
let checked: CheckedLoad | undefined;

/** Runs until released, taking commands meanwhile. */
async function runChecked(spec: CheckedLoadSpec): Promise<CheckedLoadSnapshot> {
  const load = startCheckedLoad(spec);
  checked = load;
  await released;
  return load.stop();
}

process.on('message', (raw) => {
  const message = raw as ParentMessage;
  if (message.type === 'release') {
    release();
    return;
  }
  if (message.type === 'control') {
    const { id, command } = message;
    void send(
      checked === undefined
        ? { type: 'control-reply', id, error: 'no checked load running' }
        : { type: 'control-reply', id, reply: checked.control(command) },
    );
    return;
  }
  const { task } = message;
  if (message.niceness !== undefined) lowerPriority(message.niceness);
  const work: Promise<unknown> =
    task.kind === 'http'
      ? runHttpLoad(task.spec, released)
      : task.kind === 'chat'
        ? runChatLoad(task.spec)
        : task.kind === 'checked'
          ? runChecked(task.spec)
          : holdChatSockets(task.spec, (data) => void send({ type: 'progress', data }), released);
  work.then(
    async (result) => {
      await send({ type: 'result', result });
      process.exit(0);
    },
    async (error: unknown) => {
      await send({ type: 'failed', error: errorText(error) });
      process.exit(1);
    },
  );
});
