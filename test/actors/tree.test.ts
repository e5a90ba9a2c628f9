// The supervision tree of a running node equals the one drawn in docs/architecture.md: a node
// process (with a chat room active) reports its tree through its console (`system.tree()`).
import { readFileSync } from 'node:fs';
import { expect } from 'chai';
import type { ActorTreeNode } from '../../actors/kernel/index.js';
import { PhoenixUser, socketUrl } from '../chat/support/cluster.js';
import { useClusterHarness } from '../support/cluster-harness.js';
import { consoleSession } from '../support/console.js';
import { waitFor } from '../support/wait.js';

const DOC = new URL('../../docs/architecture.md', import.meta.url);
const ROOM = 'lobby';
const ZONE = 'tree';

/** The drawn tree as paths (`/node/routing/healthcheck`), top-down, from the block between the tree markers. */
function drawnPaths(markdown: string): string[] {
  const block = /<!-- tree:begin -->\s*```\n([\s\S]*?)```\s*<!-- tree:end -->/.exec(markdown);
  if (block?.[1] === undefined) throw new Error('docs/architecture.md has no tree block');
  const stack: string[] = [];
  const paths: string[] = [];
  for (const line of block[1].split('\n').filter((l) => l.trim() !== '')) {
    const match = /^((?:[│ ] {3}|[├└]── )*)(\S+)/.exec(line);
    if (match?.[2] === undefined) throw new Error(`cannot read the tree line ${JSON.stringify(line)}`);
    const depth = (match[1] ?? '').length / 4;
    stack.length = depth;
    stack.push(match[2]);
    paths.push(`/${stack.join('/')}`);
  }
  return paths;
}

/** The running tree as paths, top-down, room actors written as the drawing writes them. */
function runningPaths(nodes: readonly ActorTreeNode[]): string[] {
  return nodes.flatMap((node) => [
    node.path.replace(`/room-${ROOM}`, '/room-<name>').replaceAll(`-${ZONE}`, '-<zone>'),
    ...runningPaths(node.children),
  ]);
}

async function runningTree(consoleSocket: string): Promise<ActorTreeNode[]> {
  // base64 keeps the REPL's string quoting out of the way.
  const out = await consoleSession(consoleSocket, ["Buffer.from(JSON.stringify(system.tree())).toString('base64')"]);
  const encoded = /'([A-Za-z0-9+/=]+)'/.exec(out)?.[1];
  if (encoded === undefined) throw new Error(`the console did not print a tree: ${out}`);
  return JSON.parse(Buffer.from(encoded, 'base64').toString('utf8')) as ActorTreeNode[];
}

function printTree(nodes: readonly ActorTreeNode[], indent = ''): string {
  return nodes.map((node) => `${indent}${node.name}\n${printTree(node.children, `${indent}  `)}`).join('');
}

describe('the supervision tree of a node @integration', function () {
  this.timeout(60_000);
  // A storage node of a zone with scheduling on, so every branch has its children.
  const h = useClusterHarness({ nodes: 1, env: { SCHEDULING_ENABLED: 'true', VIDEO_ZONE: ZONE } });
  let user: PhoenixUser | undefined;

  after(async () => {
    await user?.close();
  });

  it('is the tree drawn in docs/architecture.md', async () => {
    const node = h.nodes[0]!;
    user = new PhoenixUser(socketUrl(node), ROOM, 'tree-test');
    await user.join();
    const expected = drawnPaths(readFileSync(DOC, 'utf8'));
    // The health worker starts once this node holds the lease, the room once the join arrived:
    // wait until the tree matches, then compare the last one seen (a drift shows as a diff).
    let tree: ActorTreeNode[] = [];
    await waitFor('the running tree to match the drawing', 20_000, async () => {
      tree = await runningTree(node.consoleSocket);
      return JSON.stringify(runningPaths(tree)) === JSON.stringify(expected);
    }).catch(() => undefined);
    process.stdout.write(`      running tree:\n${printTree(tree, '        ')}`);
    expect(runningPaths(tree)).to.deep.equal(expected);
  });
});
