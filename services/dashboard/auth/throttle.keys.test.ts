import { test } from 'node:test';
import assert from 'node:assert/strict';
import { emailKey, networkKey } from './throttle.store.ts';

test('IPv4 per address (also when IPv4-mapped), IPv6 per /64 however it is written', () => {
  assert.equal(networkKey('198.51.100.7'), '198.51.100.7');
  assert.equal(networkKey('::ffff:198.51.100.7'), '198.51.100.7');
  const same = ['2001:db8:aa:bb::1', '2001:0db8:00aa:00bb:0000:0000:0000:0002', '2001:DB8:AA:BB:ffff:1:2:3', '2001:db8:aa:bb::'];
  for (const ip of same) assert.equal(networkKey(ip), '2001:db8:aa:bb::/64', ip);
  assert.notEqual(networkKey('2001:db8:aa:bc::1'), networkKey('2001:db8:aa:bb::1'));
  assert.equal(networkKey('::1'), '0:0:0:0::/64');
  assert.equal(networkKey('fe80::1%eth0'), 'fe80:0:0:0::/64');
});

test('emails are keyed by their SHA-256, never stored as typed', () => {
  assert.match(emailKey('ada@shop.example'), /^[0-9a-f]{64}$/);
  assert.equal(emailKey('ada@shop.example'), emailKey('ada@shop.example'));
  assert.notEqual(emailKey('ada@shop.example'), emailKey('bob@shop.example'));
});
