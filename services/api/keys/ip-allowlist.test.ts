// The allow-list parser: what is refused (and that the message never echoes a long input), canonical
// forms, the bound on entries, and, as properties, that every valid block round-trips to the form
// WHATWG URL serialization gives IPv6 addresses (RFC 5952) and that host bits are always refused.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { allowlistAddress, MAX_ALLOWLIST_ENTRIES, parseAllowlist, parseCidr } from './ip-allowlist.ts';

test('valid blocks come back canonical; a bare address is a single-host block', () => {
  const cases: [string, string][] = [
    ['203.0.113.0/24', '203.0.113.0/24'],
    ['203.0.113.7', '203.0.113.7/32'],
    ['10.0.0.0/8', '10.0.0.0/8'],
    ['2001:DB8::/32', '2001:db8::/32'],
    ['2001:0db8:0000:0000:0000:0000:0000:0001', '2001:db8::1/128'],
    ['::1', '::1/128'],
    ['::ffff:192.0.2.0/120', '::ffff:c000:200/120'],
    ['1:0:0:2:0:0:0:3/128', '1:0:0:2::3/128'],
    ['fe80::/10', 'fe80::/10'],
  ];
  for (const [input, canonical] of cases) assert.deepEqual(parseCidr(input), { ok: true, cidr: canonical }, input);
});

test('malformed blocks, host bits, leading zeros, zones and catch-all blocks are refused', () => {
  const refused = [
    '', 'localhost', '10.0.0.0/8/8', '10.0.0/8', '10.0.0.256', '010.0.0.0/8', '10.0.0.0/08', '10.0.0.0/33', '10.0.0.0/-1',
    '10.0.0.1/8', '2001:db8::1/32', '1::2::3', '1:2:3:4:5:6:7:8:9', '1:2:3:4:5:6:7::8', ':1', 'fe80::1%eth0', '12345::',
    '1.2.3.4::', '0.0.0.0/0', '::/0', '10.0.0.0/', ' 10.0.0.0/8', '::ffff:1.2.3/128', 'g::1',
  ];
  for (const input of refused) assert.equal(parseCidr(input).ok, false, input);
  const hostBits = parseCidr('10.0.0.1/8');
  assert.ok(!hostBits.ok && /host bits/.test(hostBits.message));
  const long = parseCidr('1'.repeat(200));
  assert.ok(!long.ok && !long.message.includes('1111111111'), 'a long input is not echoed');
});

test('a list has 1 to MAX entries; duplicates (after canonicalisation) are dropped; the first bad entry is named', () => {
  assert.equal(parseAllowlist([]).ok, false);
  assert.deepEqual(parseAllowlist(['10.0.0.0/8', '2001:db8::/32', '10.0.0.0/8', '2001:0DB8::/32']), { ok: true, cidrs: ['10.0.0.0/8', '2001:db8::/32'] });
  const many = Array.from({ length: MAX_ALLOWLIST_ENTRIES + 1 }, (_, i) => `10.0.${i}.0/24`);
  assert.equal(parseAllowlist(many).ok, false);
  assert.equal(parseAllowlist(many.slice(0, MAX_ALLOWLIST_ENTRIES)).ok, true);
  const bad = parseAllowlist(['10.0.0.0/8', 'nope']);
  assert.ok(!bad.ok && bad.message.includes('"nope"'));
});

test('IPv4-mapped client addresses are checked as IPv4; others are unchanged', () => {
  assert.equal(allowlistAddress('::ffff:203.0.113.9'), '203.0.113.9');
  assert.equal(allowlistAddress('::FFFF:203.0.113.9'), '203.0.113.9');
  assert.equal(allowlistAddress('203.0.113.9'), '203.0.113.9');
  assert.equal(allowlistAddress('2001:db8::1'), '2001:db8::1');
  assert.equal(allowlistAddress('::ffff:c000:201'), '::ffff:c000:201');
});

// Zero groups half the time, so runs of them (and ties between runs) are common.
const ipv6Groups = fc.array(fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 0xffff })), { minLength: 8, maxLength: 8 });
/** Zero every bit after `prefix` in eight 16-bit groups. */
const masked = (groups: number[], prefix: number) => groups.map((group, i) => {
  const keep = Math.max(0, Math.min(16, prefix - 16 * i));
  return keep === 0 ? 0 : group & ((0xffff << (16 - keep)) & 0xffff);
});

test('property: any IPv6 block (written long, with zero runs) parses to the RFC 5952 form URL serialization gives', () => {
  fc.assert(fc.property(ipv6Groups, fc.integer({ min: 1, max: 128 }), fc.boolean(), (groups, prefix, padded) => {
    const block = masked(groups, prefix);
    const written = block.map((group) => (padded ? group.toString(16).padStart(4, '0') : group.toString(16))).join(':');
    const expected = new URL(`http://[${written}]/`).hostname.slice(1, -1);
    assert.deepEqual(parseCidr(`${written}/${prefix}`), { ok: true, cidr: `${expected}/${prefix}` });
    assert.deepEqual(parseCidr(`${expected}/${prefix}`), { ok: true, cidr: `${expected}/${prefix}` }, 'the canonical form is a fixed point');
  }), { numRuns: 500 });
});

test('property: an IPv4 block parses exactly when no host bit is set', () => {
  fc.assert(fc.property(fc.array(fc.integer({ min: 0, max: 255 }), { minLength: 4, maxLength: 4 }), fc.integer({ min: 1, max: 32 }), (bytes, prefix) => {
    const value = bytes.reduce((n, byte) => n * 256 + byte, 0);
    const hostBits = value % 2 ** (32 - prefix) !== 0;
    const parsed = parseCidr(`${bytes.join('.')}/${prefix}`);
    assert.equal(parsed.ok, !hostBits);
    if (parsed.ok) assert.equal(parsed.cidr, `${bytes.join('.')}/${prefix}`);
  }), { numRuns: 1000 });
});
