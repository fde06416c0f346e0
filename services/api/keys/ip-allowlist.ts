// A secret key's IP allow-list: CIDR blocks (IPv4 or IPv6) a request must come from, enforced at
// authentication (auth/secret-key.auth.ts, with PostgreSQL's `inet <<= cidr`). Validated here, strictly,
// before PostgreSQL sees it: no host bits set (`10.0.0.1/8` is a mistake to point out, not to round),
// no leading zeros (read as octal by some tools), no zone, no block that allows everything, and a
// bounded count. Blocks are stored in canonical form (RFC 5952 for IPv6), without duplicates.
import { isIPv4 } from 'node:net';

export const MAX_ALLOWLIST_ENTRIES = 20;
const MAX_TEXT = 50;

export type CidrCheck = { ok: true; cidr: string } | { ok: false; message: string };
export type AllowlistCheck = { ok: true; cidrs: string[] } | { ok: false; message: string };

function ipv4Bytes(text: string): number[] | null {
  const parts = text.split('.');
  if (parts.length !== 4 || !parts.every((part) => /^(0|[1-9][0-9]{0,2})$/.test(part))) return null;
  const bytes = parts.map(Number);
  return bytes.every((byte) => byte <= 255) ? bytes : null;
}

function ipv6Bytes(text: string): number[] | null {
  const halves = text.split('::');
  if (halves.length > 2) return null;
  const groupsOf = (half: string, last: boolean): number[] | null => {
    if (half === '') return [];
    const groups: number[] = [];
    const parts = half.split(':');
    for (const [i, part] of parts.entries()) {
      // An embedded IPv4 address may end the address (`::ffff:192.0.2.1`), nowhere else.
      if (last && i === parts.length - 1 && part.includes('.')) {
        const v4 = ipv4Bytes(part);
        if (!v4) return null;
        groups.push((v4[0]! << 8) | v4[1]!, (v4[2]! << 8) | v4[3]!);
      } else if (/^[0-9a-fA-F]{1,4}$/.test(part)) groups.push(parseInt(part, 16));
      else return null;
    }
    return groups;
  };
  const head = groupsOf(halves[0]!, halves.length === 1);
  const tail = halves.length === 2 ? groupsOf(halves[1]!, true) : [];
  if (!head || !tail) return null;
  const missing = 8 - head.length - tail.length;
  if (halves.length === 2 ? missing < 1 : missing !== 0) return null;
  const groups = [...head, ...Array<number>(missing).fill(0), ...tail];
  return groups.flatMap((group) => [group >> 8, group & 0xff]);
}

/** RFC 5952: lower case, no leading zeros, the longest run (2+) of zero groups as `::`. */
function formatIpv6(bytes: readonly number[]): string {
  const groups = Array.from({ length: 8 }, (_, i) => (bytes[2 * i]! << 8) | bytes[2 * i + 1]!);
  let best = { start: -1, length: 1 };
  for (let i = 0; i < 8;) {
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > best.length) best = { start: i, length: j - i };
    i = j === i ? i + 1 : j;
  }
  const hex = groups.map((group) => group.toString(16));
  if (best.start < 0) return hex.join(':');
  return `${hex.slice(0, best.start).join(':')}::${hex.slice(best.start + best.length).join(':')}`;
}

/** One block, `address` or `address/prefix`, in canonical form; or why it is refused. */
export function parseCidr(text: string): CidrCheck {
  const shown = text.length <= MAX_TEXT ? JSON.stringify(text) : 'an entry';
  if (text.length > MAX_TEXT) return { ok: false, message: `${shown} is too long for an IP address block` };
  const [address = '', prefixText, extra] = text.split('/');
  if (extra !== undefined) return { ok: false, message: `${shown} is not an IP address block` };
  const v6 = address.includes(':');
  const bytes = v6 ? ipv6Bytes(address) : ipv4Bytes(address);
  if (!bytes) return { ok: false, message: `${shown} is not an IPv4 or IPv6 address block (e.g. 203.0.113.0/24, 2001:db8::/32)` };
  const bits = bytes.length * 8;
  if (prefixText !== undefined && !/^(0|[1-9][0-9]{0,2})$/.test(prefixText)) return { ok: false, message: `${shown} has an invalid prefix length` };
  const prefix = prefixText === undefined ? bits : Number(prefixText);
  if (prefix > bits) return { ok: false, message: `${shown} has a prefix longer than ${bits} bits` };
  if (prefix === 0) return { ok: false, message: `${shown} allows every address; clear the allow-list instead` };
  for (let bit = prefix; bit < bits; bit++) {
    if ((bytes[bit >> 3]! >> (7 - (bit & 7))) & 1) return { ok: false, message: `${shown} has host bits set after the /${prefix} prefix` };
  }
  return { ok: true, cidr: `${v6 ? formatIpv6(bytes) : bytes.join('.')}/${prefix}` };
}

/** The whole list: 1 to MAX_ALLOWLIST_ENTRIES blocks, canonical, duplicates dropped, order kept. */
export function parseAllowlist(values: readonly string[]): AllowlistCheck {
  if (values.length === 0) return { ok: false, message: 'ip_allowlist needs at least one address block (or null to allow any address)' };
  if (values.length > MAX_ALLOWLIST_ENTRIES) return { ok: false, message: `ip_allowlist takes at most ${MAX_ALLOWLIST_ENTRIES} address blocks` };
  const cidrs: string[] = [];
  for (const value of values) {
    const checked = parseCidr(value);
    if (!checked.ok) return checked;
    if (!cidrs.includes(checked.cidr)) cidrs.push(checked.cidr);
  }
  return { ok: true, cidrs };
}

/**
 * The address an allow-list is checked against. On a dual-stack listener an IPv4 client shows as
 * `::ffff:a.b.c.d`, which PostgreSQL does not consider inside an IPv4 block: unwrap it.
 */
export function allowlistAddress(ip: string): string {
  const mapped = /^::ffff:(.+)$/i.exec(ip);
  return mapped && isIPv4(mapped[1]!) ? mapped[1]! : ip;
}
