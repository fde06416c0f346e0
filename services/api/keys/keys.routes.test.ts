// The key-management routes on an internal (mTLS) app, as server.ts mounts them: the dashboard and
// operators may call them; the api's other peers are refused (403, reported for the audit trail);
// a certificate from another CA never gets past the handshake. Answers and logs never carry a hash,
// and a secret key only in the answer that created it.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { FastifyInstance } from 'fastify';
import { auditMigrations, createAudit } from '#lib/audit/index.ts';
import { hashApiKey, newId } from '#lib/contracts/index.ts';
import { loadSqlMigrations } from '#lib/db/index.ts';
import { createTestDatabase, type TestDatabase } from '#lib/db/testing.ts';
import { createHttpsApp, type Denial } from '#lib/http/index.ts';
import { createTestCa, createTestLogger, issueMaterial, listen, rawRequest, staticIdentity, type TestLogger } from '#lib/http/testing.ts';
import type { CertificateAuthority, IdentityMaterial } from '#lib/tls/index.ts';
import type { ApiDatabase } from '../db.ts';
import { createAccountService } from '../accounts/accounts.service.ts';
import { createAccountStore } from '../accounts/accounts.store.ts';
import { createKeyStore } from './keys.store.ts';
import { createKeyService } from './keys.service.ts';
import { keyRoutes } from './keys.routes.ts';

type Json = Record<string, any>;

describe('key management routes (internal mTLS listener)', () => {
  let database: TestDatabase<ApiDatabase>;
  let ca: CertificateAuthority;
  let app: FastifyInstance;
  let port: number;
  let log: TestLogger;
  const denials: Denial[] = [];
  const clients: Record<string, IdentityMaterial> = {};
  let account: { accountId: string; secretKey: string; live: { secretKey: string } };
  let other: { accountId: string };

  before(async () => {
    database = await createTestDatabase<ApiDatabase>([await auditMigrations(), await loadSqlMigrations('api', new URL('../migrations/', import.meta.url))]);
    ca = await createTestCa();
    log = createTestLogger('api');
    for (const name of ['dashboard', 'operator', 'api', 'vault', 'kms']) clients[name] = await issueMaterial(ca, name, { usage: 'client' });
    const audit = createAudit({ db: database.db, service: 'api' });
    const accounts = createAccountService({ db: database.db, store: createAccountStore(database.db), audit });
    account = await accounts.createAccount({ email: 'r@example.test', name: 'R' }, { type: 'system', id: 'test' });
    other = await accounts.createAccount({ email: 'o@example.test', name: 'O' }, { type: 'system', id: 'test' });
    app = createHttpsApp({ service: 'api', identity: await staticIdentity(ca, 'api'), mtls: true, logger: log.logger, onDenied: (denial) => denials.push(denial) });
    await app.register(keyRoutes, { keys: createKeyService({ db: database.db, store: createKeyStore(database.db), audit }) });
    port = await listen(app);
  });
  after(async () => {
    await app?.close();
    await database?.close();
    log?.cleanup();
  });

  async function call(as: string | IdentityMaterial, method: string, path: string, body?: unknown) {
    const material = typeof as === 'string' ? clients[as]! : as;
    const payload = body === undefined ? undefined : JSON.stringify(body);
    const response = await rawRequest(port, {
      ca: ca.certPem, key: material.keyPem, cert: material.certPem, method, path, body: payload,
      headers: payload === undefined ? {} : { 'content-type': 'application/json' },
    });
    return { status: response.status, body: response.json() as Json, text: response.body };
  }
  const keysOf = (accountId: string) => `/internal/v1/accounts/${accountId}/keys`;

  test('the dashboard lists, creates, rolls, restricts and revokes; secret values appear once, hashes never', async () => {
    const listed = await call('dashboard', 'GET', keysOf(account.accountId));
    assert.equal(listed.status, 200);
    assert.deepEqual([listed.body.object, listed.body.data.length], ['list', 4]);
    assert.ok(!listed.text.includes(hashApiKey(account.secretKey)) && !listed.text.includes(account.secretKey) && !listed.text.includes('secret_hash'));

    const created = await call('dashboard', 'POST', keysOf(account.accountId), { actor_id: 'user_5x1753iuub61dfe41qa', livemode: true, kind: 'secret' });
    assert.equal(created.status, 200, created.text);
    const secret = created.body.data[0] as Json;
    assert.match(secret.key, /^skey_[0-9a-z]{26}$/);

    const restricted = await call('dashboard', 'PUT', `${keysOf(account.accountId)}/${secret.id}/ip-allowlist`, { actor_id: 'user_5x1753iuub61dfe41qa', ip_allowlist: ['203.0.113.0/24'] });
    assert.deepEqual([restricted.status, restricted.body.ip_allowlist, restricted.body.key], [200, ['203.0.113.0/24'], null]);
    const rolled = await call('dashboard', 'POST', `${keysOf(account.accountId)}/${secret.id}/roll`, { actor_id: 'user_5x1753iuub61dfe41qa', grace_seconds: 600 });
    assert.equal(rolled.status, 200, rolled.text);
    assert.deepEqual([rolled.body.rolled.id, rolled.body.rolled.key, rolled.body.created.ip_allowlist], [secret.id, null, ['203.0.113.0/24']]);
    assert.match(rolled.body.created.key, /^skey_/);
    const revoked = await call('dashboard', 'POST', `${keysOf(account.accountId)}/${rolled.body.created.id}/revoke`, { actor_id: 'user_5x1753iuub61dfe41qa' });
    assert.deepEqual([revoked.status, revoked.body.active], [200, false]);

    const again = await call('dashboard', 'GET', `${keysOf(account.accountId)}?include_expired=true`);
    for (const value of [secret.key, rolled.body.created.key]) {
      assert.ok(!again.text.includes(value) && !again.text.includes(hashApiKey(value)), 'a list never shows a secret or its hash');
      assert.ok(!log.text().includes(value) && !log.text().includes(hashApiKey(value)), 'nor does the log');
    }
    assert.equal(again.body.data.length, 6);
  });

  test('operators may manage keys too', async () => {
    const listed = await call('operator', 'GET', keysOf(account.accountId));
    assert.equal(listed.status, 200);
  });

  test('any other internal identity is refused with 403 and reported; nothing changes', async () => {
    const before = (await call('dashboard', 'GET', keysOf(account.accountId))).body.data.length;
    for (const name of ['api', 'vault', 'kms']) {
      const listed = await call(name, 'GET', keysOf(account.accountId));
      assert.deepEqual([listed.status, listed.body.code], [403, 'forbidden'], name);
      const created = await call(name, 'POST', keysOf(account.accountId), { actor_id: 'user_x', livemode: true });
      assert.equal(created.status, 403, name);
      assert.ok(denials.some((denial) => denial.caller === name && denial.reason === 'caller_not_allowed' && denial.route === `POST /internal/v1/accounts/:accountId/keys`));
    }
    assert.equal((await call('dashboard', 'GET', keysOf(account.accountId))).body.data.length, before);
  });

  test('a dashboard certificate from another CA does not get past the handshake', async () => {
    const impostor = await issueMaterial(await createTestCa('Impostor CA'), 'dashboard', { usage: 'client' });
    await assert.rejects(call(impostor, 'GET', keysOf(account.accountId)));
  });

  test("another account's key is not found; bad input is a 400 in the Omise error shape", async () => {
    const theirs = (await call('dashboard', 'GET', keysOf(other.accountId))).body.data.find((key: Json) => key.kind === 'secret') as Json;
    for (const [method, suffix, body] of [
      ['POST', 'roll', { actor_id: 'user_x', grace_seconds: 0 }], ['POST', 'revoke', { actor_id: 'user_x' }],
      ['PUT', 'ip-allowlist', { actor_id: 'user_x', ip_allowlist: ['10.0.0.0/8'] }],
    ] as const) {
      const answer = await call('dashboard', method, `${keysOf(account.accountId)}/${theirs.id}/${suffix}`, body);
      assert.deepEqual([answer.status, answer.body.code], [404, 'not_found'], suffix);
    }
    const still = (await call('dashboard', 'GET', keysOf(other.accountId))).body.data.find((key: Json) => key.id === theirs.id) as Json;
    assert.deepEqual([still.active, still.expires_at, still.ip_allowlist], [true, null, null]);
    assert.equal((await call('dashboard', 'GET', keysOf(newId('account')))).status, 404);

    const mine = (await call('dashboard', 'GET', keysOf(account.accountId))).body.data.find((key: Json) => key.kind === 'secret' && !key.livemode) as Json;
    const bad: [string, string, unknown][] = [
      ['POST', `${keysOf(account.accountId)}/${mine.id}/roll`, { actor_id: 'user_x', grace_seconds: 7 * 86_400 + 1 }],
      ['POST', `${keysOf(account.accountId)}/${mine.id}/roll`, { actor_id: 'user_x' }],
      ['POST', `${keysOf(account.accountId)}/${mine.id}/roll`, { grace_seconds: 0 }],
      ['POST', `${keysOf(account.accountId)}/${mine.id}/roll`, { actor_id: 'user_x', grace_seconds: 0, extra: 1 }],
      ['POST', `${keysOf(account.accountId)}/${mine.id}/roll`, { actor_id: ' bad actor', grace_seconds: 0 }],
      ['PUT', `${keysOf(account.accountId)}/${mine.id}/ip-allowlist`, { actor_id: 'user_x', ip_allowlist: ['10.0.0.1/8'] }],
      ['PUT', `${keysOf(account.accountId)}/${mine.id}/ip-allowlist`, { actor_id: 'user_x', ip_allowlist: [] }],
      ['POST', keysOf(account.accountId), { actor_id: 'user_x', livemode: true, kind: 'private' }],
      ['POST', `${keysOf(account.accountId)}/key_nope/revoke`, { actor_id: 'user_x' }],
      ['GET', '/internal/v1/accounts/acct_nope/keys', undefined],
    ];
    for (const [method, path, body] of bad) {
      const answer = await call('dashboard', method, path, body);
      assert.equal(answer.status, 400, `${method} ${path} ${JSON.stringify(body)}: ${answer.text}`);
      assert.deepEqual(Object.keys(answer.body).sort(), ['code', 'location', 'message', 'object']);
    }
    const unchanged = (await call('dashboard', 'GET', keysOf(account.accountId))).body.data.find((key: Json) => key.id === mine.id) as Json;
    assert.deepEqual([unchanged.expires_at, unchanged.ip_allowlist], [null, null]);

    // Only a real null lifts an allow-list; values a lax validator would coerce to null are refused.
    const allowlist = `${keysOf(account.accountId)}/${mine.id}/ip-allowlist`;
    assert.equal((await call('dashboard', 'PUT', allowlist, { actor_id: 'user_x', ip_allowlist: ['10.0.0.0/8'] })).status, 200);
    for (const value of ['', 0, false, 'nope']) {
      const answer = await call('dashboard', 'PUT', allowlist, { actor_id: 'user_x', ip_allowlist: value });
      assert.equal(answer.status, 400, `${JSON.stringify(value)}: ${answer.text}`);
    }
    const kept = (await call('dashboard', 'GET', keysOf(account.accountId))).body.data.find((key: Json) => key.id === mine.id) as Json;
    assert.deepEqual(kept.ip_allowlist, ['10.0.0.0/8']);
    const lifted = await call('dashboard', 'PUT', allowlist, { actor_id: 'user_x', ip_allowlist: null });
    assert.deepEqual([lifted.status, lifted.body.ip_allowlist], [200, null]);
  });
});
