// IP and CIDR parsing for routing. The implementation lives in domain/routing/ip.ts because
// subnet validation needs the same parser and domain/ may not import actors/.
export {
  cidrContains,
  formatCidr,
  formatIp,
  maskBits,
  networkOf,
  parseCidr,
  parseIp,
  wordAt,
  type Cidr,
  type IpAddress,
  type IpFamily,
} from '../../domain/routing/ip.js';
