// Idempotency keys, rate limits and request ids on the real platform (`strongroom start`: kms, vault,
// api over TLS and mTLS). The official omise client cannot send custom headers (docs/omise-compat.md
// §11), so keyed requests go over plain HTTPS with the platform's CA; tokens and customers come from the
// official client. Small limits are configured for the 429s (STRONGROOM_API_RATE_LIMIT, …).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createAudit } from '#lib/audit/index.ts';
import { openDatabase, sql, type Kysely } from '#lib/db/index.ts';
import { routeOmiseClientTo } from '../services/vault/testing.ts';
import { createAccountService } from '../services/api/accounts/accounts.service.ts';
import { createAccountStore } from '../services/api/accounts/accounts.store.ts';
import type { ApiDatabase } from '../services/api/db.ts';
import { httpsJson, startPlatform, type RunningPlatform } from './platform-harness.ts';

type Obj = Record<string, any>;
type Client = { tokens: { create(data: object): Promise<Obj> }; customers: { create(data: object): Promise<Obj> } };
const omise = createRequire(import.meta.url)('omise') as (config: { publicKey?: string; secretKey?: string; host: string; vaultHost: string }) => Client;

const PER_KEY_LIMIT = 100;
const AUTH_FAILURE_LIMIT = 5;
const REQUEST_ID = /^req_[A-Za-z0-9_-]{16}$/;

describe('idempotency keys, rate limits and request ids on the api host', () => {
  let platform: RunningPlatform;
  let restore: (() => void) | undefined;
  let client: Client;
  let demo: { accountId: string; publicKey: string; secretKey: string };
  let apiDb: Kysely<ApiDatabase>;
  let vaultDb: Kysely<any>;

  const token = () => client.tokens.create({ card: { name: 'Somchai Prasert', number: '4242424242424242', expiration_month: 12, expiration_year: 2040, security_code: '123' } });
  const api = (path: string, init: { method?: string; body?: unknown; auth?: string; headers?: Record<string, string> } = {}) =>
    httpsJson(platform, platform.ports.api, path, { auth: demo.secretKey, ...init });
  const chargesTotal = async () => (await api('/charges')).body.total as number;
  const chargeRows = async () => Number((await apiDb.selectFrom('charges').select((eb) => eb.fn.countAll().as('n')).where('account_id', '=', demo.accountId).executeTakeFirstOrThrow()).n);
  const authorizations = async () => Number((await sql<{ n: string }>`SELECT count(*) AS n FROM vault_authorizations WHERE account_id = ${demo.accountId}`.execute(vaultDb)).rows[0]?.n);
  const auditActions = async (action: string, target: string) => Number((await sql<{ n: string }>`
    SELECT count(*) AS n FROM (SELECT entry FROM audit_outbox UNION ALL SELECT entry FROM audit_log) AS entries
    WHERE entry ->> 'action' = ${action} AND entry -> 'targets' @> ${JSON.stringify([{ id: target }])}::jsonb`.execute(apiDb)).rows[0]?.n);

  before(async () => {
    platform = await startPlatform({ STRONGROOM_API_RATE_LIMIT: String(PER_KEY_LIMIT), STRONGROOM_API_AUTH_FAILURE_LIMIT: String(AUTH_FAILURE_LIMIT) });
    demo = JSON.parse(await readFile(join(platform.dataDir, 'demo.json'), 'utf8'));
    restore = routeOmiseClientTo({ localhost: platform.ports.vault, '127.0.0.1': platform.ports.api }, platform.caPem);
    client = omise({ publicKey: demo.publicKey, secretKey: demo.secretKey, host: '127.0.0.1', vaultHost: 'localhost' });
    const configOf = async (service: string) => JSON.parse(await readFile(join(platform.dataDir, 'services', service, 'config.json'), 'utf8')) as { databaseUrl: string };
    apiDb = openDatabase<ApiDatabase>((await configOf('api')).databaseUrl, { max: 2 });
    vaultDb = openDatabase<any>((await configOf('vault')).databaseUrl, { max: 1 });
    // The api pushes public-key hashes to the vault asynchronously: wait until the vault knows the demo key.
    const deadline = Date.now() + 30_000;
    for (;;) {
      try {
        await token();
        break;
      } catch (error) {
        if (Date.now() > deadline) throw new Error(`the vault never accepted the demo public key: ${JSON.stringify(error)}`);
        await new Promise((resolve) => setTimeout(resolve, 250));
      }
    }
  });
  after(async () => {
    restore?.();
    await apiDb?.destroy();
    await vaultDb?.destroy();
    await platform?.stop();
  });

  test('10 parallel identical POST /charges with one Idempotency-Key: one charge, one authorization, 10 identical answers', async () => {
    // A saved card can be charged again and again: without the key, 10 requests would be 10 charges.
    const customer = await client.customers.create({ email: 'buyer@shop.test', card: (await token()).id });
    const before = { total: await chargesTotal(), rows: await chargeRows(), authorizations: await authorizations() };
    const body = { amount: 250000, currency: 'thb', customer: customer.id, description: 'order I-1', metadata: { order: 'I-1' } };
    const answers = await Promise.all(Array.from({ length: 10 }, () =>
      api('/charges', { method: 'POST', body, headers: { 'idempotency-key': 'order-I-1' } })));

    assert.deepEqual(answers.map((a) => a.status), Array(10).fill(200));
    for (const answer of answers) assert.deepEqual(answer.body, answers[0]?.body);
    const charge = answers[0]?.body as Obj;
    assert.deepEqual([charge.object, charge.status, charge.amount, charge.customer], ['charge', 'successful', 250000, customer.id]);
    assert.equal(answers.filter((a) => a.headers['idempotent-replayed'] === 'true').length, 9);
    assert.equal(new Set(answers.map((a) => a.headers['x-request-id'])).size, 10, 'every answer has its own request id');

    assert.equal(await chargesTotal(), before.total + 1, 'GET /charges: one more charge');
    assert.equal(await chargeRows(), before.rows + 1, 'one charge row, whatever its state');
    assert.equal(await authorizations(), before.authorizations + 1, 'the vault authorized once');
    assert.equal(await auditActions('charge.create', charge.id), 1, 'audited once as a charge');
    assert.equal(await auditActions('idempotency.replay', charge.id), 9, 'and 9 times as a replay');
  });

  test('a replay after completion returns the same charge; the same key with another body is a 400; the Omise- header works too', async () => {
    const body = { amount: 120000, currency: 'thb', card: (await token()).id };
    const first = await api('/charges', { method: 'POST', body, headers: { 'omise-idempotency-key': 'order-I-2' } });
    assert.equal(first.status, 200);
    const replay = await api('/charges', { method: 'POST', body, headers: { 'idempotency-key': 'order-I-2' } });
    assert.deepEqual([replay.status, replay.body.id, replay.headers['idempotent-replayed']], [200, first.body.id, 'true']);
    assert.deepEqual(replay.body, first.body);

    const other = await api('/charges', { method: 'POST', body: { ...body, amount: 120001 }, headers: { 'idempotency-key': 'order-I-2' } });
    assert.equal(other.status, 400);
    assert.deepEqual([other.body.object, other.body.code], ['error', 'bad_request']);
    assert.match(other.body.message, /Idempotency-Key was already used for a different request/);
    assert.match(String(other.headers['x-request-id']), REQUEST_ID);

    const malformed = await api('/charges', { method: 'POST', body, headers: { 'idempotency-key': 'k'.repeat(256) } });
    assert.deepEqual([malformed.status, malformed.body.code], [400, 'bad_request']);
  });

  test('a charge refused for bad input is kept under its key and replayed as the same 400', async () => {
    const before = await chargeRows();
    const body = { amount: 1, currency: 'thb', card: (await token()).id };
    const first = await api('/charges', { method: 'POST', body, headers: { 'idempotency-key': 'order-I-3' } });
    const again = await api('/charges', { method: 'POST', body, headers: { 'idempotency-key': 'order-I-3' } });
    assert.equal(first.status, 400);
    assert.deepEqual([again.status, again.body, again.headers['idempotent-replayed']], [first.status, first.body, 'true']);
    assert.equal(await chargeRows(), before);
  });

  test('the request id is in a response header on 200, 400, 401, 404 and malformed URLs', async () => {
    const cases = [
      { status: 200, answer: await api('/account') },
      { status: 400, answer: await api('/charges', { method: 'POST', body: { amount: 'lots', currency: 'thb' } }) },
      { status: 401, answer: await api('/account', { auth: 'skey_test_notarealkey000000000000000' }) },
      { status: 404, answer: await api('/charges/chrg_test_0000000000000000000') },
      { status: 404, answer: await api('/no/such/route') },
      { status: 400, answer: await api('/charges/%zz') },
    ];
    for (const { status, answer } of cases) {
      assert.equal(answer.status, status);
      assert.match(String(answer.headers['x-request-id']), REQUEST_ID, `request id on ${status}`);
      if (status >= 400) assert.equal(answer.body.object, 'error', `Omise error object on ${status}`);
    }
  });

  test(`per key: past ${PER_KEY_LIMIT} requests a minute, 429 too_many_requests with Retry-After; other keys unaffected`, async () => {
    const accounts = createAccountService({ db: apiDb, store: createAccountStore(apiDb), audit: createAudit({ db: apiDb, service: 'api' }) });
    const busy = await accounts.createAccount({ email: 'busy@merchant.test', name: 'Busy merchant' }, { type: 'system', id: 'api-idempotency-test' });
    const started = Date.now();
    // 10 clients on kept-alive connections, 16 requests each: a burst, without 160 TLS handshakes.
    const answers = (await Promise.all(Array.from({ length: 10 }, async () => {
      const mine = [];
      for (let i = 0; i < (PER_KEY_LIMIT + 60) / 10; i++) mine.push(await api('/account', { auth: busy.secretKey }));
      return mine;
    }))).flat();
    // The bucket refills continuously (PER_KEY_LIMIT a minute): what refilled during the burst may pass too.
    const refilled = Math.ceil(((Date.now() - started) / 60_000) * PER_KEY_LIMIT);
    const ok = answers.filter((a) => a.status === 200).length;
    const limited = answers.filter((a) => a.status === 429);
    assert.ok(ok >= PER_KEY_LIMIT && ok <= PER_KEY_LIMIT + refilled, `${ok} allowed: the limit, plus at most ${refilled} refilled meanwhile`);
    assert.ok(limited.length > 0);
    assert.equal(ok + limited.length, answers.length, 'nothing but 200 and 429');
    for (const answer of limited) {
      assert.ok(Number(answer.headers['retry-after']) >= 1, 'Retry-After in seconds');
      assert.deepEqual([answer.body.object, answer.body.code], ['error', 'too_many_requests']);
      assert.match(String(answer.headers['x-request-id']), REQUEST_ID, 'request id on 429');
    }
    assert.equal((await api('/account')).status, 200, 'the demo key has its own budget');
  });

  test(`failed authentications: past ${AUTH_FAILURE_LIMIT} a minute from one address, 429 before any key is checked`, async () => {
    const statuses: number[] = [];
    for (let i = 0; i < AUTH_FAILURE_LIMIT + 1 && !statuses.includes(429); i++) {
      statuses.push((await api('/account', { auth: `skey_test_guess${String(i).padStart(24, '0')}` })).status);
    }
    assert.equal(statuses.at(-1), 429, `refused after at most ${AUTH_FAILURE_LIMIT} failures: ${statuses.join(' ')}`);
    assert.ok(statuses.slice(0, -1).every((status) => status === 401));
    const blocked = await api('/account');
    assert.equal(blocked.status, 429, 'a right key gets the same answer as a wrong one from this address now');
    assert.ok(Number(blocked.headers['retry-after']) >= 1);
    assert.deepEqual([blocked.body.code, blocked.body.object], ['too_many_requests', 'error']);
    assert.match(String(blocked.headers['x-request-id']), REQUEST_ID);
    assert.equal((await httpsJson(platform, platform.ports.api, '/healthz')).status, 200, 'health checks are not limited');
  });
});
