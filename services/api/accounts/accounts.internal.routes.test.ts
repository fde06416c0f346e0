// POST /internal/v1/accounts on the api's internal listener, over real mTLS: the dashboard creates
// accounts, no other service may, and the secret keys never leave the api.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { auditMigrations, createAudit } from '#lib/audit/index.ts';
import { loadSqlMigrations, sql } from '#lib/db/index.ts';
import { createTestDatabase, type TestDatabase } from '#lib/db/testing.ts';
import type { ApiDatabase } from '../db.ts';
import { startInternalApi, type InternalApi } from '../internal-api.testing.ts';
import { createAccountService } from './accounts.service.ts';
import { createAccountStore } from './accounts.store.ts';
import { accountInternalRoutes } from './accounts.internal.routes.ts';

describe('internal account creation', () => {
  let database: TestDatabase<ApiDatabase>;
  let internal: InternalApi;
  let audit: ReturnType<typeof createAudit>;

  before(async () => {
    database = await createTestDatabase<ApiDatabase>([await auditMigrations(), await loadSqlMigrations('api', new URL('../migrations/', import.meta.url))]);
    audit = createAudit({ db: database.db, service: 'api' });
    const accounts = createAccountService({ db: database.db, store: createAccountStore(database.db), audit });
    internal = await startInternalApi({ audit, callers: ['dashboard', 'vault', 'kms'], register: (app) => app.register(accountInternalRoutes, { accounts }) });
  });

  after(async () => {
    await internal?.close();
    await database?.close();
  });

  const create = (caller: string, body: unknown) => internal.clients[caller]!.request('POST', '/internal/v1/accounts', body, { requestId: 'req_signup_test_0001' });

  test('the dashboard gets the account id and its test public key, never a secret key', async () => {
    const answer = await create('dashboard', { email: 'owner@shop.example', name: 'Corner Shop' });
    assert.equal(answer.status, 200);
    const body = answer.body as Record<string, unknown>;
    assert.deepEqual(Object.keys(body).sort(), ['id', 'livemode', 'object', 'public_key']);
    assert.equal(body.object, 'account');
    assert.match(String(body.id), /^acct_[0-9a-z]{19}$/);
    assert.match(String(body.public_key), /^pkey_test_/);
    assert.doesNotMatch(JSON.stringify(body), /skey_/);

    const account = await database.db.selectFrom('accounts').selectAll().where('id', '=', String(body.id)).executeTakeFirstOrThrow();
    assert.deepEqual([account.email, account.name], ['owner@shop.example', 'Corner Shop']);
    const keys = await database.db.selectFrom('api_keys').select(['kind', 'livemode', 'public_value', 'secret_hash']).where('account_id', '=', account.id).execute();
    const testSecret = keys.find((k) => k.kind === 'secret' && !k.livemode);
    assert.ok(testSecret?.secret_hash, 'the secret key exists, as a hash only');
    assert.equal(keys.find((k) => k.kind === 'public' && !k.livemode)?.public_value, body.public_key);

    await audit.chainNow();
    const entries = await sql<{ entry: { action: string; actor: { type: string; id: string } } }>`
      SELECT entry FROM audit_log WHERE stream = ${account.id} ORDER BY seq`.execute(database.db);
    const created = entries.rows.find((r) => r.entry.action === 'account.create');
    assert.deepEqual(created?.entry.actor.type, 'service');
    assert.equal(created?.entry.actor.id, 'dashboard');
  });

  test('other internal services are refused (403, audited) and create nothing', async () => {
    const before = (await database.db.selectFrom('accounts').select('id').execute()).length;
    for (const caller of ['vault', 'kms']) {
      const answer = await create(caller, { email: `${caller}@shop.example`, name: 'Not allowed' });
      assert.equal(answer.status, 403, caller);
      assert.equal((answer.body as { code: string }).code, 'forbidden');
    }
    assert.equal((await database.db.selectFrom('accounts').select('id').execute()).length, before);
    for (let i = 0; i < 50; i++) {
      await audit.chainNow();
      const denied = await sql<{ n: number }>`SELECT count(*)::int AS n FROM audit_log WHERE entry->>'action' = 'access.denied' AND entry->'actor'->>'id' IN ('vault', 'kms')`.execute(database.db);
      if (denied.rows[0]?.n === 2) return;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    assert.fail('the refusals were not audited');
  });

  test('malformed bodies are 400 bad_request, never 500', async () => {
    for (const body of [{}, { email: 'a@b.c' }, { email: 'not-an-email', name: 'X' }, { email: 'a@b.c', name: '' }, { email: 'a@b.c', name: 'X', secret: true }, { email: 'a@b.c', name: 'x'.repeat(101) }]) {
      const answer = await create('dashboard', body);
      assert.equal(answer.status, 400, JSON.stringify(body));
      assert.equal((answer.body as { code: string }).code, 'bad_request');
    }
  });
});
