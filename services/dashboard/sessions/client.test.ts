import { test } from 'node:test';
import assert from 'node:assert/strict';
import { clientOf, countryOf, deviceOf, UNKNOWN } from './client.ts';

test('public IPv4 addresses get a country from the offline data', () => {
  assert.equal(countryOf('8.8.8.8'), 'US');
  assert.equal(countryOf('::ffff:8.8.8.8'), 'US', 'IPv4-mapped IPv6, as Node reports dual-stack peers');
});

test('private, loopback, documentation and IPv6 addresses are unknown', () => {
  for (const ip of ['127.0.0.1', '10.1.2.3', '172.20.0.1', '192.168.1.10', '169.254.1.1', '100.64.0.1', '203.0.113.9', '::1', '2001:db8::1', 'fe80::1', 'not-an-ip', '']) {
    assert.equal(countryOf(ip), UNKNOWN, ip);
  }
});

test('devices read from the user agent', () => {
  assert.equal(deviceOf('Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/140.0.0.0 Safari/537.36'), 'Chrome 140 on Linux (desktop)');
  assert.equal(deviceOf('Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Mobile/15E148 Safari/604.1'), 'Safari 17 on iOS (mobile)');
  assert.equal(deviceOf(undefined), 'unknown device');
  assert.equal(deviceOf(''), 'unknown device');
  assert.ok(deviceOf('x'.repeat(10_000)).length <= 120);
});

test('clientOf bounds the user agent it keeps', () => {
  const info = clientOf({ ip: '127.0.0.1', headers: { 'user-agent': 'a'.repeat(2_000) } });
  assert.equal(info.userAgent?.length, 512);
  assert.equal(info.country, UNKNOWN);
});
