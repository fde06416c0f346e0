// The Idempotency-Key hooks on a real database (runtime role, so the migration's grants are exercised)
// in an app built like the api's public one, with stand-in routes that count how often they run. The
// platform test (test/api.idempotency.test.ts) proves the same over TLS with real charges.
import { after, before, beforeEach, test } from 'node:test';
import assert from 'node:assert/strict';
import type { FastifyInstance } from 'fastify';
import { auditMigrations, createAudit } from '#lib/audit/index.ts';
import { newId } from '#lib/contracts/index.ts';
import { loadSqlMigrations, sql } from '#lib/db/index.ts';
import { createTestDatabase, type TestDatabase } from '#lib/db/testing.ts';
import { createHttpsApp, httpError } from '#lib/http/index.ts';
import { createTestCa, createTestLogger, staticIdentity, type TestLogger } from '#lib/http/testing.ts';
import type { Identity } from '#lib/tls/index.ts';
import type { ApiDatabase } from '../db.ts';
import { hashIdempotencyKey } from './idempotency.header.ts';
import { registerIdempotency, type IdempotencyOptions } from './idempotency.ts';
import { requestFingerprint } from './idempotency.fingerprint.ts';
import { createIdempotencyStore } from './idempotency.store.ts';

let database: TestDatabase<ApiDatabase>;
let identity: Identity;
let log: TestLogger;
let accounts: [string, string];
const apps: FastifyInstance[] = [];
const runs = new Map<string, number>();

/** Holds the slow route until the test opens it; `reached` tells the test the route has started. */
function newGate() {
  const opened = Promise.withResolvers<void>();
  const reached = Promise.withResolvers<void>();
  return { open: () => opened.resolve(), enter: () => reached.resolve(), opened: opened.promise, reached: reached.promise };
}
let gate = newGate();

const ran = (name: string) => {
  const n = (runs.get(name) ?? 0) + 1;
  runs.set(name, n);
  return n;
};

/** An app like the api's: a stand-in for the secret-key auth (x-account header), then the hooks under test. */
async function build(options: Partial<IdempotencyOptions> = {}): Promise<FastifyInstance> {
  const app = createHttpsApp({ service: 'api', identity, mtls: false, logger: log.logger });
  await app.register(async (scope) => {
    scope.decorateRequest('merchant', null);
    scope.addHook('onRequest', async (request) => {
      const account = request.headers['x-account'];
      if (typeof account !== 'string') throw httpError(401, 'authentication_failure', 'authentication failed');
      request.merchant = { accountId: account, livemode: false, keyId: `key_test_of_${account.slice(-6)}` };
    });
    registerIdempotency(scope, { db: database.db, audit: createAudit({ db: database.db, service: 'api' }), ...options });
    scope.post<{ Body: { tag?: string; slow?: boolean } }>('/things', async (request) => {
      if (request.body?.slow) {
        gate.enter();
        await gate.opened;
      }
      const n = ran(`things:${request.body?.tag ?? ''}`);
      return { object: 'thing', id: `thng_test_${n}`, tag: request.body?.tag ?? null, n };
    });
    scope.patch<{ Params: { id: string } }>('/things/:id', async (request) => ({ object: 'thing', id: request.params.id, n: ran('patch') }));
    scope.get('/things', async () => ({ object: 'list', n: ran('list') }));
    scope.post('/flaky', async () => {
      if (ran('flaky') === 1) throw httpError(503, 'service_unavailable', 'the card vault could not be reached');
      return { object: 'thing', id: 'thng_test_flaky' };
    });
    scope.post('/money', { config: { keepServerErrors: true } }, async () => {
      if (ran('money') === 1) throw httpError(503, 'service_unavailable', 'the card vault did not answer');
      return { object: 'charge', id: 'chrg_test_money' };
    });
    scope.post('/refused', async () => {
      ran('refused');
      throw httpError(400, 'invalid_amount', 'amount must be at least 2000');
    });
    scope.post('/secret', { config: { secretResponse: true } }, async () => ({ object: 'key', id: 'key_test_1', secret: `skey_test_${ran('secret')}` }));
  });
  await app.ready();
  apps.push(app);
  return app;
}

function send(app: FastifyInstance, path: string, init: { key?: string; body?: object; method?: 'POST' | 'PATCH' | 'GET'; account?: string } = {}) {
  return app.inject({
    method: init.method ?? 'POST', url: path,
    headers: { 'x-account': init.account ?? accounts[0], ...(init.key ? { 'idempotency-key': init.key } : {}), ...(init.body ? { 'content-type': 'application/json' } : {}) },
    ...(init.body ? { payload: JSON.stringify(init.body) } : {}),
  });
}

const replayAudits = async () => (await sql<{ actor: string; targets: Array<{ type: string; id: string }>; first: string; status: number }>`
  SELECT entry -> 'actor' ->> 'id' AS actor, entry -> 'targets' AS targets, entry -> 'metadata' ->> 'first_request_id' AS first,
         (entry -> 'metadata' ->> 'status')::int AS status
  FROM audit_outbox WHERE entry ->> 'action' = 'idempotency.replay' ORDER BY id`.execute(database.ownerDb)).rows;

before(async () => {
  database = await createTestDatabase<ApiDatabase>([await auditMigrations(), await loadSqlMigrations('api', new URL('../migrations/', import.meta.url))]);
  identity = await staticIdentity(await createTestCa(), 'api');
  log = createTestLogger('api');
  const ids = [newId('account'), newId('account')] as [string, string];
  for (const id of ids) await database.db.insertInto('accounts').values({ id, email: 'm@example.com', name: 'M' }).execute();
  accounts = ids;
});
after(async () => {
  for (const app of apps) await app.close();
  await database?.close();
  log?.cleanup();
});
beforeEach(async () => {
  runs.clear();
  gate = newGate();
  await database.ownerDb.deleteFrom('idempotency_keys').execute();
  await database.ownerDb.deleteFrom('audit_outbox' as never).execute();
});

test('10 concurrent identical requests with one key: the route runs once, all 10 get the same answer', async () => {
  const app = await build();
  const answers = Promise.all(Array.from({ length: 10 }, () => send(app, '/things', { key: 'order-1', body: { tag: 'a', slow: true } })));
  // Let the duplicates find the claimed key and start waiting before the first finishes.
  await gate.reached;
  await new Promise((resolve) => setTimeout(resolve, 300));
  gate.open();
  const responses = await answers;
  assert.equal(runs.get('things:a'), 1);
  assert.deepEqual(new Set(responses.map((r) => `${r.statusCode} ${r.body}`)).size, 1);
  assert.equal(responses[0]?.statusCode, 200);
  assert.equal(responses.filter((r) => r.headers['idempotent-replayed'] === 'true').length, 9);
  const first = responses.find((r) => r.headers['idempotent-replayed'] === undefined);
  const audits = await replayAudits();
  assert.equal(audits.length, 9, 'each replay audited as a replay');
  for (const entry of audits) {
    assert.equal(entry.actor, `key_test_of_${accounts[0].slice(-6)}`);
    assert.deepEqual(entry.targets[1], { type: 'thing', id: 'thng_test_1' });
    assert.equal(entry.first, first?.headers['x-request-id']);
  }
});

test('a retry after completion replays status and body byte for byte; a new key runs again', async () => {
  const app = await build();
  const first = await send(app, '/things', { key: 'k1', body: { tag: 'b' } });
  const again = await send(app, '/things', { key: 'k1', body: { tag: 'b' } });
  assert.equal(again.body, first.body);
  assert.equal(again.statusCode, 200);
  assert.equal(again.headers['idempotent-replayed'], 'true');
  assert.notEqual(again.headers['x-request-id'], first.headers['x-request-id'], 'each request keeps its own id');
  const other = await send(app, '/things', { key: 'k2', body: { tag: 'b' } });
  assert.equal(JSON.parse(other.body).n, 2);
  const unkeyed = [await send(app, '/things', { body: { tag: 'b' } }), await send(app, '/things', { body: { tag: 'b' } })];
  assert.deepEqual(unkeyed.map((r) => JSON.parse(r.body).n), [3, 4], 'no key, no deduplication');
});

test('the same key for another body, path or method is refused with 400 and the first answer stands', async () => {
  const app = await build();
  await send(app, '/things', { key: 'k', body: { tag: 'c' } });
  for (const [path, init] of [['/things', { body: { tag: 'd' } }], ['/flaky', {}], ['/things/thng_1', { method: 'PATCH' as const, body: { tag: 'c' } }]] as const) {
    const refused = await send(app, path, { key: 'k', ...init });
    assert.equal(refused.statusCode, 400, path);
    assert.deepEqual(JSON.parse(refused.body).code, 'bad_request');
    assert.match(JSON.parse(refused.body).message, /already used for a different request/);
  }
  assert.equal(runs.get('things:d'), undefined);
  assert.equal(runs.get('flaky'), undefined);
  const replay = await send(app, '/things', { key: 'k', body: { tag: 'c' } });
  assert.equal(replay.headers['idempotent-replayed'], 'true');
});

test('a 5xx frees the key (the merchant retries with it); a 4xx is kept and replayed', async () => {
  const app = await build();
  const down = await send(app, '/flaky', { key: 'f' });
  assert.equal(down.statusCode, 503);
  const retried = await send(app, '/flaky', { key: 'f' });
  assert.deepEqual([retried.statusCode, retried.headers['idempotent-replayed']], [200, undefined]);
  assert.equal(runs.get('flaky'), 2);
  const refused = await send(app, '/refused', { key: 'r' });
  const replayed = await send(app, '/refused', { key: 'r' });
  assert.deepEqual([refused.statusCode, replayed.statusCode, replayed.headers['idempotent-replayed']], [400, 400, 'true']);
  assert.equal(replayed.body, refused.body);
  assert.equal(runs.get('refused'), 1);
});

test('on a money-moving route a 5xx is kept: a retry under the key replays it and never runs the route again', async () => {
  const app = await build();
  const down = await send(app, '/money', { key: 'm' });
  const retried = await send(app, '/money', { key: 'm' });
  assert.deepEqual([down.statusCode, retried.statusCode, retried.headers['idempotent-replayed']], [503, 503, 'true']);
  assert.equal(retried.body, down.body);
  assert.equal(runs.get('money'), 1, 'the vault may have authorized: a second run could charge twice');
  const fresh = await send(app, '/money', { key: 'm2' });
  assert.equal(fresh.statusCode, 200, 'a new key runs the route');
});

test('keys are scoped per account; GET ignores them; PATCH honours them', async () => {
  const app = await build();
  const mine = await send(app, '/things', { key: 'shared', body: { tag: 'e' } });
  const theirs = await send(app, '/things', { key: 'shared', body: { tag: 'e' }, account: accounts[1] });
  assert.deepEqual([JSON.parse(mine.body).n, JSON.parse(theirs.body).n], [1, 2]);
  assert.equal(theirs.headers['idempotent-replayed'], undefined);
  await send(app, '/things', { key: 'g', method: 'GET' });
  await send(app, '/things', { key: 'g', method: 'GET' });
  assert.equal(runs.get('list'), 2);
  await send(app, '/things/thng_1', { key: 'p', method: 'PATCH', body: {} });
  const patched = await send(app, '/things/thng_1', { key: 'p', method: 'PATCH', body: {} });
  assert.deepEqual([runs.get('patch'), patched.headers['idempotent-replayed']], [1, 'true'], `second PATCH: ${patched.statusCode} ${patched.body}`);
});

test('a duplicate that waits too long gets 409 with Retry-After; a claim that never finished is reported, not waited for', async () => {
  const app = await build({ waitMs: 200 });
  const slow = send(app, '/things', { key: 'w', body: { tag: 'w', slow: true } });
  await gate.reached;
  const waiting = await send(app, '/things', { key: 'w', body: { tag: 'w', slow: true } });
  assert.deepEqual([waiting.statusCode, JSON.parse(waiting.body).code, waiting.headers['retry-after']], [409, 'conflict', '1']);
  gate.open();
  assert.equal((await slow).statusCode, 200);
  assert.equal((await send(app, '/things', { key: 'w', body: { tag: 'w', slow: true } })).headers['idempotent-replayed'], 'true');


  // A claim whose process died (still `running` an hour later): answered at once, never waited for 30 s.
  const patient = await build();
  await database.db.insertInto('idempotency_keys').values({
    account_id: accounts[0], livemode: false, key_hash: hashIdempotencyKey('crashed'), api_key_id: 'key_test_x', method: 'POST', path: '/things',
    fingerprint: requestFingerprint({ method: 'POST', path: '/things', query: {}, body: { tag: 'x' } }), request_id: 'req_x',
    status: null, body: null, created_at: new Date(Date.now() - 3_600_000), expires_at: new Date(Date.now() + 3_600_000),
  }).execute();
  const started = Date.now();
  const orphan = await send(patient, '/things', { key: 'crashed', body: { tag: 'x' } });
  assert.deepEqual([orphan.statusCode, JSON.parse(orphan.body).code], [409, 'conflict']);
  assert.match(JSON.parse(orphan.body).message, /never finished/);
  assert.ok(Date.now() - started < 2000);
  assert.equal(runs.get('things:x'), undefined);
});

test('keys expire after the TTL: then the key runs afresh, and the purge removes old rows', async () => {
  let offsetMs = 0;
  const app = await build({ ttlMs: 60_000, now: () => new Date(Date.now() + offsetMs), purgeEveryMs: 3_600_000 });
  await send(app, '/things', { key: 'old', body: { tag: 'x' } });
  await send(app, '/things', { key: 'gone', body: { tag: 'y' } });
  offsetMs = 61_000;
  const fresh = await send(app, '/things', { key: 'old', body: { tag: 'x' } });
  assert.deepEqual([fresh.headers['idempotent-replayed'], JSON.parse(fresh.body).n], [undefined, 2]);
  const rows = await database.db.selectFrom('idempotency_keys').select(['key_hash', 'state', 'status']).execute();
  assert.equal(rows.length, 2, 'taken over in place');
  assert.equal(await createIdempotencyStore(database.db, { ttlMs: 60_000 }).purgeExpired(new Date(Date.now() + offsetMs)), 1);
  assert.deepEqual((await database.db.selectFrom('idempotency_keys').select('key_hash').execute()).map((r) => r.key_hash), [hashIdempotencyKey('old')]);
});

test('no key in clear and no secret in the table: an answer holding a secret is never kept, its replay is a 409', async () => {
  const app = await build();
  const created = await send(app, '/secret', { key: 'order-secret-1' });
  assert.match(JSON.parse(created.body).secret, /^skey_test_1$/);
  const replay = await send(app, '/secret', { key: 'order-secret-1' });
  assert.deepEqual([replay.statusCode, JSON.parse(replay.body).code], [409, 'conflict']);
  assert.equal(runs.get('secret'), 1, 'performed once all the same');
  const dump = JSON.stringify(await database.ownerDb.selectFrom('idempotency_keys').selectAll().execute());
  assert.ok(!dump.includes('order-secret-1'), 'the key is stored as its hash');
  assert.ok(!dump.includes('skey_test'), 'the secret is not stored');
});

test('a malformed key is a 400 and runs nothing', async () => {
  const app = await build();
  const refused = await send(app, '/things', { key: 'x'.repeat(256), body: { tag: 'm' } });
  assert.deepEqual([refused.statusCode, JSON.parse(refused.body).code], [400, 'bad_request']);
  assert.equal(runs.get('things:m'), undefined);
});
