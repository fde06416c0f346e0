// The dashboard's audit log and API keys pages against the REAL api internal routes over mTLS (real
// api database, real key service, real audit read API), in one process: a key made on the page
// exists at the api (hashed), is audited there with the dashboard user as actor, and shows on the
// page's API tab; the api's refusals reach the form; another account's keys answer 404.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { auditMigrations, createAudit } from '#lib/audit/index.ts';
import { hashApiKey } from '#lib/contracts/index.ts';
import { loadSqlMigrations } from '#lib/db/index.ts';
import { createTestDatabase, type TestDatabase } from '#lib/db/testing.ts';
import type { ApiDatabase } from '../services/api/db.ts';
import { startInternalApi, type InternalApi } from '../services/api/internal-api.testing.ts';
import { createAccountService } from '../services/api/accounts/accounts.service.ts';
import { createAccountStore } from '../services/api/accounts/accounts.store.ts';
import { auditInternalRoutes } from '../services/api/audit/audit.internal.routes.ts';
import { createKeyService } from '../services/api/keys/keys.service.ts';
import { createKeyStore } from '../services/api/keys/keys.store.ts';
import { keyRoutes } from '../services/api/keys/keys.routes.ts';
import { merchantApisOver } from '../services/dashboard/merchant-pages.ts';
import { startMerchantPages, type MerchantPagesBed } from '../services/dashboard/merchant-pages.testing.ts';

let apiDb: TestDatabase<ApiDatabase>;
let api: InternalApi;
let apiAudit: ReturnType<typeof createAudit>;
let bed: MerchantPagesBed;
let mine: string;
let theirs: string;
let owner: { userId: string; email: string };

before(async () => {
  apiDb = await createTestDatabase<ApiDatabase>([await auditMigrations(), await loadSqlMigrations('api', new URL('../services/api/migrations/', import.meta.url))]);
  apiAudit = createAudit({ db: apiDb.db, service: 'api' });
  const accountStore = createAccountStore(apiDb.db);
  const accounts = createAccountService({ db: apiDb.db, store: accountStore, audit: apiAudit });
  mine = (await accounts.createAccount({ email: 'owner@shop.example', name: 'Shop' }, { type: 'system', id: 'test' })).accountId;
  theirs = (await accounts.createAccount({ email: 'other@shop.example', name: 'Other' }, { type: 'system', id: 'test' })).accountId;
  api = await startInternalApi({
    audit: apiAudit,
    callers: ['dashboard'],
    register: async (app) => {
      await app.register(keyRoutes, { keys: createKeyService({ db: apiDb.db, store: createKeyStore(apiDb.db), audit: apiAudit }) });
      await app.register(auditInternalRoutes, { db: apiDb.db, findAccount: accountStore.findAccount });
    },
  });
  bed = await startMerchantPages({ apis: () => merchantApisOver(api.clients.dashboard!) });
  owner = await bed.f.user({ accountId: mine, roles: ['owner'] });
  await bed.f.user({ accountId: theirs, roles: ['owner'] });
});
after(async () => {
  await bed?.close();
  await api?.close();
  await apiDb?.close();
});

const as = () => ({ userId: owner.userId, accountId: mine });

test('a key made on the page exists at the api only as a hash, audited there with the user, shown on the API tab', async () => {
  const created = await bed.post('/api-keys', as(), { mode: 'test', kind: 'secret' });
  assert.equal(created.status, 200, created.body.slice(0, 500));
  const secret = created.body.match(/id="new-secret-key">(skey_test_[0-9a-z]+)</)![1]!;
  const row = await apiDb.db.selectFrom('api_keys').select(['account_id', 'secret_hash']).where('secret_hash', '=', hashApiKey(secret)).executeTakeFirstOrThrow();
  assert.equal(row.account_id, mine);

  await apiAudit.chainNow();
  const tab = await bed.get('/audit-log?source=api&action=api_key.create', as());
  assert.equal(tab.status, 200);
  assert.ok(tab.body.includes(owner.email), 'the api entry names the dashboard user, shown by email');
  assert.equal([...tab.body.matchAll(/<tr data-seq=/g)].length, 5, 'the account\'s four first keys and the new one');
  const integrity = await bed.get('/audit-log/integrity', as());
  assert.match(integrity.body.match(/id="integrity-api">([\s\S]*?)<\/section>/)![1]!, /tag success">OK[\s\S]*Signed checkpoints not checked: no KMS configured/);
  const csv = await bed.get('/audit-log/export.csv?source=api', as());
  assert.equal(csv.body.split('\r\n').filter((l) => l.includes('"api_key.create"')).length, 5);
  assert.ok(!csv.body.includes(secret));
});

test('roll with a grace period, the api\'s allow-list refusal on the form, revoke; another account\'s key is a 404', async () => {
  const keys = await bed.get('/api-keys', as());
  assert.equal(keys.status, 200, keys.body.slice(0, 800));
  const secretId = keys.body.match(/data-key-id="(key_[0-9a-z]{19})" data-kind="secret"/)![1]!;
  const rolled = await bed.post(`/api-keys/${secretId}/roll`, as(), { grace: '3600' });
  assert.equal(rolled.status, 200);
  const old = await apiDb.db.selectFrom('api_keys').select('expires_at').where('id', '=', secretId).executeTakeFirstOrThrow();
  const left = old.expires_at!.getTime() - Date.now();
  assert.ok(left > 3500_000 && left <= 3600_000, `grace ${left}`);

  const newId = rolled.body.match(/class="new-key" data-key-id="(key_[0-9a-z]{19})"/)![1]!;
  const refused = await bed.post(`/api-keys/${newId}/ip-allowlist`, as(), { blocks: '10.0.0.1/8' });
  assert.equal(refused.status, 400);
  assert.match(refused.body, /class="alert"[\s\S]*10\.0\.0\.1\/8/);
  const saved = await bed.post(`/api-keys/${newId}/ip-allowlist`, as(), { blocks: '10.0.0.0/8' });
  assert.equal(saved.status, 303);
  assert.deepEqual((await apiDb.db.selectFrom('api_keys').select('ip_allowlist').where('id', '=', newId).executeTakeFirstOrThrow()).ip_allowlist, ['10.0.0.0/8']);

  const other = (await apiDb.db.selectFrom('api_keys').select('id').where('account_id', '=', theirs).where('kind', '=', 'secret').executeTakeFirstOrThrow()).id;
  assert.equal((await bed.post(`/api-keys/${other}/revoke`, as())).status, 404);
  assert.equal((await apiDb.db.selectFrom('api_keys').select('expires_at').where('id', '=', other).executeTakeFirstOrThrow()).expires_at, null);
  const revoked = await bed.post(`/api-keys/${newId}/revoke`, as());
  assert.equal(revoked.status, 303);
  await apiAudit.chainNow();
  const actions = (await bed.get(`/audit-log?source=api&target=${newId}`, as())).body;
  for (const action of ['api_key.roll', 'api_key.set_ip_allowlist', 'api_key.revoke']) assert.ok(actions.includes(action), action);
});
