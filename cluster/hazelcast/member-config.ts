// The Hazelcast member configuration (XML), for `npm start`, `npm run member`, the tests and
// the member image in deploy/. One generator for all of them (docs/deployment.md):
// - the member listens on one interface only (`hazelcast.socket.bind.any=false` and the
//   `interfaces` list), never on every address of the host;
// - it joins either an exact TCP-IP member list (host:port, on one host or many) or, when
//   asked, the Kubernetes DNS discovery built into the Hazelcast jar (a headless Service);
// - every map and ringbuffer keeps `backupCount` synchronous backups (default 1), so the loss
//   of any one member loses no entry, topic item or lease;
// - after a split brain heals, map entries merge with LatestUpdateMergePolicy (the entry
//   written last wins; MongoDB stays the source of truth: a rejoin rebuilds the domain maps).
// Ringbuffer sizes are the ones our topics (chat rooms, cluster broadcasts) rely on.

/** How the member finds the others. */
export type MemberJoin =
  /** `host:port` of every member (this one may be listed too: it is skipped by Hazelcast). */
  | { kind: 'tcp-ip'; members: string[] }
  /** Kubernetes DNS lookup of a headless Service (e.g. `beamstack-hz.ns.svc.cluster.local`). */
  | { kind: 'kubernetes'; serviceDns: string; servicePort: number };

export interface MemberConfigOptions {
  clusterName: string;
  port: number;
  /** The interface the member binds to: an IPv4 address, or a Hazelcast pattern like `10.0.*.*`. */
  host: string;
  /** Ports of other members on the same host (shorthand for a TCP-IP list on `host`). */
  peers?: number[];
  /** Overrides `peers`: the TCP-IP list on several hosts, or Kubernetes discovery. */
  join?: MemberJoin;
  /** The address other members and clients reach this one at, when it differs (NAT). */
  publicAddress?: string;
  /** Synchronous backups of every map and ringbuffer (0–6, default 1). */
  backupCount?: number;
}

/** Ringbuffers behind `ClusterTopics` are named `topic.<name>` (see cluster/hazelcast/topics.ts). */
export const TOPIC_RINGBUFFER_PREFIX = 'topic.';
export const TOPIC_RINGBUFFER_CAPACITY = 10_000;
export const DEFAULT_BACKUP_COUNT = 1;
export const MAX_BACKUP_COUNT = 6;
/** The split-brain merge policy of every map (docs/deployment.md, "Split brain"). */
export const MAP_MERGE_POLICY = 'com.hazelcast.spi.merge.LatestUpdateMergePolicy';

function escapeXml(text: string): string {
  return text.replace(/[<>&"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

function joinXml(opts: MemberConfigOptions): string {
  const join: MemberJoin = opts.join ?? {
    kind: 'tcp-ip',
    members: [opts.port, ...(opts.peers ?? []).filter((p) => p !== opts.port)].map((p) => `${opts.host}:${p}`),
  };
  if (join.kind === 'kubernetes') {
    return `      <tcp-ip enabled="false"/>
      <kubernetes enabled="true">
        <service-dns>${escapeXml(join.serviceDns)}</service-dns>
        <service-port>${join.servicePort}</service-port>
      </kubernetes>`;
  }
  const members = join.members.map((m) => `          <member>${escapeXml(m)}</member>`).join('\n');
  return `      <tcp-ip enabled="true" connection-timeout-seconds="2">
        <member-list>
${members}
        </member-list>
      </tcp-ip>`;
}

function mapXml(name: string, backups: number, extra: string[] = []): string {
  return [
    `  <map name="${name}">`,
    `    <backup-count>${backups}</backup-count>`,
    '    <async-backup-count>0</async-backup-count>',
    '    <in-memory-format>BINARY</in-memory-format>',
    // LatestUpdateMergePolicy compares last-update times, which only exist with entry stats.
    '    <per-entry-stats-enabled>true</per-entry-stats-enabled>',
    `    <merge-policy batch-size="100">${MAP_MERGE_POLICY}</merge-policy>`,
    ...extra.map((line) => `    ${line}`),
    '  </map>',
  ].join('\n');
}

function ringbufferXml(name: string, backups: number, extra: string[] = []): string {
  return [
    `  <ringbuffer name="${name}">`,
    `    <capacity>${TOPIC_RINGBUFFER_CAPACITY}</capacity>`,
    `    <backup-count>${backups}</backup-count>`,
    '    <async-backup-count>0</async-backup-count>',
    '    <time-to-live-seconds>3600</time-to-live-seconds>',
    ...extra.map((line) => `    ${line}`),
    '  </ringbuffer>',
  ].join('\n');
}

export function memberConfigXml(opts: MemberConfigOptions): string {
  const host = escapeXml(opts.host);
  const backups = opts.backupCount ?? DEFAULT_BACKUP_COUNT;
  if (!Number.isInteger(backups) || backups < 0 || backups > MAX_BACKUP_COUNT) {
    throw new Error(`backup count must be a whole number from 0 to ${MAX_BACKUP_COUNT}, got ${String(backups)}`);
  }
  const publicAddress = opts.publicAddress === undefined ? '' : `\n    <public-address>${escapeXml(opts.publicAddress)}</public-address>`;
  return `<?xml version="1.0" encoding="UTF-8"?>
<hazelcast xmlns="http://www.hazelcast.com/schema/config"
           xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"
           xsi:schemaLocation="http://www.hazelcast.com/schema/config
           http://www.hazelcast.com/schema/config/hazelcast-config-5.6.xsd">
  <cluster-name>${escapeXml(opts.clusterName)}</cluster-name>
  <properties>
    <property name="hazelcast.phone.home.enabled">false</property>
    <!-- Without this the member batches near-cache invalidations for up to 10 s. -->
    <property name="hazelcast.map.invalidation.batch.enabled">false</property>
    <!-- Listen on the interface below only, not on every address of the host. -->
    <property name="hazelcast.socket.bind.any">false</property>
    <property name="hazelcast.wait.seconds.before.join">0</property>
    <!-- Expired TTL entries (heartbeats, leases) are swept every second, not every 5. -->
    <property name="hazelcast.internal.map.expiration.task.period.seconds">1</property>
    <property name="hazelcast.shutdownhook.policy">GRACEFUL</property>
    <property name="hazelcast.graceful.shutdown.max.wait">20</property>
    <!-- A member that stops answering is removed after 10 s (default 60 s), so its
         partitions are promoted from their backups quickly. -->
    <property name="hazelcast.max.no.heartbeat.seconds">10</property>
    <property name="hazelcast.heartbeat.interval.seconds">1</property>
    <!-- Look for a split-brain sub-cluster to merge with every 30 s after the first 30 s. -->
    <property name="hazelcast.merge.first.run.delay.seconds">30</property>
    <property name="hazelcast.merge.next.run.delay.seconds">30</property>
    <property name="hazelcast.logging.type">jdk</property>
  </properties>
  <network>${publicAddress}
    <port auto-increment="false" port-count="1">${opts.port}</port>
    <interfaces enabled="true">
      <interface>${host}</interface>
    </interfaces>
    <join>
      <auto-detection enabled="false"/>
      <multicast enabled="false"/>
${joinXml(opts)}
    </join>
  </network>
  <jet enabled="false"/>
  <!-- Chat and broadcast topics: a publisher never blocks (the client overwrites the
       oldest item); a reader that falls 10 000 messages behind skips ahead. -->
${ringbufferXml(`${TOPIC_RINGBUFFER_PREFIX}*`, backups, ['<in-memory-format>BINARY</in-memory-format>'])}
${ringbufferXml('_hz_rb_*', backups)}
${ringbufferXml('default', backups)}
  <reliable-topic name="default">
    <read-batch-size>100</read-batch-size>
    <topic-overload-policy>DISCARD_OLDEST</topic-overload-policy>
  </reliable-topic>
${mapXml('default', backups)}
${mapXml('cluster.*', backups)}
${mapXml('domain.*', backups, ['<read-backup-data>false</read-backup-data>'])}
</hazelcast>
`;
}
