// The table's own defences (migrations/0001_data_keys.sql), as the runtime role sees them: no DELETE,
// no change to a DEK's identity, no reopening, no lower count, no older KEK version, and a wrapped blob
// that must name the row's key and version.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { sql } from '#lib/db/index.ts';
import type { TestDatabase } from '#lib/db/testing.ts';
import type { VaultDatabase } from '../db.ts';
import { createVaultTestDatabase } from '../testing.ts';
import { createDataKeyStore } from './data-keys.store.ts';

let database: TestDatabase<VaultDatabase>;
const id = 'dek_0123456789abcdefghijklmn';
const wrapped = (version: number) => `kms1:card-data:${version}:${'A'.repeat(40)}`;

before(async () => {
  database = await createVaultTestDatabase();
  await createDataKeyStore(database.db).insert(database.db, { id, keyId: 'card-data', kekVersion: 2, wrapped: wrapped(2), createdAt: new Date() });
});
after(async () => {
  await database?.close();
});

test('the runtime role cannot delete a DEK or change its id, key or creation time', async () => {
  await assert.rejects(sql`DELETE FROM vault_data_keys WHERE id = ${id}`.execute(database.db), /permission denied/);
  await assert.rejects(sql`UPDATE vault_data_keys SET id = 'dek_zzzzzzzzzzzzzzzzzzzzzzzz' WHERE id = ${id}`.execute(database.db), /permission denied/);
  await assert.rejects(sql`UPDATE vault_data_keys SET key_id = 'card-data.acct_x' WHERE id = ${id}`.execute(database.db), /permission denied/);
  await assert.rejects(sql`UPDATE vault_data_keys SET created_at = now() WHERE id = ${id}`.execute(database.db), /permission denied/);
  assert.equal((await database.db.selectFrom('vault_data_keys').select('id').execute()).length, 1);
});

test('a retired DEK stays retired, its count never goes down, its KEK version never goes back', async () => {
  const store = createDataKeyStore(database.db);
  const bounds = { maxUses: 2, createdAfter: new Date(Date.now() - 60_000), now: new Date() };
  assert.equal(await store.countUse(database.db, id, bounds), 1);
  assert.equal(await store.countUse(database.db, id, bounds), 2, 'the last allowed record');
  assert.equal(await store.countUse(database.db, id, bounds), undefined, 'retired by its last record');
  await assert.rejects(database.db.updateTable('vault_data_keys').set({ retired_at: null }).where('id', '=', id).execute(), /cannot be reopened/);
  await assert.rejects(database.db.updateTable('vault_data_keys').set({ records: 0 }).where('id', '=', id).execute(), /cannot go down/);
  await assert.rejects(store.replaceWrapped(database.db, id, wrapped(2), { wrapped: wrapped(1), version: 1 }), /older KEK version/);
  assert.equal(await store.replaceWrapped(database.db, id, wrapped(2), { wrapped: wrapped(3), version: 3 }), true);
});

test('the wrapped blob must name the row\'s key and KEK version', async () => {
  const store = createDataKeyStore(database.db);
  await assert.rejects(store.replaceWrapped(database.db, id, wrapped(3), { wrapped: wrapped(3), version: 4 }), /check constraint/);
  await assert.rejects(store.insert(database.db, {
    id: 'dek_abcdefghijklmn0123456789', keyId: 'card-data', kekVersion: 1, wrapped: 'kms1:fingerprint:1:AAAAAAAAAAAAAAAAAAAA', createdAt: new Date(),
  }), /check constraint/);
  await assert.rejects(store.insert(database.db, { id: 'not-a-dek', keyId: 'card-data', kekVersion: 1, wrapped: wrapped(1), createdAt: new Date() }), /check constraint/);
});
