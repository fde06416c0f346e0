// Production mode refuses every dev default: auto-generated CA, embedded database, demo data.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { productionProblems, readPlatformSettings } from '#lib/config/index.ts';

test('NODE_ENV=production without operator certificates and databases refuses to start and creates nothing', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'strongroom-prod-'));
  const result = spawnSync(process.execPath, ['bin/strongroom.ts', 'start'], {
    env: { ...process.env, NODE_ENV: 'production', STRONGROOM_DATA_DIR: dataDir },
    encoding: 'utf8', timeout: 30_000,
  });
  assert.equal(result.status, 2);
  assert.match(result.stderr, /Refusing to start in production mode/);
  assert.match(result.stderr, /STRONGROOM_TLS_CERT_FILE/);
  assert.match(result.stderr, /VAULT_DATABASE_URL/);
  assert.deepEqual(readdirSync(dataDir), [], 'no CA, no database, no demo data was created');
});

test('--production flag counts as production too; dev mode has no problems', () => {
  assert.ok(productionProblems(readPlatformSettings({}, ['--production'])).length >= 6);
  assert.deepEqual(productionProblems(readPlatformSettings({}, [])), []);
});

test('production with every operator setting has nothing to refuse', () => {
  const env = {
    NODE_ENV: 'production', STRONGROOM_TLS_CERT_FILE: '/etc/sr/tls.crt', STRONGROOM_TLS_KEY_FILE: '/etc/sr/tls.key',
    STRONGROOM_INTERNAL_CA_FILE: '/etc/sr/ca.crt', STRONGROOM_INTERNAL_TLS_DIR: '/etc/sr/internal',
    KMS_DATABASE_URL: 'postgres://k@db/kms', VAULT_DATABASE_URL: 'postgres://v@db/vault',
    API_DATABASE_URL: 'postgres://a@db/api', DASHBOARD_DATABASE_URL: 'postgres://d@db/dashboard',
    STRONGROOM_SMTP_URL: 'smtps://mailer:secret@smtp.example:465',
  };
  assert.deepEqual(productionProblems(readPlatformSettings(env)), []);
});
