// bin/setup-infra.sh with tools missing or failing: run from a temporary copy (so its .infra
// is a scratch folder, never the real one) with a PATH that holds only the basic commands
// plus fake java/mvn/go as each case needs.
import { spawnSync } from 'node:child_process';
import { chmodSync, copyFileSync, existsSync, mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { REPO_ROOT } from '../../bin/stack/node-process.js';

const BASIC_TOOLS = ['dirname', 'mkdir', 'rm', 'mv', 'cp', 'chmod', 'sed', 'head', 'awk', 'cat', 'cksum', 'cut'];
const JAR = '.infra/hazelcast/hazelcast-5.6.0.jar';
const FERRETDB = '.infra/bin/ferretdb';
const CENTRIFUGO = '.infra/bin/centrifugo';
const RATEGEN = '.infra/bin/rategen';

function whichPath(tool: string): string {
  const found = spawnSync('bash', ['-c', `command -v ${tool}`], { encoding: 'utf8' }).stdout.trim();
  if (found === '') throw new Error(`${tool} is needed to run this test`);
  return found;
}

interface Sandbox {
  root: string;
  /** Adds a fake command to the sandbox's PATH. */
  fake(name: string, script: string): void;
  /** Creates a file under the sandbox root. */
  file(path: string, content: string, mode?: number): void;
  run(args?: string[], env?: Record<string, string>): { code: number | null; stdout: string; stderr: string };
}

async function sandbox(): Promise<Sandbox> {
  const root = await mkdtemp(join(tmpdir(), 'beamstack-infra-'));
  const bin = join(root, 'tools');
  mkdirSync(join(root, 'bin'), { recursive: true });
  mkdirSync(bin);
  copyFileSync(join(REPO_ROOT, 'bin/setup-infra.sh'), join(root, 'bin/setup-infra.sh'));
  for (const tool of BASIC_TOOLS) symlinkSync(whichPath(tool), join(bin, tool));
  const bash = whichPath('bash');
  return {
    root,
    fake(name, script) {
      writeFileSync(join(bin, name), `#!${bash}\n${script}\n`);
      chmodSync(join(bin, name), 0o755);
    },
    file(path, content, mode = 0o644) {
      mkdirSync(join(root, path, '..'), { recursive: true });
      writeFileSync(join(root, path), content);
      chmodSync(join(root, path), mode);
    },
    run(args = [], env = {}) {
      const result = spawnSync(bash, [join(root, 'bin/setup-infra.sh'), ...args], {
        env: { PATH: bin, HOME: root, ...env },
        encoding: 'utf8',
        timeout: 20_000,
      });
      return { code: result.status, stdout: result.stdout, stderr: result.stderr };
    },
  };
}

const JAVA_17 = 'echo \'openjdk version "17.0.15" 2025-04-15\' >&2';
const FERRETDB_OK = 'echo "version: v1.24.2"';

/** Each line of the script's own messages starts with "infra: " (no bash errors, no stack). */
function ownLines(stderr: string): string[] {
  return stderr.split('\n').filter((line) => line !== '' && !line.startsWith('[fake]'));
}

describe('bin/setup-infra.sh: missing or failing tools', function () {
  this.timeout(30_000);
  const boxes: Sandbox[] = [];
  async function box(): Promise<Sandbox> {
    const b = await sandbox();
    boxes.push(b);
    return b;
  }
  after(async () => {
    await Promise.all(boxes.map((b) => rm(b.root, { recursive: true, force: true })));
  });

  it('names java, what it is for, how to install it, and HZ_MEMBERS when java is missing', async () => {
    const b = await box();
    const { code, stdout, stderr } = b.run();
    expect(code).to.equal(1);
    expect(stdout).to.equal('');
    expect(stderr).to.include("infra: 'java' is not installed (not on PATH); it is needed to run the Hazelcast member.");
    expect(stderr).to.match(/apt-get install openjdk-17-jre-headless.*set HZ_MEMBERS=host:port \(then SKIP_INFRA=1\)/);
    for (const line of ownLines(stderr)) expect(line).to.match(/^infra: /);
  });

  it('refuses a Java older than 17', async () => {
    const b = await box();
    b.fake('java', 'echo \'openjdk version "11.0.2" 2019-01-15\' >&2');
    const { code, stderr } = b.run();
    expect(code).to.equal(1);
    expect(stderr).to.match(/^infra: Java 11 found \(java\); the Hazelcast 5\.6\.0 member needs Java 17 or newer/m);
  });

  it('uses $JAVA_HOME/bin/java when JAVA_HOME is set, and names a JAVA_HOME without java', async () => {
    const b = await box();
    b.file('jdk/bin/java', `#!${whichPath('bash')}\n${JAVA_17}\n`, 0o755);
    const good = b.run([], { JAVA_HOME: join(b.root, 'jdk') });
    expect(good.code).to.equal(1);
    expect(good.stderr).to.include("infra: 'mvn' is not installed"); // java passed
    const bad = b.run([], { JAVA_HOME: join(b.root, 'no-jdk') });
    expect(bad.code).to.equal(1);
    expect(bad.stderr).to.include(`infra: JAVA_HOME is ${join(b.root, 'no-jdk')} but there is no ${join(b.root, 'no-jdk')}/bin/java`);
  });

  it('names mvn when Maven is missing, and explains a failed download', async () => {
    const b = await box();
    b.fake('java', JAVA_17);
    const missing = b.run();
    expect(missing.code).to.equal(1);
    expect(missing.stderr).to.include("infra: 'mvn' is not installed (not on PATH); it is needed to fetch the Hazelcast member jar.");
    expect(missing.stderr).to.include('apt-get install maven');

    b.fake('mvn', 'echo "[fake] [ERROR] Could not transfer artifact: network is unreachable" >&2; exit 1');
    const failing = b.run();
    expect(failing.code).to.equal(1);
    expect(failing.stderr).to.match(
      /^infra: Maven could not fetch com\.hazelcast:hazelcast:5\.6\.0 \(see its output above\): check the network/m,
    );
    expect(existsSync(join(b.root, '.infra/hazelcast.tmp'))).to.equal(false);
  });

  it('installs the jar with Maven, then names go and MONGODB_URL when Go is missing', async () => {
    const b = await box();
    b.fake('java', JAVA_17);
    // A Maven that "downloads" by writing the jar where -DoutputDirectory says.
    b.fake(
      'mvn',
      'for a in "$@"; do case "$a" in -DoutputDirectory=*) d="${a#-DoutputDirectory=}";; esac; done; mkdir -p "$d"; echo jar > "$d/hazelcast-5.6.0.jar"',
    );
    const { code, stdout, stderr } = b.run();
    expect(existsSync(join(b.root, JAR))).to.equal(true);
    expect(stdout).to.include('infra: Hazelcast jar at .infra/hazelcast/hazelcast-5.6.0.jar');
    expect(code).to.equal(1);
    expect(stderr).to.include("infra: 'go' is not installed (not on PATH); it is needed to build FerretDB (the MongoDB-compatible store).");
    expect(stderr).to.match(/install Go 1\.21\+.*set MONGODB_URL=mongodb:\/\/… \(then SKIP_INFRA=1\)/);
  });

  it('explains a failed FerretDB source download', async () => {
    const b = await box();
    b.file(JAR, 'jar');
    b.fake('go', 'echo "[fake] go: github.com/FerretDB/FerretDB@v1.24.2: dial tcp: lookup proxy.golang.org: no such host" >&2; exit 1');
    const { code, stderr } = b.run();
    expect(code).to.equal(1);
    expect(stderr).to.match(
      /^infra: Go could not download the FerretDB v1\.24\.2 source \(see above\): check the network access to proxy\.golang\.org/m,
    );
    for (const line of ownLines(stderr)) expect(line).to.match(/^infra: /);
    expect(existsSync(join(b.root, '.infra/ferretdb-build'))).to.equal(false);
  });

  it('does nothing with SKIP_INFRA=1, even without any tool', async () => {
    const b = await box();
    const { code, stdout, stderr } = b.run([], { SKIP_INFRA: '1' });
    expect({ code, stdout, stderr }).to.deep.equal({ code: 0, stdout: '', stderr: '' });
    expect(existsSync(join(b.root, '.infra'))).to.equal(false);
  });

  it('is ready at once when all three are installed; warns when java is missing for npm start', async () => {
    const b = await box();
    b.file(JAR, 'jar');
    b.file(FERRETDB, `#!${whichPath('bash')}\n${FERRETDB_OK}\n`, 0o755);
    b.file(CENTRIFUGO, `#!${whichPath('bash')}\necho 'Centrifugo v0.0.0'\n`, 0o755);
    b.file(`${CENTRIFUGO}.version`, 'v6.9.1\n');
    b.file('load_testing/rategen/go.mod', 'module beamstack/rategen\n');
    b.file('load_testing/rategen/main.go', 'package main\n');
    b.file(RATEGEN, `#!${whichPath('bash')}\n`, 0o755);
    const sum = spawnSync('bash', ['-c', 'cat go.mod main.go | cksum | cut -d" " -f1'], {
      cwd: join(b.root, 'load_testing/rategen'),
      encoding: 'utf8',
    }).stdout;
    b.file(`${RATEGEN}.source`, sum);
    const ready = b.run();
    expect(ready.code).to.equal(0);
    expect(ready.stdout).to.equal('infra: ready (Hazelcast 5.6.0, FerretDB v1.24.2, Centrifugo v6.9.1, rategen in .infra/)\n');
    expect(ready.stderr).to.match(/^infra: warning: 'java' is not on PATH, and npm start needs it for the Hazelcast member/);

    // A changed rategen source is built again (a fake go writes the -o file).
    b.file('load_testing/rategen/main.go', 'package main // changed\n');
    b.fake('go', 'while [ "$1" != -o ]; do shift; done; printf "#!/bin/sh\\n" > "$2"; chmod +x "$2"');
    const rebuilt = b.run(['--quiet-if-ready']);
    expect(rebuilt.code).to.equal(0);
    expect(rebuilt.stdout).to.equal('infra: rategen at .infra/bin/rategen\ninfra: ready\n');
    const again = b.run([]);
    expect(again.stdout).to.equal('infra: ready (Hazelcast 5.6.0, FerretDB v1.24.2, Centrifugo v6.9.1, rategen in .infra/)\n');

    const quiet = b.run(['--quiet-if-ready'], { HZ_MEMBERS: '10.0.0.1:5701' });
    expect({ code: quiet.code, stdout: quiet.stdout, stderr: quiet.stderr }).to.deep.equal({ code: 0, stdout: '', stderr: '' });

    b.fake('java', JAVA_17);
    const withJava = b.run(['--quiet-if-ready']);
    expect({ code: withJava.code, stdout: withJava.stdout, stderr: withJava.stderr }).to.deep.equal({ code: 0, stdout: '', stderr: '' });
  });
});
