// Key management against a real database: secret values only at creation, bounds (active keys, grace,
// allow-list), rolling and revoking, other accounts' keys not found, every change audited with the
// caller and the person (never a key), and the database's own guard against bringing a key back.
import { after, before, beforeEach, test } from 'node:test';
import assert from 'node:assert/strict';
import { auditMigrations, createAudit } from '#lib/audit/index.ts';
import { hashApiKey, newId } from '#lib/contracts/index.ts';
import { loadSqlMigrations, sql } from '#lib/db/index.ts';
import { createTestDatabase, type TestDatabase } from '#lib/db/testing.ts';
import { isHttpError } from '#lib/http/index.ts';
import type { ApiDatabase } from '../db.ts';
import { createAccountService } from '../accounts/accounts.service.ts';
import { createAccountStore } from '../accounts/accounts.store.ts';
import { createKeyStore } from './keys.store.ts';
import { createKeyService, KEY_LIMITS } from './keys.service.ts';
import type { KeyView } from './key-view.ts';

let database: TestDatabase<ApiDatabase>;
let clock = Date.parse('2030-01-01T00:00:00Z');
let changed = 0;
let account: { accountId: string; publicKey: string; secretKey: string; live: { publicKey: string; secretKey: string } };
const dashboard = { caller: 'dashboard', actorId: 'user_5x1753iuub61dfe41qa', requestId: 'req_1', ip: '10.1.2.3' };

const keys = () => createKeyService({ db: database.db, store: createKeyStore(database.db), audit: createAudit({ db: database.db, service: 'api' }), onKeysChanged: () => void changed++, now: () => clock });
async function rejects(promise: Promise<unknown>, status: number, code: string, message?: RegExp) {
  await assert.rejects(promise, (error: unknown) => {
    assert.ok(isHttpError(error), String(error));
    assert.deepEqual([error.statusCode, error.code], [status, code], error.message);
    if (message) assert.match(error.message, message);
    return true;
  });
}
const find = async (kind: 'public' | 'secret', livemode: boolean): Promise<KeyView> =>
  (await keys().list(account.accountId, { includeExpired: false })).find((key) => key.kind === kind && key.livemode === livemode)!;
const auditEntries = async (action: string) => (await sql<{ entry: Record<string, any> }>`
  SELECT entry FROM audit_outbox WHERE entry->>'tenant' = ${account.accountId} AND entry->>'action' = ${action} ORDER BY id`.execute(database.db)).rows.map((row) => row.entry);

before(async () => {
  database = await createTestDatabase<ApiDatabase>([await auditMigrations(), await loadSqlMigrations('api', new URL('../migrations/', import.meta.url))]);
});
after(async () => database?.close());
beforeEach(async () => {
  clock = Date.parse('2030-01-01T00:00:00Z');
  changed = 0;
  const accounts = createAccountService({ db: database.db, store: createAccountStore(database.db), audit: createAudit({ db: database.db, service: 'api' }) });
  account = await accounts.createAccount({ email: 'k@example.test', name: 'K' }, { type: 'system', id: 'test' });
});

test('a new account has a test and a live pair; a list shows public values, hints and modes, never a secret or a hash', async () => {
  const list = await keys().list(account.accountId, { includeExpired: false });
  assert.deepEqual(list.map((key) => [key.kind, key.livemode]).sort(), [['public', false], ['public', true], ['secret', false], ['secret', true]]);
  const text = JSON.stringify(list);
  for (const secret of [account.secretKey, account.live.secretKey]) {
    assert.ok(!text.includes(secret) && !text.includes(hashApiKey(secret)), 'no secret key and no hash in a list');
  }
  assert.ok(text.includes(account.publicKey) && text.includes(account.live.publicKey), 'public keys are public');
  const secret = list.find((key) => key.kind === 'secret' && !key.livemode)!;
  assert.deepEqual([secret.key, secret.hint, secret.active, secret.expires_at, secret.ip_allowlist], [null, account.secretKey.slice(-4), true, null, null]);
  assert.deepEqual(Object.keys(secret).sort(), ['active', 'created_at', 'expires_at', 'hint', 'id', 'ip_allowlist', 'key', 'kind', 'last_used_at', 'last_used_ip', 'livemode', 'object']);
});

test('create: live keys are shown once in the answer, stored as a hash; at most 5 active per kind and mode', async () => {
  const created = await keys().create(account.accountId, { livemode: true }, dashboard);
  assert.deepEqual(created.map((key) => [key.kind, key.livemode]), [['public', true], ['secret', true]]);
  const secret = created[1]!;
  assert.match(secret.key!, /^skey_[0-9a-z]{26}$/, 'a live secret key in clear, this once');
  const row = await database.db.selectFrom('api_keys').select(['secret_hash', 'public_value']).where('id', '=', secret.id).executeTakeFirstOrThrow();
  assert.deepEqual(row, { secret_hash: hashApiKey(secret.key!), public_value: null });
  assert.equal((await keys().list(account.accountId, { includeExpired: false })).find((key) => key.id === secret.id)!.key, null, 'never again');
  assert.equal(changed, 1, 'the sync job is told');

  for (let i = 2; i < KEY_LIMITS.activePerKindAndMode; i++) await keys().create(account.accountId, { livemode: false, kind: 'secret' }, dashboard);
  await keys().create(account.accountId, { livemode: false, kind: 'secret' }, dashboard);
  await rejects(keys().create(account.accountId, { livemode: false, kind: 'secret' }, dashboard), 409, 'conflict', /at most 5 active test secret keys/);
  await keys().create(account.accountId, { livemode: false, kind: 'public' }, dashboard);

  const entries = await auditEntries('api_key.create');
  const byDashboard = entries.filter((entry) => entry.actor.id === dashboard.actorId);
  assert.equal(byDashboard.length, 2 + 4 + 1);
  assert.deepEqual([byDashboard[0]!.actor.type, byDashboard[0]!.origin.certIdentity, byDashboard[0]!.origin.ip], ['user', 'dashboard', '10.1.2.3']);
  assert.ok(!JSON.stringify(entries).includes(secret.key!) && !JSON.stringify(entries).includes(hashApiKey(secret.key!)));
});

test('roll: a new key of the same kind, mode and allow-list; the old one expires after the grace; bounds and repeats refused', async () => {
  const old = await find('secret', false);
  await keys().setAllowlist(account.accountId, old.id, ['203.0.113.0/24'], dashboard);
  await rejects(keys().roll(account.accountId, old.id, { graceSeconds: KEY_LIMITS.maxGraceSeconds + 1 }, dashboard), 400, 'bad_request');
  await rejects(keys().roll(account.accountId, old.id, { graceSeconds: -1 }, dashboard), 400, 'bad_request');
  const rolled = await keys().roll(account.accountId, old.id, { graceSeconds: 3600 }, { caller: 'operator', actorId: 'alice' });
  assert.equal(rolled.rolled.expires_at, '2030-01-01T01:00:00Z');
  assert.equal(rolled.rolled.active, true);
  assert.deepEqual([rolled.created.kind, rolled.created.livemode, rolled.created.ip_allowlist, rolled.created.expires_at], ['secret', false, ['203.0.113.0/24'], null]);
  assert.match(rolled.created.key!, /^skey_test_/);
  await rejects(keys().roll(account.accountId, old.id, { graceSeconds: 0 }, dashboard), 409, 'conflict', /already expiring/);
  const [entry] = await auditEntries('api_key.roll');
  assert.deepEqual([entry!.actor.type, entry!.actor.id, entry!.origin.certIdentity, entry!.metadata.grace_seconds], ['staff', 'alice', 'operator', 3600]);
  assert.deepEqual(entry!.targets.map((target: { id: string }) => target.id), [old.id, rolled.created.id]);

  clock += 3600_000;
  assert.ok(!(await keys().list(account.accountId, { includeExpired: false })).some((key) => key.id === old.id), 'an expired key is not listed…');
  const all = await keys().list(account.accountId, { includeExpired: true });
  assert.equal(all.find((key) => key.id === old.id)!.active, false, '…unless asked, as inactive');
  await rejects(keys().roll(account.accountId, old.id, { graceSeconds: 0 }, dashboard), 409, 'conflict', /expired/);

  // Grace 0: the old key stops at once.
  const pub = await find('public', true);
  const now = await keys().roll(account.accountId, pub.id, { graceSeconds: 0 }, dashboard);
  assert.deepEqual([now.rolled.active, now.rolled.expires_at], [false, '2030-01-01T01:00:00Z']);
});

test('revoke: the key expires now, also a rolled key whose grace has not ended; twice is refused', async () => {
  const secret = await find('secret', true);
  const rolled = await keys().roll(account.accountId, secret.id, { graceSeconds: 86_400 }, dashboard);
  const revoked = await keys().revoke(account.accountId, secret.id, dashboard);
  assert.deepEqual([revoked.active, revoked.expires_at], [false, '2030-01-01T00:00:00Z']);
  await rejects(keys().revoke(account.accountId, secret.id, dashboard), 409, 'conflict');
  assert.equal((await keys().revoke(account.accountId, rolled.created.id, dashboard)).active, false);
  const [entry] = await auditEntries('api_key.revoke');
  assert.deepEqual([entry!.metadata.was_expiring, entry!.metadata.kind, entry!.metadata.livemode], [true, 'secret', true]);
});

test('allow-list: validated and canonical, secret keys only, null lifts it; the database bounds it too', async () => {
  const secret = await find('secret', false);
  const set = await keys().setAllowlist(account.accountId, secret.id, ['203.0.113.0/24', '2001:DB8::/32', '198.51.100.7'], dashboard);
  assert.deepEqual(set.ip_allowlist, ['203.0.113.0/24', '2001:db8::/32', '198.51.100.7/32']);
  assert.deepEqual((await find('secret', false)).ip_allowlist, ['203.0.113.0/24', '2001:db8::/32', '198.51.100.7/32'], 'read back from cidr[]');
  await rejects(keys().setAllowlist(account.accountId, secret.id, ['10.0.0.1/8'], dashboard), 400, 'bad_request', /host bits/);
  await rejects(keys().setAllowlist(account.accountId, secret.id, [], dashboard), 400, 'bad_request');
  await rejects(keys().setAllowlist(account.accountId, secret.id, Array.from({ length: 21 }, (_, i) => `10.${i}.0.0/16`), dashboard), 400, 'bad_request');
  await rejects(keys().setAllowlist(account.accountId, (await find('public', false)).id, ['10.0.0.0/8'], dashboard), 400, 'bad_request', /secret keys only/);
  assert.equal((await keys().setAllowlist(account.accountId, secret.id, null, dashboard)).ip_allowlist, null);
  const entries = await auditEntries('api_key.set_ip_allowlist');
  assert.deepEqual(entries.map((entry) => entry.metadata.ip_allowlist), [['203.0.113.0/24', '2001:db8::/32', '198.51.100.7/32'], null]);

  const tooMany = `{${Array.from({ length: 21 }, (_, i) => `10.${i}.0.0/16`).join(',')}}`;
  await assert.rejects(sql`UPDATE api_keys SET ip_allowlist = ${tooMany}::cidr[] WHERE id = ${secret.id}`.execute(database.db), /api_keys_allowlist_bounded/);
  await assert.rejects(sql`UPDATE api_keys SET ip_allowlist = '{10.0.0.0/8}' WHERE id = ${(await find('public', false)).id}`.execute(database.db), /api_keys_allowlist_secret_only/);
});

test("another account's keys and unknown accounts are not found; nothing changes", async () => {
  const theirs = await createAccountService({ db: database.db, store: createAccountStore(database.db), audit: createAudit({ db: database.db, service: 'api' }) })
    .createAccount({ email: 'o@example.test', name: 'O' }, { type: 'system', id: 'test' });
  const mine = await find('secret', false);
  await rejects(keys().roll(theirs.accountId, mine.id, { graceSeconds: 0 }, dashboard), 404, 'not_found', /api key/);
  await rejects(keys().revoke(theirs.accountId, mine.id, dashboard), 404, 'not_found');
  await rejects(keys().setAllowlist(theirs.accountId, mine.id, ['10.0.0.0/8'], dashboard), 404, 'not_found');
  await rejects(keys().revoke(account.accountId, newId('key'), dashboard), 404, 'not_found');
  const nobody = newId('account');
  await rejects(keys().list(nobody, { includeExpired: true }), 404, 'not_found', /account/);
  await rejects(keys().create(nobody, { livemode: true }, dashboard), 404, 'not_found', /account/);
  const after = await find('secret', false);
  assert.deepEqual([after.expires_at, after.ip_allowlist], [null, null]);
  assert.equal(changed, 0);
});

test('an actor id the audit guard refuses is a 400, and nothing is written', async () => {
  const before = (await keys().list(account.accountId, { includeExpired: true })).length;
  await rejects(keys().create(account.accountId, { livemode: true }, { caller: 'dashboard', actorId: 'u4242424242424242' }), 400, 'bad_request', /actor_id/);
  assert.equal((await keys().list(account.accountId, { includeExpired: true })).length, before);
});

test('the database refuses to bring a rolled or revoked key back, for the runtime role and the owner alike', async () => {
  const secret = await find('secret', false);
  await keys().revoke(account.accountId, secret.id, dashboard);
  for (const db of [database.db, database.ownerDb]) {
    await assert.rejects(sql`UPDATE api_keys SET expires_at = NULL WHERE id = ${secret.id}`.execute(db), /expiry can only move earlier/);
    await assert.rejects(sql`UPDATE api_keys SET expires_at = '2100-01-01T00:00:00Z' WHERE id = ${secret.id}`.execute(db), /expiry can only move earlier/);
  }
  await assert.rejects(sql`UPDATE api_keys SET secret_hash = ${hashApiKey('skey_test_x')} WHERE id = ${secret.id}`.execute(database.db), /permission denied/);
  await assert.rejects(sql`UPDATE api_keys SET livemode = true WHERE id = ${secret.id}`.execute(database.ownerDb), /identity and value never change/);
});
