// The explanation of a request as it reaches the client port: from a peer address, perhaps
// with an X-Real-IP header. The client is resolved exactly as the client port does it
// (client-ip.ts: the header counts only from a trusted proxy), and that step leads the
// explanation (docs/console.md "Routing explain").
import { resolveClientIp, type TrustedProxies } from './client-ip.js';
import { explain, type Explanation } from './explain.js';
import { parseIp } from './ip.js';
import type { RoutingView } from './view.js';

export interface ProxiedExplanation extends Explanation {
  input: { ip: string; path: string; realIp?: string };
}

export function explainFromPeer(
  view: RoutingView,
  peer: string,
  realIp: string | undefined,
  trusted: TrustedProxies,
  path: string,
): ProxiedExplanation {
  if (realIp === undefined) return explain(view, peer, path);
  let client = peer;
  let lead: string;
  const peerIp = parseIp(peer.trim());
  const resolved = resolveClientIp(peer.trim(), realIp, trusted);
  if (peerIp === null) lead = `X-Real-IP "${realIp}" not considered: the peer address is malformed.`;
  else if (!trusted.contains(peerIp)) lead = `X-Real-IP "${realIp}" ignored: peer ${peer.trim()} is not a trusted proxy (TRUSTED_PROXIES).`;
  else if (resolved.ok && resolved.source === 'peer')
    lead = `Peer ${peer.trim()} is a trusted proxy but X-Real-IP is empty: the client is the peer.`;
  else {
    client = realIp.trim();
    lead = `Peer ${peer.trim()} is a trusted proxy (TRUSTED_PROXIES): the client is X-Real-IP ${client}.`;
  }
  const answer = explain(view, client, path);
  return { ...answer, input: { ip: peer, path, realIp }, steps: [lead, ...answer.steps] };
}
