// Which addresses a webhook may reach. Deliveries go to the public internet only: loopback, private,
// link-local, carrier-grade NAT, documentation, benchmarking, multicast and reserved ranges are refused,
// so a merchant cannot point the api at its own network (SSRF). IPv6 forms that embed an IPv4 address
// (mapped, compatible, NAT64, 6to4, Teredo) are refused whole rather than decoded.
import { lookup as dnsLookup, type LookupAddress, type LookupOptions } from 'node:dns';
import { BlockList, isIP, type LookupFunction } from 'node:net';

const NOT_PUBLIC_V4: readonly [string, number][] = [
  ['0.0.0.0', 8], ['10.0.0.0', 8], ['100.64.0.0', 10], ['127.0.0.0', 8], ['169.254.0.0', 16], ['172.16.0.0', 12],
  ['192.0.0.0', 24], ['192.0.2.0', 24], ['192.88.99.0', 24], ['192.168.0.0', 16], ['198.18.0.0', 15],
  ['198.51.100.0', 24], ['203.0.113.0', 24], ['224.0.0.0', 4], ['240.0.0.0', 4],
];
const NOT_PUBLIC_V6: readonly [string, number][] = [
  ['::', 96], ['::ffff:0:0', 96], ['64:ff9b::', 96], ['64:ff9b:1::', 48], ['100::', 64], ['2001::', 23],
  ['2001:db8::', 32], ['2002::', 16], ['3fff::', 20], ['5f00::', 16], ['fc00::', 7], ['fe80::', 10], ['fec0::', 10], ['ff00::', 8],
];

// Two lists: Node checks an IPv4 address against IPv6 rules too (as ::ffff:a.b.c.d), and the IPv6
// list refuses every mapped address.
const NOT_PUBLIC = { ipv4: new BlockList(), ipv6: new BlockList() } as const;
for (const [prefix, bits] of NOT_PUBLIC_V4) NOT_PUBLIC.ipv4.addSubnet(prefix, bits, 'ipv4');
for (const [prefix, bits] of NOT_PUBLIC_V6) NOT_PUBLIC.ipv6.addSubnet(prefix, bits, 'ipv6');

/** True for a unicast address on the public internet; false for anything else, including non-addresses. */
export function isPublicAddress(address: string): boolean {
  // A zone id (`fe80::1%eth0`) only ever names a link-local address.
  if (address.includes('%')) return false;
  const family = isIP(address);
  if (family === 0) return false;
  const type = family === 4 ? 'ipv4' : 'ipv6';
  return !NOT_PUBLIC[type].check(address, type);
}

/** The error code a refused host fails with (recorded on the delivery attempt). */
export const NOT_PUBLIC_CODE = 'ENOTPUBLIC';

type Resolve = (hostname: string, options: LookupOptions & { all: true }, callback: (error: NodeJS.ErrnoException | null, addresses: LookupAddress[]) => void) => void;

/**
 * A `lookup` for outgoing sockets that refuses a host when any of its addresses is not public. It runs
 * at connect time, so the address checked is the address connected to (no DNS rebinding window).
 */
export function publicOnlyLookup(resolve: Resolve = dnsLookup): LookupFunction {
  return (hostname, options, callback) => {
    resolve(hostname, { ...options, all: true }, (error, addresses) => {
      if (error) return callback(error, '');
      const first = addresses[0];
      if (!first || addresses.some((entry) => !isPublicAddress(entry.address))) {
        return callback(Object.assign(new Error(`${hostname} resolves to an address that is not public`), { code: NOT_PUBLIC_CODE }), '');
      }
      if (options.all) return callback(null, addresses);
      return callback(null, first.address, first.family);
    });
  };
}
