import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readDashboardSettings } from './dashboard-settings.ts';

const base = { production: false, public: { host: '127.0.0.1', port: 8443 }, extra: {} };

test('defaults: PCI profile, https://localhost:<port>, the outbox', () => {
  assert.deepEqual(readDashboardSettings(base), {
    production: false, policyProfile: 'pci', publicOrigin: 'https://localhost:8443', mail: { from: 'Strongroom <no-reply@localhost>', smtpUrl: undefined },
  });
});

test('the operator picks the NIST profile, the public address and SMTP', () => {
  const settings = readDashboardSettings({ ...base, production: true, extra: { policyProfile: 'nist', publicOrigin: 'https://dash.example.com', smtpUrl: 'smtps://u:p@smtp.example.com:465', mailFrom: 'Pay <pay@example.com>' } });
  assert.deepEqual(settings, { production: true, policyProfile: 'nist', publicOrigin: 'https://dash.example.com', mail: { from: 'Pay <pay@example.com>', smtpUrl: 'smtps://u:p@smtp.example.com:465' } });
});

test('refused: an unknown profile, a non-https origin, a non-SMTP URL, production without SMTP', () => {
  assert.throws(() => readDashboardSettings({ ...base, extra: { policyProfile: 'lax' } }), /pci or nist/);
  assert.throws(() => readDashboardSettings({ ...base, extra: { publicOrigin: 'http://dash.example.com' } }), /https/);
  assert.throws(() => readDashboardSettings({ ...base, extra: { publicOrigin: 'https://dash.example.com/path' } }), /https/);
  assert.throws(() => readDashboardSettings({ ...base, extra: { smtpUrl: 'https://mail.example.com' } }), /smtp/);
  assert.throws(() => readDashboardSettings({ ...base, production: true }), /production needs an SMTP server/);
});
