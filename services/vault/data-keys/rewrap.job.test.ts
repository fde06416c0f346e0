// The re-wrap job against a real KMS over mTLS: after a KEK rotation every DEK moves to the newest KEK
// version and still unwraps to the same bytes, so the old version can be retired; progress and
// completion are audited; a second run does nothing; two instances never move a DEK twice; a sealed
// KMS stops the job, which picks up again on its next tick.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createAudit } from '#lib/audit/index.ts';
import { readLog } from '#lib/audit/testing.ts';
import type { TestDatabase } from '#lib/db/testing.ts';
import { createTestLogger } from '#lib/http/testing.ts';
import { KmsRequestError, KmsUnavailableError } from '#lib/kms-client/index.ts';
import type { VaultDatabase } from '../db.ts';
import { countingKms, createVaultTestDatabase, startKmsProcess, type KmsProcess } from '../testing.ts';
import { createDataKeyStore } from './data-keys.store.ts';
import { createDataKeyService } from './data-keys.service.ts';
import { createRewrapJob } from './rewrap.job.ts';

type Entry = { action: string; metadata: Record<string, number | string> };

describe('vault data-key re-wrap job', () => {
  let kms: KmsProcess;
  let database: TestDatabase<VaultDatabase>;
  const log = createTestLogger('vault');
  const audit = () => createAudit({ db: database.db, service: 'vault' });
  const store = () => createDataKeyStore(database.db);
  const rows = () => database.db.selectFrom('vault_data_keys').selectAll().orderBy('id').execute();
  const entries = async () => {
    await audit().chainNow();
    return (await readLog(database.db)).map((row) => row.entry as Entry).filter((entry) => entry.action.startsWith('vault.data_key.rewrap'));
  };
  /** DEK id → plaintext (base64), as made. */
  const plaintexts = new Map<string, string>();

  async function makeDeks(count: number) {
    const keys = createDataKeyService({ db: database.db, store: store(), kms: kms.vault, audit: audit(), maxUses: 1 });
    for (let i = 0; i < count; i++) {
      const dek = await keys.forEncryption();
      plaintexts.set(dek.id, dek.key.toString('base64'));
    }
    keys.close();
  }
  async function assertAllDecrypt() {
    for (const row of await rows()) assert.equal((await kms.vault.decrypt(row.wrapped)).plaintext, plaintexts.get(row.id), row.id);
    const fresh = createDataKeyService({ db: database.db, store: store(), kms: kms.vault, audit: audit() });
    for (const [id, plaintext] of plaintexts) assert.equal((await fresh.forDecryption(id)).toString('base64'), plaintext);
    fresh.close();
  }

  before(async () => {
    kms = await startKmsProcess();
    database = await createVaultTestDatabase();
  });
  after(async () => {
    await database?.close();
    await kms?.close();
    log.cleanup();
  });

  test('after a rotation every DEK moves to the newest KEK version and still unwraps to the same bytes', async () => {
    await makeDeks(7);
    const old = await rows();
    assert.ok(old.every((row) => row.kek_version === 1));
    assert.equal(await kms.rotate(), 2);
    const counted = countingKms(kms.vault);
    const job = createRewrapJob({ db: database.db, store: store(), kms: counted, audit: audit(), logger: log.logger, batchSize: 3 });

    const result = await job.runOnce();
    assert.deepEqual(result, { moved: 7, keys: [{ keyId: 'card-data', moved: 7, targetVersion: 2, complete: true }] });
    const moved = await rows();
    assert.ok(moved.every((row) => row.kek_version === 2 && row.wrapped.startsWith('kms1:card-data:2:')));
    assert.deepEqual(moved.map((row) => [row.id, row.records, row.retired_at?.getTime()]), old.map((row) => [row.id, row.records, row.retired_at?.getTime()]));
    assert.equal(counted.calls.rewrap, 8, 'one probe and one re-wrap per DEK');
    assert.equal(counted.calls.decrypt + counted.calls.dataKey, 0, 'the job never unwraps a DEK');
    await assertAllDecrypt();

    // Old KEK version retired: the old blobs are refused, the re-wrapped ones still decrypt.
    await kms.operator.call('POST', '/v1/keys/card-data/min-decrypt-version', { version: 2 });
    await assert.rejects(kms.vault.decrypt(old[0]!.wrapped), (error: unknown) => error instanceof KmsRequestError && error.status === 410);
    await assertAllDecrypt();

    const audited = await entries();
    const progress = audited.filter((entry) => entry.action === 'vault.data_key.rewrap_progress');
    assert.deepEqual(progress.map((entry) => [entry.metadata.batch, entry.metadata.moved, entry.metadata.target_version]), [[1, 3, 2], [2, 3, 2], [3, 1, 2]]);
    assert.deepEqual(audited.filter((entry) => entry.action === 'vault.data_key.rewrap_complete').map((entry) => entry.metadata),
      [{ key_id: 'card-data', total: 7, target_version: 2 }]);
  });

  test('running again does nothing', async () => {
    const before = await rows();
    const auditedBefore = (await entries()).length;
    const job = createRewrapJob({ db: database.db, store: store(), kms: kms.vault, audit: audit(), logger: log.logger });
    assert.deepEqual(await job.runOnce(), { moved: 0, keys: [{ keyId: 'card-data', moved: 0, targetVersion: 2, complete: true }] });
    assert.deepEqual(await rows(), before);
    assert.equal((await entries()).length, auditedBefore);
  });

  test('two instances running at once move each DEK exactly once', async () => {
    await makeDeks(5);
    assert.equal(await kms.rotate(), 3);
    const auditedBefore = (await entries()).length;
    const counted = countingKms(kms.vault);
    const jobs = [1, 2].map(() => createRewrapJob({ db: database.db, store: store(), kms: counted, audit: audit(), logger: log.logger, batchSize: 2 }));
    const results = await Promise.all(jobs.map((job) => job.runOnce()));
    assert.equal(results[0]!.moved + results[1]!.moved, 12);
    assert.ok(results.some((result) => result.keys[0]!.complete));
    assert.ok((await rows()).every((row) => row.kek_version === 3));
    assert.ok(counted.calls.rewrap <= 12 + 2, `${counted.calls.rewrap} re-wrap calls: each DEK once, plus one probe per run`);
    const progress = (await entries()).slice(auditedBefore).filter((entry) => entry.action === 'vault.data_key.rewrap_progress');
    assert.equal(progress.reduce((sum, entry) => sum + Number(entry.metadata.moved), 0), 12);
    await assertAllDecrypt();
  });

  test('a sealed KMS stops the job without changing a row; the timer retries and finishes after unsealing', async () => {
    assert.equal(await kms.rotate(), 4);
    const before = await rows();
    const job = createRewrapJob({ db: database.db, store: store(), kms: kms.vault, audit: audit(), logger: log.logger, batchSize: 5 });
    await kms.seal();
    try {
      await assert.rejects(job.runOnce(), (error: unknown) => error instanceof KmsUnavailableError);
      assert.deepEqual(await rows(), before);
      job.start(50);
      const deadline = Date.now() + 10_000;
      while (!log.text().includes('re-wrapping data keys failed')) {
        assert.ok(Date.now() < deadline, 'the failure was not logged');
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    } finally {
      await kms.unseal();
    }
    const deadline = Date.now() + 15_000;
    while (!(await rows()).every((row) => row.kek_version === 4)) {
      assert.ok(Date.now() < deadline, 'the job did not finish after unsealing');
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    await job.stop();
    assert.equal((await rows()).length, 12);
    await assertAllDecrypt();
  });
});
