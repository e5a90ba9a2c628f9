// What only the node tests need on top of test/support (processes, nodes, HTTP, waiting):
// the membership list through the admin API, the process tree of the stack launcher, and the
// operator's npm scripts run as a user would.
import { spawn } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import { REPO_ROOT } from '../../bin/stack/node-process.js';
import { http } from '../support/http.js';

/** Names in GET /api/v1/cluster/nodes, sorted. */
export async function clusterNodeNames(base: string, token: string): Promise<string[]> {
  const answer = await http(`${base}/api/v1/cluster/nodes`, { headers: { authorization: `Bearer ${token}` } });
  if (answer.status !== 200) throw new Error(`cluster nodes: ${answer.status} ${JSON.stringify(answer.body)}`);
  return (answer.body as { nodes: Array<{ name: string }> }).nodes.map((n) => n.name).sort();
}

// ---------------------------------------------------------------- processes

/** Pids of every living descendant of `pid` (from /proc). */
export function descendantsOf(pid: number): number[] {
  const children = new Map<number, number[]>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      // pid (comm) state ppid …; comm may hold spaces and parentheses.
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      children.set(ppid, [...(children.get(ppid) ?? []), Number(entry)]);
    } catch {
      // gone meanwhile
    }
  }
  const found: number[] = [];
  const queue = [pid];
  while (queue.length > 0) {
    for (const child of children.get(queue.shift()!) ?? []) {
      found.push(child);
      queue.push(child);
    }
  }
  return found;
}

/** True while the process exists and is not a zombie. */
export function isAlive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
}

// ---------------------------------------------------------------- commands

export interface CommandResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs `npm run -s <script> -- <args>` in the repo with `env` over this process's env. */
export function npmRun(
  script: string,
  args: string[],
  opts: { env?: Record<string, string | undefined>; input?: string; timeoutMs?: number } = {},
): Promise<CommandResult> {
  return new Promise((resolve, reject) => {
    const env = { ...process.env, ...opts.env };
    for (const [name, value] of Object.entries(env)) if (value === undefined) delete env[name];
    const child = spawn('npm', ['run', '-s', script, '--', ...args], { cwd: REPO_ROOT, env, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 30_000);
    child.once('error', reject);
    child.once('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
    child.stdin.end(opts.input ?? '');
  });
}
