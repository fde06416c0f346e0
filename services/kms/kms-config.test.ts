// Production refuses the development default of stored unseal shares; the pkcs11 backend needs its HSM.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readKmsSettings } from './kms-config.ts';

test('development may keep the unseal shares in a file; production refuses it', () => {
  const dev = { backend: 'local', devSharesFile: '/data/services/kms/dev-unseal-shares.json', rotationCheckSeconds: 3600 };
  assert.equal(readKmsSettings(dev, false).devSharesFile, dev.devSharesFile);
  assert.throws(() => readKmsSettings(dev, true), /refused in production/);
  assert.equal(readKmsSettings({ backend: 'local', rotationCheckSeconds: 3600 }, true).devSharesFile, undefined);
});

test('the pkcs11 backend needs its module; unknown fields and backends are refused', () => {
  assert.throws(() => readKmsSettings({ backend: 'pkcs11', rotationCheckSeconds: 60 }, true), /pkcs11 backend needs/);
  const hsm = { backend: 'pkcs11', pkcs11: { modulePath: '/usr/lib/softhsm/libsofthsm2.so', tokenLabel: 'kms', pinFile: '/run/pin' }, rotationCheckSeconds: 60 };
  assert.equal(readKmsSettings(hsm, true).pkcs11?.tokenLabel, 'kms');
  assert.throws(() => readKmsSettings({ ...hsm, backend: 'vault-transit' }, true), /invalid/);
  assert.throws(() => readKmsSettings({ ...hsm, pin: '1234' }, true), /invalid/);
});
