// Assembly: the vault builds its KMS client, data-key service and re-wrap job from its config, serves
// data keys through a real KMS over mTLS, and shuts everything down cleanly.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { freePort } from '#lib/db/testing.ts';
import { createTestLogger } from '#lib/http/testing.ts';
import { buildVault } from './server.ts';
import { createVaultTestDatabase, startKmsProcess } from './testing.ts';

test('buildVault wires data keys to the configured KMS and closes cleanly', async () => {
  const kms = await startKmsProcess();
  const database = await createVaultTestDatabase();
  const log = createTestLogger('vault');
  try {
    const identity = await kms.identity('vault');
    const vault = await buildVault({
      config: {
        databaseUrl: database.runtimeUrl,
        public: { host: '127.0.0.1', port: await freePort() },
        internal: { host: '127.0.0.1', port: await freePort() },
        peers: { kms: kms.baseUrl },
      },
      logger: log.logger,
      identities: { internal: identity, public: identity, stop() {} },
    });
    await vault.listen();
    try {
      const dek = await vault.dataKeys.forEncryption();
      assert.deepEqual(await vault.dataKeys.forDecryption(dek.id), dek.key);
      assert.deepEqual(await vault.rewrap.runOnce(), { moved: 0, keys: [{ keyId: 'card-data', moved: 0, targetVersion: 1, complete: true }] });
    } finally {
      await vault.close();
    }
    assert.equal(vault.dataKeys.keysInMemory(), 0);
    await assert.rejects(buildVault({
      config: { databaseUrl: database.runtimeUrl, peers: {} }, logger: log.logger, identities: { internal: identity, public: identity, stop() {} },
    }), /needs the KMS/);
  } finally {
    await database.close();
    await kms.close();
    log.cleanup();
  }
});
