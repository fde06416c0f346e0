import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEFAULT_WEBHOOK_CONFIG, readWebhookConfig } from './webhook-config.ts';

test('absent settings are the defaults: public hosts only, public roots only, 8 tries from 30 s', () => {
  assert.deepEqual(readWebhookConfig({}, false), DEFAULT_WEBHOOK_CONFIG);
  assert.deepEqual(readWebhookConfig(undefined, true), DEFAULT_WEBHOOK_CONFIG);
  assert.deepEqual([DEFAULT_WEBHOOK_CONFIG.allowPrivateTestHosts, DEFAULT_WEBHOOK_CONFIG.extraCaPem, DEFAULT_WEBHOOK_CONFIG.retryLimit + 1,
    DEFAULT_WEBHOOK_CONFIG.retryDelaySeconds, DEFAULT_WEBHOOK_CONFIG.timeoutMs], [false, null, 8, 30, 10_000]);
});

test('the supervisor settings are read, the CA file loaded; production refuses private test hosts', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'webhook-config-'));
  try {
    const ca = join(dir, 'ca.pem');
    await writeFile(ca, '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n');
    const config = readWebhookConfig({ webhooks: { allowPrivateTestHosts: true, caFile: ca, retryDelaySeconds: 1 } }, false);
    assert.deepEqual([config.allowPrivateTestHosts, config.retryDelaySeconds], [true, 1]);
    assert.match(config.extraCaPem!, /BEGIN CERTIFICATE/);
    assert.throws(() => readWebhookConfig({ webhooks: { allowPrivateTestHosts: true } }, true), /refused in production/);
    const notPem = join(dir, 'not.pem');
    await writeFile(notPem, 'hello');
    assert.throws(() => readWebhookConfig({ webhooks: { caFile: notPem } }, false), /no PEM certificate/);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('malformed settings stop the api at start, naming the setting', () => {
  for (const [webhooks, pattern] of [
    ['yes', /must be an object/], [{ allowPrivateTestHosts: 'true' }, /allowPrivateTestHosts/], [{ caFile: '' }, /caFile/],
    [{ retryDelaySeconds: 0 }, /retryDelaySeconds/], [{ retryDelaySeconds: 1.5 }, /retryDelaySeconds/], [{ retryDelaySeconds: '30' }, /retryDelaySeconds/],
  ] as const) assert.throws(() => readWebhookConfig({ webhooks }, false), pattern, JSON.stringify(webhooks));
});
