// The dashboard's payments interface on an internal (mTLS) app, as server.ts mounts it, over real
// mTLS on a real database with the api's own charge, refund and customer services: the dashboard
// reads one account's charges, refunds and customers and refunds; another account's ids answer 404;
// bad input is a 400 in the api's error shape; any other caller is refused (403, audited). A refund is
// audited at the api with the dashboard user as actor and `caller: dashboard` in its metadata.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { auditMigrations, createAudit } from '#lib/audit/index.ts';
import { loadSqlMigrations, sql } from '#lib/db/index.ts';
import { createTestDatabase, type TestDatabase } from '#lib/db/testing.ts';
import type { ApiDatabase } from '../db.ts';
import { startInternalApi, type InternalApi } from '../internal-api.testing.ts';
import type { Merchant } from '../auth/secret-key.auth.ts';
import { dashboardPaymentsRoutes } from './dashboard-payments.routes.ts';
import { createPaymentsFixture } from './dashboard-payments.testing.ts';

type Json = Record<string, any>;
const USER = 'user_5x1753iuub61dfe41qa';

describe('dashboard payments interface (internal mTLS listener)', () => {
  let database: TestDatabase<ApiDatabase>;
  let internal: InternalApi;
  let audit: ReturnType<typeof createAudit>;
  let fixture: ReturnType<typeof createPaymentsFixture>;
  let mine: Merchant;
  let theirs: Merchant;
  const charges: Json[] = [];
  let theirCharge: Json;
  let myCustomer: Json;
  let theirCustomer: Json;

  before(async () => {
    database = await createTestDatabase<ApiDatabase>([await auditMigrations(), await loadSqlMigrations('api', new URL('../migrations/', import.meta.url))]);
    audit = createAudit({ db: database.db, service: 'api' });
    fixture = createPaymentsFixture(database.db, audit);
    mine = await fixture.merchant();
    theirs = await fixture.merchant();
    for (const amount of [100_000, 200_000, 300_000]) charges.push(await fixture.charge(mine, { amount, description: `order ${amount}` }));
    theirCharge = await fixture.charge(theirs, { amount: 50_000 });
    myCustomer = await fixture.customer(mine, { email: 'payer@example.test', card: 'tokn_test_0000000000000000001' });
    theirCustomer = await fixture.customer(theirs, { email: 'theirs@example.test' });
    internal = await startInternalApi({ audit, callers: ['dashboard', 'operator', 'vault'], register: (app) => app.register(dashboardPaymentsRoutes, fixture) });
  });

  after(async () => {
    await internal?.close();
    await database?.close();
  });

  const call = async (method: 'GET' | 'POST', path: string, body?: unknown, caller = 'dashboard') => {
    const answer = await internal.clients[caller]!.request(method, path, body);
    return { status: answer.status, body: answer.body as Json };
  };
  const of = (merchant: Merchant, path: string) => `/internal/v1/accounts/${merchant.accountId}${path}`;
  const entries = async () => {
    await audit.chainNow();
    return (await sql<{ entry: Json }>`SELECT entry FROM audit_log ORDER BY stream, seq`.execute(database.db)).rows.map((r) => r.entry);
  };

  test('lists the account\'s charges in test mode, with the Omise list parameters passed on; never another account\'s', async () => {
    const all = await call('GET', of(mine, '/charges?order=reverse_chronological'));
    assert.equal(all.status, 200);
    assert.deepEqual([all.body.object, all.body.total, all.body.order], ['list', 3, 'reverse_chronological']);
    assert.deepEqual(all.body.data.map((c: Json) => c.id), charges.map((c) => c.id).reverse());
    assert.ok(!JSON.stringify(all.body).includes(theirCharge.id));
    const page = await call('GET', of(mine, '/charges?limit=1&offset=1'));
    assert.deepEqual([page.body.limit, page.body.offset, page.body.data.map((c: Json) => c.id)], [1, 1, [charges[1]!.id]]);
    const before2000 = await call('GET', of(mine, '/charges?to=2000-01-01T00:00:00Z'));
    assert.deepEqual([before2000.status, before2000.body.total], [200, 0]);
    const live = await call('GET', of(mine, '/charges?livemode=true'));
    assert.deepEqual([live.status, live.body.total], [200, 0]);
  });

  test('a charge, its refunds, the customers: the account\'s own only; another account\'s ids and other modes are 404', async () => {
    const charge = await call('GET', of(mine, `/charges/${charges[0]!.id}`));
    assert.deepEqual([charge.status, charge.body.object, charge.body.amount, charge.body.card.last_digits], [200, 'charge', 100_000, '4242']);
    assert.equal((await call('GET', of(mine, `/charges/${theirCharge.id}`))).status, 404);
    assert.equal((await call('GET', of(mine, `/charges/${charges[0]!.id}?livemode=true`))).status, 404);
    assert.equal((await call('GET', of(mine, `/charges/${theirCharge.id}/refunds`))).status, 404);
    const refunds = await call('GET', of(mine, `/charges/${charges[0]!.id}/refunds`));
    assert.deepEqual([refunds.status, refunds.body.object, refunds.body.total], [200, 'list', 0]);

    const customers = await call('GET', of(mine, '/customers'));
    assert.deepEqual([customers.status, customers.body.data.map((c: Json) => c.id)], [200, [myCustomer.id]]);
    assert.equal(customers.body.data[0].cards.data[0].last_digits, '4242');
    const customer = await call('GET', of(mine, `/customers/${myCustomer.id}`));
    assert.deepEqual([customer.status, customer.body.email], [200, 'payer@example.test']);
    const other = await call('GET', of(mine, `/customers/${theirCustomer.id}`));
    assert.deepEqual([other.status, other.body.object, other.body.code], [404, 'error', 'not_found']);
  });

  test('an unknown account is a 404; malformed ids and parameters are 400s in the error shape', async () => {
    const unknown = { ...mine, accountId: 'acct_test_0000000000000000000' };
    for (const path of ['/charges', `/charges/${charges[0]!.id}`, '/customers']) {
      const answer = await call('GET', of(unknown, path));
      assert.deepEqual([answer.status, answer.body.code], [404, 'not_found'], path);
    }
    const refund = await call('POST', of(unknown, `/charges/${charges[0]!.id}/refunds`), { actor_id: USER, amount: 100, livemode: false });
    assert.equal(refund.status, 404);
    const bad = [
      '/charges?limit=abc', '/charges?order=sideways', '/charges?from=yesterday', '/charges?offset=-1', '/charges?colour=red',
      '/charges?livemode=yes', '/charges/chrg_nope', '/charges/chrg_nope/refunds', '/customers/cust_nope', '/customers?limit=1&limit=2',
    ];
    for (const path of bad) {
      const answer = await call('GET', of(mine, path));
      assert.equal(answer.status, 400, path);
      assert.equal(answer.body.object, 'error', path);
    }
    assert.equal((await call('GET', '/internal/v1/accounts/not-an-account/charges')).status, 400);
    for (const body of [{ actor_id: USER, amount: 0, livemode: false }, { actor_id: USER, amount: 1.5, livemode: false }, { actor_id: 'someone', amount: 100, livemode: false },
      { amount: 100, livemode: false }, { actor_id: USER, amount: 100 }, { actor_id: USER, amount: 100, livemode: false, metadata: {} }]) {
      const answer = await call('POST', of(mine, `/charges/${charges[0]!.id}/refunds`), body);
      assert.deepEqual([answer.status, answer.body.object], [400, 'error'], JSON.stringify(body));
    }
    const withQuery = await call('POST', of(mine, `/charges/${charges[0]!.id}/refunds?livemode=true`), { actor_id: USER, amount: 100, livemode: false });
    assert.equal(withQuery.status, 400);
    assert.equal((await call('GET', of(mine, `/charges/${charges[0]!.id}/refunds`))).body.total, 0, 'no refund came of any of it');
  });

  test('a refund: made, listed, audited with the dashboard user as actor; more than is left and another account\'s charge change nothing', async () => {
    const target = charges[1]!;
    const badOrigin = await call('POST', of(mine, `/charges/${target.id}/refunds`), { actor_id: USER, amount: 50_000, livemode: false, actor_ip: 'not an address' });
    assert.deepEqual([badOrigin.status, badOrigin.body.code], [400, 'bad_request']);
    const made = await call('POST', of(mine, `/charges/${target.id}/refunds`),
      { actor_id: USER, amount: 50_000, livemode: false, actor_ip: '203.0.113.9', actor_user_agent: 'Mozilla/5.0 (the user)' });
    assert.equal(made.status, 200, JSON.stringify(made.body));
    assert.deepEqual([made.body.object, made.body.amount, made.body.charge, made.body.currency], ['refund', 50_000, target.id, 'THB']);
    const charge = await call('GET', of(mine, `/charges/${target.id}`));
    assert.equal(charge.body.refunded_amount, 50_000);
    const listed = await call('GET', of(mine, `/charges/${target.id}/refunds`));
    assert.deepEqual(listed.body.data.map((r: Json) => r.id), [made.body.id]);

    const refunded = (await entries()).filter((e) => e.targets.some((t: Json) => t.id === made.body.id));
    assert.deepEqual(refunded.map((e) => e.action), ['refund.request', 'refund.create']);
    for (const entry of refunded) {
      assert.deepEqual([entry.actor.type, entry.actor.id], ['user', USER]);
      assert.deepEqual([entry.tenant, entry.outcome.result, entry.metadata.caller, entry.metadata.livemode], [mine.accountId, 'success', 'dashboard', false]);
      assert.deepEqual([entry.origin.ip, entry.origin.userAgent], ['203.0.113.9', 'Mozilla/5.0 (the user)'], 'the user\'s browser, not the dashboard host');
    }

    const over = await call('POST', of(mine, `/charges/${target.id}/refunds`), { actor_id: USER, amount: 150_001, livemode: false });
    assert.deepEqual([over.status, over.body.code], [400, 'failed_refund']);
    assert.match(over.body.message, /150000 left to refund/);
    const foreign = await call('POST', of(mine, `/charges/${theirCharge.id}/refunds`), { actor_id: USER, amount: 100, livemode: false });
    assert.deepEqual([foreign.status, foreign.body.code], [404, 'not_found']);
    const rows = await database.db.selectFrom('refunds').select(['charge_id', 'amount']).execute();
    assert.deepEqual(rows, [{ charge_id: target.id, amount: 50_000 }], 'only the one refund exists');
    assert.equal((await call('GET', of(theirs, `/charges/${theirCharge.id}`))).body.refunded_amount, 0);
  });

  test('refunds at the same moment are decided one after the other: never more than was captured', async () => {
    const target = charges[0]!; // 100,000 captured
    const answers = await Promise.all(Array.from({ length: 6 }, () =>
      call('POST', of(mine, `/charges/${target.id}/refunds`), { actor_id: USER, amount: 60_000, livemode: false })));
    assert.deepEqual(answers.map((a) => a.status).sort(), [200, 400, 400, 400, 400, 400], JSON.stringify(answers.map((a) => a.body.message)));
    const rows = await database.db.selectFrom('refunds').select('amount').where('charge_id', '=', target.id).execute();
    assert.deepEqual(rows.map((r) => r.amount), [60_000]);
    assert.equal((await call('GET', of(mine, `/charges/${target.id}`))).body.refunded_amount, 60_000);
  });

  test('a key\'s own charges are still audited with the key as actor and no caller', async () => {
    const created = (await entries()).filter((e) => e.action === 'charge.create' && e.tenant === mine.accountId);
    assert.equal(created.length, 3);
    assert.ok(created.every((e) => e.actor.type === 'api_key' && e.actor.id === mine.keyId && !('caller' in e.metadata)));
  });

  test('only the dashboard may call; operators and the vault get 403 on every route, each refusal audited', async () => {
    const routes: Array<['GET' | 'POST', string]> = [
      ['GET', '/charges'], ['GET', `/charges/${charges[2]!.id}`], ['GET', `/charges/${charges[2]!.id}/refunds`],
      ['POST', `/charges/${charges[2]!.id}/refunds`], ['GET', '/customers'], ['GET', `/customers/${myCustomer.id}`],
    ];
    for (const caller of ['operator', 'vault']) {
      for (const [method, path] of routes) {
        const answer = await call(method, of(mine, path), method === 'POST' ? { actor_id: USER, amount: 100, livemode: false } : undefined, caller);
        assert.deepEqual([answer.status, answer.body.code], [403, 'forbidden'], `${caller} ${method} ${path}`);
      }
    }
    assert.equal((await call('GET', of(mine, `/charges/${charges[2]!.id}`))).body.refunded_amount, 0, 'nothing was refunded');
    // Refusals are audited off the request path: wait for all twelve.
    let denied: Json[] = [];
    for (let i = 0; i < 50 && denied.length < 12; i++) {
      if (i > 0) await new Promise((resolve) => setTimeout(resolve, 100));
      denied = (await entries()).filter((e) => e.action === 'access.denied');
    }
    assert.equal(denied.length, 12);
    assert.deepEqual(new Set(denied.map((e) => `${e.actor.id} ${e.targets[0].id}`)), new Set(['operator', 'vault'].flatMap((caller) => routes.map(([method, path]) =>
      `${caller} ${method} /internal/v1/accounts/:accountId${path.replace(/chrg_test_[0-9a-z]{19}/, ':chargeId').replace(/cust_test_[0-9a-z]{19}/, ':customerId')}`))));
  });
});
