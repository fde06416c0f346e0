import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { networkKey } from './network-key.ts';

const hex = (groups: number[]) => groups.map((g) => g.toString(16)).join(':');

test('IPv4 (and IPv4-mapped IPv6) is counted per address', () => {
  assert.equal(networkKey('198.51.100.7'), '198.51.100.7');
  assert.equal(networkKey('::ffff:198.51.100.7'), '198.51.100.7');
  assert.notEqual(networkKey('198.51.100.7'), networkKey('198.51.100.8'));
});

test('property: IPv6 addresses share a key exactly when they share their first 64 bits, whatever the notation', () => {
  const group = fc.integer({ min: 0, max: 0xffff });
  const address = fc.array(group, { minLength: 8, maxLength: 8 });
  fc.assert(fc.property(address, address, (a, b) => {
    const sameNetwork = [...a.slice(0, 4), ...b.slice(4)];
    assert.equal(networkKey(hex(a)), networkKey(hex(sameNetwork)), 'one /64');
    const differs = a.slice(0, 4).join() !== b.slice(0, 4).join();
    assert.equal(networkKey(hex(a)) === networkKey(hex(b)), !differs);
  }), { numRuns: 500 });
  assert.equal(networkKey('2001:db8:1:2::5'), '2001:db8:1:2::/64');
  assert.equal(networkKey('2001:0DB8:0001:0002:0:0:0:6'), '2001:db8:1:2::/64', 'zeros and case do not matter');
});
