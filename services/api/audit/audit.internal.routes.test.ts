// GET /internal/v1/accounts/:id/audit(/integrity) over real mTLS on a real database: the dashboard
// reads one account's entries (filtered, paged) and its chain check; other callers are refused;
// another account's entries never appear; bad input is a 400; tampering shows as broken.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { auditMigrations, createAudit, createCheckpointer } from '#lib/audit/index.ts';
import { createTestSigner } from '#lib/audit/testing.ts';
import { loadSqlMigrations, sql } from '#lib/db/index.ts';
import { createTestDatabase, type TestDatabase } from '#lib/db/testing.ts';
import type { ApiDatabase } from '../db.ts';
import { startInternalApi, type InternalApi } from '../internal-api.testing.ts';
import { createAccountService } from '../accounts/accounts.service.ts';
import { createAccountStore } from '../accounts/accounts.store.ts';
import { createKeyService } from '../keys/keys.service.ts';
import { createKeyStore } from '../keys/keys.store.ts';
import { createAuditIntegrity } from './audit-integrity.ts';
import { auditInternalRoutes } from './audit.internal.routes.ts';

type Json = Record<string, any>;
const USER = 'user_5x1753iuub61dfe41qa';

describe('internal audit read API', () => {
  let database: TestDatabase<ApiDatabase>;
  let internal: InternalApi;
  let audit: ReturnType<typeof createAudit>;
  const signer = createTestSigner();
  let mine: string;
  let theirs: string;
  let keyId: string;

  before(async () => {
    database = await createTestDatabase<ApiDatabase>([await auditMigrations(), await loadSqlMigrations('api', new URL('../migrations/', import.meta.url))]);
    audit = createAudit({ db: database.db, service: 'api' });
    const accountStore = createAccountStore(database.db);
    const accounts = createAccountService({ db: database.db, store: accountStore, audit });
    const keys = createKeyService({ db: database.db, store: createKeyStore(database.db), audit });
    mine = (await accounts.createAccount({ email: 'a@example.test', name: 'A' }, { type: 'system', id: 'test' })).accountId;
    theirs = (await accounts.createAccount({ email: 'b@example.test', name: 'B' }, { type: 'system', id: 'test' })).accountId;
    const [created] = await keys.create(mine, { livemode: false, kind: 'secret' }, { caller: 'dashboard', actorId: USER, ip: '10.0.0.9' });
    keyId = created!.id;
    await keys.revoke(mine, keyId, { caller: 'dashboard', actorId: USER });
    await keys.create(theirs, { livemode: false, kind: 'secret' }, { caller: 'dashboard', actorId: 'user_someoneelse0000000000' });
    await audit.chainNow();
    const kms = {
      publicKeys: async () => {
        return { key_id: 'audit-checkpoint', keys: [{ version: 1, state: 'active', public_key_pem: signer.publicKey.export({ type: 'spki', format: 'pem' }).toString() }] };
      },
    };
    internal = await startInternalApi({ audit, callers: ['dashboard', 'operator', 'vault'], register: (app) => app.register(auditInternalRoutes, { db: database.db, findAccount: accountStore.findAccount, kms }) });
  });

  after(async () => {
    await internal?.close();
    await database?.close();
  });

  const get = async (path: string, caller = 'dashboard') => {
    const answer = await internal.clients[caller]!.request('GET', path);
    return { status: answer.status, body: answer.body as Json };
  };
  const auditOf = (accountId: string, query = '') => `/internal/v1/accounts/${accountId}/audit${query}`;

  test('the dashboard reads its account\'s entries, newest first, and never another account\'s', async () => {
    const { status, body } = await get(auditOf(mine));
    assert.equal(status, 200);
    assert.equal(body.object, 'list');
    const actions = body.data.map((d: Json) => d.entry.action);
    assert.deepEqual(actions.slice(0, 2), ['api_key.revoke', 'api_key.create']);
    assert.equal(body.data.length, 7, 'account creation (5) + create + revoke');
    assert.ok(body.data.every((d: Json) => d.entry.tenant === mine && d.object === 'audit_entry' && /^[0-9a-f]{64}$/.test(d.hash)));
    assert.deepEqual(body.data.map((d: Json) => d.seq), [7, 6, 5, 4, 3, 2, 1]);
    assert.equal(body.next_before, null);
    const text = JSON.stringify(body);
    assert.ok(!text.includes(theirs) && !text.includes('user_someoneelse'), 'nothing of the other account');
    assert.doesNotMatch(text, /skey_|secret_hash/);
  });

  test('filters by actor, action, target and time; pages with next_before', async () => {
    const byActor = await get(auditOf(mine, `?actor_id=${USER}`));
    assert.deepEqual(byActor.body.data.map((d: Json) => d.entry.action), ['api_key.revoke', 'api_key.create']);
    const byAction = await get(auditOf(mine, '?action=api_key.create'));
    assert.equal(byAction.body.data.length, 5, 'the four keys of account creation and the new one');
    assert.equal(byAction.body.data[0].entry.targets[0].id, keyId);
    assert.ok(byAction.body.data.every((d: Json) => d.entry.action === 'api_key.create'));
    const byTarget = await get(auditOf(mine, `?target_id=${keyId}`));
    assert.equal(byTarget.body.data.length, 2);
    const future = new Date(Date.now() + 3600_000).toISOString();
    assert.equal((await get(auditOf(mine, `?from=${encodeURIComponent(future)}`))).body.data.length, 0);
    assert.equal((await get(auditOf(mine, `?to=${encodeURIComponent(future)}`))).body.data.length, 7);

    const first = await get(auditOf(mine, '?limit=3'));
    assert.deepEqual([first.body.data.map((d: Json) => d.seq), first.body.next_before], [[7, 6, 5], 5]);
    const second = await get(auditOf(mine, `?limit=3&before=${first.body.next_before}`));
    assert.deepEqual(second.body.data.map((d: Json) => d.seq), [4, 3, 2]);
  });

  test('bad input is a 400 in the error shape; an unknown account is a 404', async () => {
    for (const query of ['?limit=0', '?limit=101', '?before=0', '?from=yesterday', '?to=2026-13-45T99:99Z', '?colour=red', `?action=${'a'.repeat(101)}`]) {
      const { status, body } = await get(auditOf(mine, query));
      assert.equal(status, 400, query);
      assert.deepEqual([body.object, body.code], ['error', 'bad_request'], query);
    }
    assert.equal((await get('/internal/v1/accounts/not-an-account/audit')).status, 400);
    const unknown = 'acct_test_0000000000000000000';
    assert.equal((await get(auditOf(unknown))).status, 404);
    assert.equal((await get(auditOf(unknown, '/integrity'))).status, 404);
  });

  test('only the dashboard may read; other callers get 403 and an audit entry', async () => {
    for (const caller of ['operator', 'vault']) {
      assert.equal((await get(auditOf(mine), caller)).status, 403, caller);
      assert.equal((await get(auditOf(mine, '/integrity'), caller)).status, 403, caller);
    }
    await audit.chainNow();
    const denied = await sql<{ n: number }>`SELECT count(*)::int AS n FROM audit_log WHERE entry->>'action' LIKE '%denied%'`.execute(database.db);
    assert.ok((denied.rows[0]?.n ?? 0) >= 4);
  });

  test('the integrity check: chain and signed checkpoints OK; not checked without the KMS; a tampered entry is named', async () => {
    const checkpointer = createCheckpointer({ db: database.db, service: 'api', signer: signer.signer, intervalMs: 60_000 });
    await audit.chainNow();
    await checkpointer.runOnce();
    const ok = await get(auditOf(mine, '/integrity'));
    assert.equal(ok.status, 200);
    assert.equal(ok.body.chain.ok, true);
    assert.equal(ok.body.chain.count, 7);
    assert.deepEqual([ok.body.checkpoints.checked, ok.body.checkpoints.ok, ok.body.checkpoints.last_seq, ok.body.checkpoints.unsigned_tail], [true, true, 7, 0]);

    await database.ownerDb.transaction().execute(async (tx) => {
      await sql`ALTER TABLE audit_log DISABLE TRIGGER USER`.execute(tx);
      await sql`UPDATE audit_log SET entry = jsonb_set(entry, '{outcome,result}', '"failure"') WHERE stream = ${mine} AND seq = 6`.execute(tx);
      await sql`ALTER TABLE audit_log ENABLE TRIGGER USER`.execute(tx);
    });
    const broken = await get(auditOf(mine, '/integrity'));
    assert.deepEqual(broken.body.chain, { ok: false, first_broken_seq: 6, reason: 'modified' });
    const other = await get(auditOf(theirs, '/integrity'));
    assert.equal(other.body.chain.ok, true, 'the other account\'s stream is untouched');
  });

  test('without a KMS the checkpoints are reported as not checked', async () => {
    const failing = createAuditIntegrity({ db: database.db, checkpointKeys: async () => { throw new Error('sealed'); } });
    const view = await failing.check(theirs);
    assert.deepEqual(view.checkpoints, { checked: false, reason: 'the KMS public keys could not be read just now' });
    assert.equal(view.chain.ok, true);
  });
});
