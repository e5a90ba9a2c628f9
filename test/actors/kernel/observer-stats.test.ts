// The kernel's Observer data (docs/console.md): per actor state, restarts and the last
// reason, mailbox length, messages per second; and the operator's crash that the actor's
// supervision answers with a restart.
import { expect } from 'chai';
import { ask, startActorSystem, type ActorRef, type ActorSystem, type ActorTreeNode } from '../../../actors/kernel/index.js';
import { counterSpec, newProbe, parentSpec, type CounterMsg } from './fixtures.js';
import { recordingLogger, until } from './support.js';

const get = (ref: ActorRef<CounterMsg>): Promise<number> => ask(ref, (replyTo) => ({ kind: 'get', replyTo }), 2_000);

function find(nodes: readonly ActorTreeNode[], path: string): ActorTreeNode | undefined {
  for (const node of nodes) {
    if (node.path === path) return node;
    const inner = find(node.children, path);
    if (inner !== undefined) return inner;
  }
  return undefined;
}

describe('kernel observer stats', () => {
  let system: ActorSystem | undefined;
  afterEach(async () => {
    await system?.stop();
    system = undefined;
  });

  it('reports each running actor with its state, restarts, mailbox and message rate', async () => {
    system = startActorSystem({ log: recordingLogger() });
    const probe = newProbe();
    const parent = system.spawn(parentSpec('sup', [counterSpec('counter', probe)], () => undefined));
    const { counter } = await ask(parent, (replyTo) => ({ kind: 'children', replyTo }), 2_000);
    for (let i = 0; i < 50; i += 1) counter!.tell({ kind: 'inc' });
    expect(await get(counter!)).to.equal(50);

    const node = find(system.tree(), '/sup/counter');
    expect(node).to.include({ name: 'counter', state: 'running', restarts: 0, mailbox: 0 });
    expect(node?.lastRestartReason).to.equal(undefined);
    // 52 messages (start, 50 incs, get) were taken this second or the last one.
    await until(() => (find(system!.tree(), '/sup/counter')?.messagesPerSecond ?? 0) >= 50, 2_500, 'the rate of the last second');
  });

  it('crash(path) restarts the actor through its supervision and records the reason', async () => {
    system = startActorSystem({ log: recordingLogger() });
    const probe = newProbe();
    const parent = system.spawn(parentSpec('sup', [counterSpec('counter', probe)], () => undefined));
    const { counter } = await ask(parent, (replyTo) => ({ kind: 'children', replyTo }), 2_000);
    counter!.tell({ kind: 'inc' });
    expect(await get(counter!)).to.equal(1);

    expect(system.crash('/sup/counter', 'stopped by admin@example.com')).to.equal(true);
    expect(await get(counter!), 'fresh state after the restart').to.equal(0);
    expect(probe.inits).to.equal(2);
    const node = find(system.tree(), '/sup/counter');
    expect(node).to.include({ restarts: 1, lastRestartReason: 'stopped by admin@example.com', state: 'running' });
    expect(Date.parse(node?.lastRestartAt ?? '')).to.be.closeTo(Date.now(), 5_000);
    expect(find(system.tree(), '/sup')?.restarts, 'the parent did not restart').to.equal(0);

    expect(system.crash('/sup/nobody', 'x')).to.equal(false);
  });
});
