// The Hazelcast member configuration (XML) for local clusters: loopback only, TCP-IP join
// on an exact port list, nothing that reaches outside the machine.
// Ringbuffer sizes are the ones our topics (chat rooms, cluster broadcasts) rely on.

export interface MemberConfigOptions {
  clusterName: string;
  port: number;
  /** Ports of the other members on the same host. */
  peers: number[];
  host: string;
}

/** Ringbuffers behind `ClusterTopics` are named `topic.<name>` (see cluster/hazelcast/topics.ts). */
export const TOPIC_RINGBUFFER_PREFIX = 'topic.';
export const TOPIC_RINGBUFFER_CAPACITY = 10_000;

function escapeXml(text: string): string {
  return text.replace(/[<>&"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

export function memberConfigXml(opts: MemberConfigOptions): string {
  const host = escapeXml(opts.host);
  const members = [opts.port, ...opts.peers.filter((p) => p !== opts.port)]
    .map((p) => `          <member>${host}:${p}</member>`)
    .join('\n');
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
    <property name="hazelcast.socket.bind.any">false</property>
    <property name="hazelcast.wait.seconds.before.join">0</property>
    <!-- Expired TTL entries (heartbeats, leases) are swept every second, not every 5. -->
    <property name="hazelcast.internal.map.expiration.task.period.seconds">1</property>
    <property name="hazelcast.shutdownhook.policy">GRACEFUL</property>
    <property name="hazelcast.graceful.shutdown.max.wait">20</property>
    <property name="hazelcast.logging.type">jdk</property>
  </properties>
  <network>
    <port auto-increment="false" port-count="1">${opts.port}</port>
    <interfaces enabled="true">
      <interface>${host}</interface>
    </interfaces>
    <join>
      <auto-detection enabled="false"/>
      <multicast enabled="false"/>
      <tcp-ip enabled="true" connection-timeout-seconds="2">
        <member-list>
${members}
        </member-list>
      </tcp-ip>
    </join>
  </network>
  <jet enabled="false"/>
  <!-- Chat and broadcast topics: a publisher never blocks (the client overwrites the
       oldest item); a reader that falls 10 000 messages behind skips ahead. -->
  <ringbuffer name="${TOPIC_RINGBUFFER_PREFIX}*">
    <capacity>${TOPIC_RINGBUFFER_CAPACITY}</capacity>
    <backup-count>1</backup-count>
    <time-to-live-seconds>3600</time-to-live-seconds>
    <in-memory-format>BINARY</in-memory-format>
  </ringbuffer>
  <ringbuffer name="_hz_rb_*">
    <capacity>${TOPIC_RINGBUFFER_CAPACITY}</capacity>
    <backup-count>1</backup-count>
    <time-to-live-seconds>3600</time-to-live-seconds>
  </ringbuffer>
  <reliable-topic name="default">
    <read-batch-size>100</read-batch-size>
    <topic-overload-policy>DISCARD_OLDEST</topic-overload-policy>
  </reliable-topic>
  <map name="cluster.*">
    <backup-count>1</backup-count>
    <in-memory-format>BINARY</in-memory-format>
  </map>
  <map name="domain.*">
    <backup-count>1</backup-count>
    <in-memory-format>BINARY</in-memory-format>
    <read-backup-data>false</read-backup-data>
  </map>
</hazelcast>
`;
}
