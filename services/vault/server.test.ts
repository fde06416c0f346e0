// Assembly: the vault builds from its config, serves both listeners with a real KMS over mTLS, refuses
// to start without a KMS, and closes cleanly with no key left in memory.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createTestLogger } from '#lib/http/testing.ts';
import { buildVault } from './server.ts';
import { startVaultTestbed } from './testing.ts';

test('buildVault wires tokens, data keys and the re-wrap job to the configured KMS and closes cleanly', async () => {
  const bed = await startVaultTestbed();
  let closed = false;
  try {
    const { publicKey, accountId } = await bed.merchant();
    const made = await bed.tokenize(publicKey, { name: 'T Tester', number: '4242424242424242', expiration_month: 12, expiration_year: 2040, security_code: '123' });
    assert.equal(made.status, 200, bed.logs().slice(-3000));
    assert.ok(bed.vault.dataKeys.keysInMemory() >= 1);
    const moved = await bed.vault.rewrap.runOnce();
    assert.deepEqual(moved.keys.map((key) => [key.keyId, key.complete]), [[`card-data.${accountId}`, true]]);
    const identity = await bed.kms.identity('vault');
    const log = createTestLogger('vault');
    await assert.rejects(buildVault({
      config: { databaseUrl: bed.database.runtimeUrl, peers: {} }, logger: log.logger, identities: { internal: identity, public: identity, stop() {} },
    }), /needs the KMS/);
    log.cleanup();
    await bed.close();
    closed = true;
    assert.equal(bed.vault.dataKeys.keysInMemory(), 0, 'no DEK left in memory after close');
  } finally {
    if (!closed) await bed.close();
  }
});
