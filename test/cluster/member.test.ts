import { createServer, type Server } from 'node:net';
import { expect } from 'chai';
import { XMLParser } from 'fast-xml-parser';
import { HAZELCAST_JAR, memberConfigXml, startHazelcastMember } from '../../cluster/hazelcast/member.js';
import { freePort } from '../support/ports.js';

describe('hazelcast member config', () => {
  const xml = memberConfigXml({ clusterName: 'c1', port: 5801, peers: [5802, 5801], host: '127.0.0.1' });
  const parsed = new XMLParser({ ignoreAttributes: false }).parse(xml) as { hazelcast: Record<string, unknown> };
  const hz = parsed.hazelcast as {
    'cluster-name': string;
    properties: { property: Array<{ '@_name': string; '#text': unknown }> };
    network: {
      port: { '#text': number; '@_auto-increment': string };
      join: Record<string, { '@_enabled': string; 'member-list'?: { member: string[] } }>;
    };
    ringbuffer: Array<{ '@_name': string; capacity: number }>;
  };
  const property = (name: string): unknown => hz.properties.property.find((p) => p['@_name'] === name)?.['#text'];

  it('pins the exact port and joins only the listed loopback members', () => {
    expect(hz['cluster-name']).to.equal('c1');
    expect(hz.network.port['#text']).to.equal(5801);
    expect(hz.network.port['@_auto-increment']).to.equal('false');
    expect(hz.network.join['multicast']!['@_enabled']).to.equal('false');
    expect(hz.network.join['auto-detection']!['@_enabled']).to.equal('false');
    expect(hz.network.join['tcp-ip']!['@_enabled']).to.equal('true');
    expect(hz.network.join['tcp-ip']!['member-list']!.member).to.deep.equal(['127.0.0.1:5801', '127.0.0.1:5802']);
  });

  it('turns off invalidation batching and phone home; sizes topic ringbuffers for chat', () => {
    expect(property('hazelcast.map.invalidation.batch.enabled')).to.equal(false);
    expect(property('hazelcast.phone.home.enabled')).to.equal(false);
    expect(hz.ringbuffer.find((r) => r['@_name'] === 'topic.*')?.capacity).to.equal(10000);
  });

  it('escapes the cluster name', () => {
    expect(memberConfigXml({ clusterName: 'a<b', port: 1, peers: [], host: '127.0.0.1' })).to.include('a&#60;b');
  });
});

describe('hazelcast member launcher', () => {
  it('rejects bad options and a missing jar before starting anything', async () => {
    const attempt = async (opts: Parameters<typeof startHazelcastMember>[0]): Promise<string> => {
      try {
        await startHazelcastMember(opts);
        return 'started';
      } catch (err) {
        return (err as Error).message;
      }
    };
    expect(await attempt({ jarPath: '/nowhere/hz.jar', clusterName: 'c', port: 5801 })).to.match(
      /Hazelcast jar not found at \/nowhere\/hz\.jar: run `npm run setup`/,
    );
    expect(await attempt({ jarPath: HAZELCAST_JAR, clusterName: 'c', port: 70000 })).to.match(/invalid port 70000/);
    expect(await attempt({ jarPath: HAZELCAST_JAR, clusterName: 'bad name', port: 5801 })).to.match(/cluster name/);
  });

  it('says so when java is missing', async () => {
    let message = '';
    try {
      await startHazelcastMember({ jarPath: HAZELCAST_JAR, clusterName: 'c', port: await freePort(), javaPath: '/nowhere/java' });
    } catch (err) {
      message = (err as Error).message;
    }
    expect(message).to.match(/java was not found \(\/nowhere\/java\); install a Java 17 runtime/);
  });

  describe('@integration', () => {
    let blocker: Server | undefined;
    after(() => blocker?.close());

    it("rejects with the member's own words when it exits early (port taken)", async function () {
      this.timeout(60_000);
      const port = await freePort();
      blocker = createServer();
      await new Promise<void>((resolve) => blocker!.listen(port, '127.0.0.1', resolve));
      let message = '';
      try {
        await startHazelcastMember({ jarPath: HAZELCAST_JAR, clusterName: 'port-taken', port });
      } catch (err) {
        message = (err as Error).message;
      }
      expect(message).to.match(new RegExp(`Hazelcast member on 127\\.0\\.0\\.1:${port} exited \\(code \\d+\\) before it started`));
      expect(message).to.match(/already in use|Address already in use|BindException/i);
    });
  });
});
