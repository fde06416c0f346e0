// The one key lookup (the secret-key hook and GET /capability) against a real database: the kinds a
// route takes, expiry (a revoked key), a secret key's IP allow-list (an IPv4 client on a dual-stack
// listener included), and one 401 for every way a key can be wrong.
import { after, before, beforeEach, test } from 'node:test';
import assert from 'node:assert/strict';
import { auditMigrations, createAudit } from '#lib/audit/index.ts';
import { loadSqlMigrations } from '#lib/db/index.ts';
import { createTestDatabase, type TestDatabase } from '#lib/db/testing.ts';
import { isHttpError } from '#lib/http/index.ts';
import type { ApiDatabase } from '../db.ts';
import { createAccountService } from '../accounts/accounts.service.ts';
import { createAccountStore } from '../accounts/accounts.store.ts';
import { createKeyStore } from '../keys/keys.store.ts';
import { createKeyService } from '../keys/keys.service.ts';
import { findKey } from './find-key.ts';

let database: TestDatabase<ApiDatabase>;
let account: { accountId: string; publicKey: string; secretKey: string; live: { publicKey: string; secretKey: string } };
const operator = { caller: 'operator', actorId: 'ops' };
const IP = '198.51.100.20';

const keys = () => createKeyService({ db: database.db, store: createKeyStore(database.db), audit: createAudit({ db: database.db, service: 'api' }) });
const idOf = async (kind: 'public' | 'secret', livemode: boolean) =>
  (await keys().list(account.accountId, { includeExpired: false })).find((key) => key.kind === kind && key.livemode === livemode)!.id;

async function refused(promise: Promise<unknown>, message = 'authentication failed') {
  await assert.rejects(promise, (error: unknown) => {
    assert.ok(isHttpError(error), String(error));
    assert.deepEqual([error.statusCode, error.code, error.message], [401, 'authentication_failure', message]);
    return true;
  });
}

before(async () => {
  database = await createTestDatabase<ApiDatabase>([await auditMigrations(), await loadSqlMigrations('api', new URL('../migrations/', import.meta.url))]);
});
after(async () => database?.close());
beforeEach(async () => {
  const accounts = createAccountService({ db: database.db, store: createAccountStore(database.db), audit: createAudit({ db: database.db, service: 'api' }) });
  account = await accounts.createAccount({ email: 'f@example.test', name: 'F' }, { type: 'system', id: 'test' });
});

test('a secret key is found with its account, mode and id; a public key only where the route takes one', async () => {
  assert.deepEqual(await findKey(database.db, account.secretKey, IP, ['secret']),
    { id: await idOf('secret', false), accountId: account.accountId, livemode: false, kind: 'secret' });
  assert.deepEqual(await findKey(database.db, account.live.secretKey, IP, ['public', 'secret']),
    { id: await idOf('secret', true), accountId: account.accountId, livemode: true, kind: 'secret' });
  assert.deepEqual(await findKey(database.db, account.publicKey, IP, ['public', 'secret']),
    { id: await idOf('public', false), accountId: account.accountId, livemode: false, kind: 'public' });
  await refused(findKey(database.db, account.publicKey, IP, ['secret']));
});

test('no key, an unknown key, a key of no known kind, a revoked key: the same 401', async () => {
  for (const key of [null, undefined, '', 'garbage', 'skey_test_0000000000000000000', 'pkey_test_0000000000000000000', `x${account.secretKey}`]) {
    await refused(findKey(database.db, key, IP, ['public', 'secret']));
  }
  await keys().revoke(account.accountId, await idOf('secret', false), operator);
  await refused(findKey(database.db, account.secretKey, IP, ['secret']));
});

test("a secret key's IP allow-list: inside passes (an IPv4 client seen as ::ffff:a.b.c.d too), outside is refused, on every route", async () => {
  await keys().setAllowlist(account.accountId, await idOf('secret', false), ['203.0.113.0/24'], operator);
  for (const ip of ['203.0.113.7', '::ffff:203.0.113.7']) {
    for (const kinds of [['secret'], ['public', 'secret']] as const) assert.equal((await findKey(database.db, account.secretKey, ip, kinds)).accountId, account.accountId, ip);
  }
  for (const ip of [IP, '::ffff:198.51.100.20', '2001:db8::1']) {
    for (const kinds of [['secret'], ['public', 'secret']] as const) await refused(findKey(database.db, account.secretKey, ip, kinds), 'authentication failed: address not allowed for this key');
  }
  assert.equal((await findKey(database.db, account.publicKey, IP, ['public'])).kind, 'public', 'the public key has no allow-list');
});
