// The vault's DEK layer against a real KMS over mTLS and a real PostgreSQL: bounds by count and age,
// single flight, decryption through the KMS after eviction, failing closed when the KMS is sealed,
// and no DEK plaintext anywhere in the vault's database.
import { after, afterEach, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createAudit } from '#lib/audit/index.ts';
import { readLog } from '#lib/audit/testing.ts';
import { openDatabase, sql } from '#lib/db/index.ts';
import type { TestDatabase } from '#lib/db/testing.ts';
import { KmsUnavailableError } from '#lib/kms-client/index.ts';
import type { VaultDatabase } from '../db.ts';
import { countingKms, createVaultTestDatabase, startKmsProcess, type KmsProcess } from '../testing.ts';
import { createDataKeyStore } from './data-keys.store.ts';
import { createDataKeyService, DataKeyError, type DataKey, type DataKeyServiceOptions } from './data-keys.service.ts';

describe('vault data keys', () => {
  let kms: KmsProcess;
  const open: Array<{ close(): unknown }> = [];

  before(async () => {
    kms = await startKmsProcess();
  });
  after(async () => {
    await kms?.close();
  });
  afterEach(async () => {
    for (const item of open.splice(0).reverse()) await item.close();
  });

  async function bed() {
    const database: TestDatabase<VaultDatabase> = await createVaultTestDatabase();
    open.push(database);
    const audit = createAudit({ db: database.db, service: 'vault' });
    const counted = countingKms(kms.vault);
    const service = (options: Partial<DataKeyServiceOptions> = {}) => {
      const created = createDataKeyService({ db: database.db, store: createDataKeyStore(database.db), kms: counted, audit, ...options });
      open.push(created);
      return created;
    };
    const rows = () => database.db.selectFrom('vault_data_keys').selectAll().orderBy('created_at').orderBy('id').execute();
    return { database, audit, counted, service, rows };
  }

  test('a DEK serves up to maxUses records, then one new DEK is fetched from the KMS', async () => {
    const { counted, service, rows } = await bed();
    const keys = service({ maxUses: 100 });
    const before = await kms.countActions('kms.data_key.generate', 'vault');
    const seen = new Map<string, Buffer>();
    for (let i = 0; i < 250; i++) {
      const dek = await keys.forEncryption();
      const known = seen.get(dek.id);
      if (known) assert.deepEqual(dek.key, known);
      else seen.set(dek.id, Buffer.from(dek.key));
    }
    assert.equal(counted.calls.dataKey, 3, '250 records at 100 per DEK');
    assert.equal(await kms.countActions('kms.data_key.generate', 'vault') - before, 3, 'the KMS audit log agrees');
    const stored = await rows();
    assert.deepEqual(stored.map((row) => row.records), [100, 100, 50]);
    assert.deepEqual(stored.map((row) => row.retired_at !== null), [true, true, false]);
    assert.deepEqual(new Set(stored.map((row) => row.id)), new Set(seen.keys()));
    assert.ok(stored.every((row) => row.key_id === 'card-data' && row.kek_version === 1 && row.wrapped.startsWith('kms1:card-data:1:')));
  });

  test('a batch reserves its uses in one count; a DEK without room for a whole batch is retired for every instance', async () => {
    const { counted, service, rows } = await bed();
    const keys = service({ maxUses: 100 });
    const first = await keys.forEncryption(undefined, 60);
    const second = await keys.forEncryption(undefined, 60);
    assert.notEqual(first.id, second.id, '60 more do not fit in the first DEK');
    const third = await keys.forEncryption(undefined, 40);
    assert.equal(third.id, second.id);
    const stored = await rows();
    assert.deepEqual(stored.map((row) => [row.records, row.retired_at !== null]), [[60, true], [100, true]]);
    assert.equal(counted.calls.dataKey, 2);
    // Another instance does not adopt the retired first DEK.
    const other = service({ maxUses: 100 });
    assert.notEqual((await other.forEncryption(undefined, 1)).id, first.id);
    await assert.rejects(keys.forEncryption(undefined, 101), RangeError);
  });

  test('with reserveBlock, uses are counted in blocks: one UPDATE per block, never past maxUses', async () => {
    const { counted, service, rows } = await bed();
    const keys = service({ maxUses: 1000, reserveBlock: 300 });
    const ids: string[] = [];
    for (let i = 0; i < 130; i++) ids.push((await keys.forEncryption(undefined, 10)).id);
    // 1 300 uses: blocks of 300 on the first DEK (3 × 300 counted = 900, then 100 left < 300 → retired), then the second.
    const stored = await rows();
    assert.equal(stored.length, 2);
    assert.ok(stored.every((row) => row.records <= 1000), JSON.stringify(stored.map((row) => row.records)));
    assert.equal(new Set(ids.slice(0, 90)).size, 1, 'the first 900 uses come from one DEK');
    assert.equal(counted.calls.dataKey, 2);
    assert.equal(stored[0]!.retired_at !== null, true);
  });

  test('1 000 records, 50 at a time, at 500 per DEK: two KMS data-key calls, no DEK past its bound', async (t) => {
    const { counted, service, rows } = await bed();
    const keys = service({ maxUses: 500 });
    const started = Date.now();
    for (let i = 0; i < 20; i++) {
      await Promise.all(Array.from({ length: 50 }, async () => (await keys.forEncryption()).key.fill(0)));
    }
    const elapsed = Date.now() - started;
    assert.equal(counted.calls.dataKey, 2);
    assert.deepEqual((await rows()).map((row) => row.records), [500, 500]);
    t.diagnostic(`1000 records: ${counted.calls.dataKey} KMS data-key calls, ${elapsed} ms (${Math.round(1000 / (elapsed / 1000))} records/s)`);
  });

  test('a DEK is not used past maxAgeMs (injected clock); the aged one is retired', async () => {
    const { counted, service, rows } = await bed();
    const clock = { t: Date.parse('2030-01-01T00:00:00Z') };
    const keys = service({ maxAgeMs: 60_000, now: () => clock.t });
    const first = await keys.forEncryption();
    clock.t += 59_999;
    assert.equal((await keys.forEncryption()).id, first.id);
    clock.t += 1;
    const second = await keys.forEncryption();
    assert.notEqual(second.id, first.id);
    assert.equal(counted.calls.dataKey, 2);
    const stored = await rows();
    assert.deepEqual(stored.map((row) => [row.id, row.records, row.retired_at?.getTime() ?? null]), [
      [first.id, 2, clock.t], [second.id, 1, null],
    ]);
    assert.equal(stored[0]!.created_at.getTime(), Date.parse('2030-01-01T00:00:00Z'));
  });

  test('50 concurrent forEncryption calls create exactly one DEK', async () => {
    const { counted, service, rows } = await bed();
    const keys = service();
    const results = await Promise.all(Array.from({ length: 50 }, () => keys.forEncryption()));
    assert.equal(new Set(results.map((dek) => dek.id)).size, 1);
    assert.ok(results.every((dek) => dek.key.equals(results[0]!.key)));
    assert.equal(counted.calls.dataKey, 1);
    assert.deepEqual((await rows()).map((row) => row.records), [50]);
  });

  test('several instances share one DEK and its count bound (PostgreSQL holds the count)', async () => {
    const { counted, service, rows } = await bed();
    const [a, b] = [service({ maxUses: 30 }), service({ maxUses: 30 })];
    const first = await a.forEncryption();
    const adopted = await b.forEncryption();
    assert.equal(adopted.id, first.id, 'the second instance uses the open DEK instead of making one');
    assert.deepEqual(adopted.key, first.key);
    assert.equal(counted.calls.decrypt, 1);
    await Promise.all(Array.from({ length: 58 }, (_, i) => (i % 2 === 0 ? a : b).forEncryption()));
    // Both may find the first DEK used up at once and each make one: never a DEK past its bound.
    const counts = (await rows()).map((row) => row.records);
    assert.equal(counts[0], 30);
    assert.ok(counts.every((n) => n <= 30), `no DEK goes past maxUses: ${counts.join(', ')}`);
    assert.equal(counts.reduce((sum, n) => sum + n, 0), 60);
    assert.ok(counted.calls.dataKey === counts.length && counts.length <= 3, `${counts.length} DEKs for 60 records at 30 each`);
  });

  test('forDecryption of an evicted DEK goes back to the KMS (once) and returns the same bytes', async () => {
    const { counted, service } = await bed();
    const keys = service({ maxUses: 1, cacheMaxEntries: 1 });
    const made: DataKey[] = [];
    for (let i = 0; i < 3; i++) made.push(await keys.forEncryption());
    assert.equal(new Set(made.map((dek) => dek.id)).size, 3);
    assert.equal(counted.calls.decrypt, 0);
    assert.deepEqual(await keys.forDecryption(made[2]!.id), made[2]!.key, 'the newest is cached');
    assert.equal(counted.calls.decrypt, 0);
    const again = await Promise.all(Array.from({ length: 10 }, () => keys.forDecryption(made[0]!.id)));
    for (const key of again) assert.deepEqual(key, made[0]!.key);
    assert.equal(counted.calls.decrypt, 1, 'ten concurrent callers, one KMS call');
    // Callers get copies: scribbling on one does not reach the cache.
    again[0]!.fill(7);
    assert.deepEqual(await keys.forDecryption(made[0]!.id), made[0]!.key);
    assert.equal(counted.calls.decrypt, 1);
    await assert.rejects(keys.forDecryption('dek_000000000000000000000000'), (error: unknown) => error instanceof DataKeyError && error.code === 'unknown_data_key');
    await assert.rejects(keys.forDecryption('not-an-id'), (error: unknown) => error instanceof DataKeyError && error.code === 'unknown_data_key');
  });

  test('inside a transaction an uncached DEK is read on that transaction\'s connection: a full pool cannot stall it', async () => {
    const { database, audit, counted } = await bed();
    const small = openDatabase<VaultDatabase>(database.runtimeUrl, { max: 1 });
    open.push({ close: () => small.destroy() });
    const keys = createDataKeyService({ db: small, store: createDataKeyStore(small), kms: counted, audit, maxUses: 1, cacheMaxEntries: 1 });
    open.push(keys);
    const made: DataKey[] = [];
    for (let i = 0; i < 3; i++) made.push(await keys.forEncryption());
    // The transaction holds the pool's only connection; a lookup needing another would wait for the pool's timeout.
    const stalled = new Promise<'stalled'>((resolve) => setTimeout(() => resolve('stalled'), 3_000).unref());
    const key = await Promise.race([small.transaction().execute((tx) => keys.forDecryption(made[0]!.id, tx)), stalled]);
    assert.deepEqual(key, made[0]!.key);
    assert.equal(counted.calls.decrypt, 1, 'the evicted DEK came back from the KMS');
  });

  test('with the KMS sealed, a new DEK or an uncached one is refused with KmsUnavailableError: no fallback', async () => {
    const { counted, service, rows } = await bed();
    const keys = service({ maxUses: 1 });
    const made = await keys.forEncryption();
    await kms.seal();
    try {
      const isSealed = (error: unknown) => error instanceof KmsUnavailableError && error.reason === 'sealed';
      await assert.rejects(keys.forEncryption(), isSealed);
      await assert.rejects(service().forDecryption(made.id), isSealed);
      assert.equal((await rows()).length, 1, 'no DEK was stored while the KMS was sealed');
      // What is already in memory (bounded by the cache's lifetime) still decrypts.
      assert.deepEqual(await keys.forDecryption(made.id), made.key);
    } finally {
      await kms.unseal();
    }
    assert.notEqual((await keys.forEncryption()).id, made.id);
    assert.deepEqual(await service().forDecryption(made.id), made.key);
    assert.equal(counted.calls.dataKey, 3, 'the first DEK, the refused attempt, the one after unsealing');
  });

  test('no DEK plaintext (base64, base64url or hex) in any column of any row of any vault table', async () => {
    const { database, audit, counted, service } = await bed();
    const keys = service({ maxUses: 3, cacheMaxEntries: 2 });
    const ids = new Set<string>();
    for (let i = 0; i < 20; i++) ids.add((await keys.forEncryption()).id);
    for (const id of ids) await service().forDecryption(id);
    await audit.chainNow();
    assert.ok(counted.plaintexts.size >= 7, `${counted.plaintexts.size} DEKs seen`);

    const tables = await sql<{ name: string }>`
      SELECT table_name AS name FROM information_schema.tables WHERE table_schema = 'public' AND table_type = 'BASE TABLE'`
      .execute(database.ownerDb);
    const text: string[] = [];
    for (const { name } of tables.rows) {
      const result = await sql<{ row: string }>`SELECT row_to_json(t)::text AS row FROM ${sql.table(name)} AS t`.execute(database.ownerDb);
      text.push(...result.rows.map((r) => r.row));
    }
    const all = text.join('\n');
    // The scan sees the tables it must: each wrapped DEK, and each creation in the audit log.
    const stored = await database.db.selectFrom('vault_data_keys').select(['id', 'wrapped']).execute();
    assert.equal(stored.length, ids.size);
    for (const row of stored) assert.ok(all.includes(row.wrapped));
    const created = (await readLog(database.db)).map((row) => row.entry as { action: string; targets: { id: string }[]; metadata: unknown })
      .filter((entry) => entry.action === 'vault.data_key.create');
    assert.deepEqual(new Set(created.map((entry) => entry.targets[0]!.id)), ids, 'one audit entry per DEK');
    for (const entry of created) assert.deepEqual(entry.metadata, { key_id: 'card-data', kek_version: 1 });
    for (const plaintext of counted.plaintexts) {
      const bytes = Buffer.from(plaintext, 'base64');
      for (const form of [plaintext, bytes.toString('base64url'), bytes.toString('hex')]) {
        assert.ok(!all.includes(form), 'a DEK plaintext is stored in the vault database');
      }
    }
  });

  test('counted in the caller\'s transaction, a rolled-back record is not counted', async () => {
    const { database, service, rows } = await bed();
    const keys = service();
    const committed = await database.db.transaction().execute((tx) => keys.forEncryption(tx));
    await assert.rejects(database.db.transaction().execute(async (tx) => {
      assert.equal((await keys.forEncryption(tx)).id, committed.id);
      throw new Error('the record could not be stored');
    }), /could not be stored/);
    assert.deepEqual((await rows()).map((row) => row.records), [1]);
    await keys.forEncryption();
    assert.deepEqual((await rows()).map((row) => row.records), [2]);
  });

  test('close() drops every key from memory and refuses further use', async () => {
    const { service } = await bed();
    const keys = service({ maxUses: 1 });
    const made = await keys.forEncryption();
    await keys.forEncryption();
    assert.equal(keys.keysInMemory(), 2);
    keys.close();
    assert.equal(keys.keysInMemory(), 0);
    await assert.rejects(keys.forEncryption(), (error: unknown) => error instanceof DataKeyError && error.code === 'closed');
    await assert.rejects(keys.forDecryption(made.id), (error: unknown) => error instanceof DataKeyError && error.code === 'closed');
  });
});
