import { expect } from 'chai';
import { XMLParser } from 'fast-xml-parser';
import { loadMemberSettings } from '../../cluster/hazelcast/member-settings.js';
import { MAP_MERGE_POLICY, memberConfigXml } from '../../cluster/hazelcast/member.js';
import { ConfigError } from '../../domain/config.js';

function configError(env: Record<string, string>): string {
  try {
    loadMemberSettings(env);
  } catch (error) {
    if (error instanceof ConfigError) return error.message;
    throw error;
  }
  return 'no error';
}

interface ParsedMap {
  '@_name': string;
  'backup-count': number;
  'per-entry-stats-enabled': boolean;
  'merge-policy': { '#text': string };
}
interface ParsedRingbuffer {
  '@_name': string;
  'backup-count': number;
}
interface ParsedConfig {
  network: {
    'public-address'?: string;
    interfaces: { '@_enabled': string; interface: string };
    join: {
      'tcp-ip': { '@_enabled': string; 'member-list'?: { member: string[] | string } };
      kubernetes?: { '@_enabled': string; 'service-dns': string; 'service-port': number };
    };
  };
  properties: { property: Array<{ '@_name': string; '#text': unknown }> };
  map: ParsedMap[];
  ringbuffer: ParsedRingbuffer[];
}

function parse(xml: string): ParsedConfig {
  return (new XMLParser({ ignoreAttributes: false }).parse(xml) as { hazelcast: ParsedConfig }).hazelcast;
}

describe('npm run member settings', () => {
  it('defaults to a loopback member on 5701 with one backup', () => {
    const s = loadMemberSettings({});
    expect(s).to.include({ bindAddress: '127.0.0.1', port: 5701, clusterName: 'beamstack', backupCount: 1, heap: '512m' });
    expect(s.join).to.deep.equal({ kind: 'tcp-ip', members: ['127.0.0.1:5701'] });
    expect(s.warnings).to.deep.equal([]);
  });

  it('joins peers on other hosts by host:port', () => {
    const s = loadMemberSettings({
      MEMBER_BIND_ADDRESS: '10.0.0.11',
      MEMBER_PEERS: '10.0.0.12:5701, 10.0.0.13:5701,10.0.0.11:5701',
      HZ_CLUSTER_NAME: 'prod-eu',
      MEMBER_PUBLIC_ADDRESS: 'hz1.example.net:5701',
      MEMBER_BACKUP_COUNT: '2',
    });
    expect(s.join).to.deep.equal({ kind: 'tcp-ip', members: ['10.0.0.11:5701', '10.0.0.12:5701', '10.0.0.13:5701'] });
    expect(s).to.include({ publicAddress: 'hz1.example.net:5701', backupCount: 2 });
    expect(s.warnings).to.deep.equal([]);
  });

  it('uses Kubernetes DNS discovery when asked', () => {
    const s = loadMemberSettings({
      MEMBER_BIND_ADDRESS: '10.244.1.7',
      HZ_CLUSTER_NAME: 'prod',
      MEMBER_KUBERNETES_SERVICE_DNS: 'beamstack-hz.beamstack.svc.cluster.local',
    });
    expect(s.join).to.deep.equal({ kind: 'kubernetes', serviceDns: 'beamstack-hz.beamstack.svc.cluster.local', servicePort: 5701 });
  });

  it('requires a cluster name of its own off loopback, and one interface', () => {
    expect(configError({ MEMBER_BIND_ADDRESS: '10.0.0.11' })).to.match(/^HZ_CLUSTER_NAME: must be a name of your own \(not "beamstack"\)/);
    expect(configError({ MEMBER_BIND_ADDRESS: '0.0.0.0', HZ_CLUSTER_NAME: 'x' })).to.match(
      /^MEMBER_BIND_ADDRESS: a member listens on one interface/,
    );
    expect(configError({ MEMBER_BIND_ADDRESS: 'hz.local' })).to.match(/^MEMBER_BIND_ADDRESS: must be one IPv4 address/);
  });

  it('names the variable of every bad value', () => {
    expect(configError({ MEMBER_PORT: '70000' })).to.match(/^MEMBER_PORT: must be a port/);
    expect(configError({ MEMBER_PEERS: '10.0.0.2' })).to.match(/^MEMBER_PEERS: "10.0.0.2" is not host:port/);
    expect(configError({ MEMBER_BACKUP_COUNT: '7' })).to.match(/^MEMBER_BACKUP_COUNT: must be a whole number from 0 to 6/);
    expect(configError({ MEMBER_HEAP: 'lots' })).to.match(/^MEMBER_HEAP: must look like 256m/);
    expect(configError({ HZ_CLUSTER_NAME: 'a b' })).to.match(/^HZ_CLUSTER_NAME: may only hold/);
    expect(configError({ MEMBER_PEERS: '127.0.0.1:5702', MEMBER_KUBERNETES_SERVICE_DNS: 'hz.ns.svc' })).to.match(
      /^MEMBER_PEERS: set MEMBER_PEERS or/,
    );
    expect(configError({ MEMBER_KUBERNETES_SERVICE_DNS: 'Not_DNS' })).to.match(
      /^MEMBER_KUBERNETES_SERVICE_DNS: "Not_DNS" is not a DNS name/,
    );
  });

  it('warns about a public bind address and about no backups', () => {
    const s = loadMemberSettings({ MEMBER_BIND_ADDRESS: '203.0.113.9', HZ_CLUSTER_NAME: 'prod', MEMBER_BACKUP_COUNT: '0' });
    expect(s.warnings).to.have.length(2);
    expect(s.warnings[0]).to.match(/203\.0\.113\.9 is a public address: Hazelcast's open-source edition has no TLS/);
    expect(s.warnings[1]).to.match(/losing any member loses the entries it owned/);
  });
});

describe('member config for several hosts', () => {
  it('lists members on several hosts and binds one interface only', () => {
    const hz = parse(
      memberConfigXml({
        clusterName: 'c',
        port: 5701,
        host: '10.0.0.11',
        join: { kind: 'tcp-ip', members: ['10.0.0.11:5701', '10.0.0.12:5701'] },
        publicAddress: 'hz1.example.net:5701',
      }),
    );
    expect(hz.network.join['tcp-ip']['member-list']?.member).to.deep.equal(['10.0.0.11:5701', '10.0.0.12:5701']);
    expect(hz.network.interfaces).to.deep.equal({ '@_enabled': 'true', interface: '10.0.0.11' });
    expect(hz.network['public-address']).to.equal('hz1.example.net:5701');
    expect(hz.properties.property.find((p) => p['@_name'] === 'hazelcast.socket.bind.any')?.['#text']).to.equal(false);
  });

  it('keeps backups of every map and ringbuffer and merges maps by latest update', () => {
    const hz = parse(memberConfigXml({ clusterName: 'c', port: 5701, host: '127.0.0.1', backupCount: 2 }));
    expect(hz.map.map((m) => m['@_name'])).to.have.members(['default', 'cluster.*', 'domain.*']);
    for (const map of hz.map) {
      expect(map['backup-count'], map['@_name']).to.equal(2);
      expect(map['per-entry-stats-enabled'], map['@_name']).to.equal(true);
      expect(map['merge-policy']['#text'], map['@_name']).to.equal(MAP_MERGE_POLICY);
    }
    expect(hz.ringbuffer.map((r) => r['@_name'])).to.have.members(['topic.*', '_hz_rb_*', 'default']);
    for (const rb of hz.ringbuffer) expect(rb['backup-count'], rb['@_name']).to.equal(2);
  });

  it('joins through Kubernetes DNS with TCP-IP off', () => {
    const hz = parse(
      memberConfigXml({
        clusterName: 'c',
        port: 5701,
        host: '10.1.2.3',
        join: { kind: 'kubernetes', serviceDns: 'hz.ns.svc.cluster.local', servicePort: 5701 },
      }),
    );
    expect(hz.network.join['tcp-ip']['@_enabled']).to.equal('false');
    expect(hz.network.join.kubernetes).to.deep.equal({
      '@_enabled': 'true',
      'service-dns': 'hz.ns.svc.cluster.local',
      'service-port': 5701,
    });
  });

  it('refuses an impossible backup count', () => {
    expect(() => memberConfigXml({ clusterName: 'c', port: 5701, host: '127.0.0.1', backupCount: 9 })).to.throw(/backup count/);
  });
});
