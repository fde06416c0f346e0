// The unit a per-client rate limit counts: an IPv4 address (IPv4-mapped IPv6 too), or the /64 an IPv6
// address is in (one customer's network: a client given a /64 could otherwise rotate through 2^64
// addresses, each with a fresh allowance, and flush the bucket table of its own exhausted entries).
import { isIPv6 } from 'node:net';

/** `198.51.100.7` → itself; `2001:db8:1:2:3:4:5:6` → `2001:db8:1:2::/64`. */
export function networkKey(ip: string): string {
  if (!isIPv6(ip) || ip.startsWith('::ffff:')) return ip.replace(/^::ffff:/, '');
  const groups = ip.split('::');
  const head = (groups[0] ?? '').split(':').filter(Boolean);
  const tail = groups.length > 1 ? (groups[1] ?? '').split(':').filter(Boolean) : [];
  const full = [...head, ...Array<string>(Math.max(0, 8 - head.length - tail.length)).fill('0'), ...tail];
  return `${full.slice(0, 4).map((g) => g.replace(/%.*$/, '').toLowerCase().replace(/^0+(?=.)/, '')).join(':')}::/64`;
}
