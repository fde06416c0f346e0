// The dashboard's payments pages against the REAL api internal routes over mTLS (real api database,
// the api's own charge, refund and customer services; a stand-in vault), in one process: a charge
// made through the api is listed and shown; refunding it on the page needs a fresh step-up (a stale
// one goes to /step-up and changes nothing at the api); the refund is then made at the api, audited
// there with the dashboard user as actor, and shown; over-refunding changes nothing; another
// account's charge answers 404.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { auditMigrations, createAudit } from '#lib/audit/index.ts';
import { loadSqlMigrations, sql } from '#lib/db/index.ts';
import { createTestDatabase, type TestDatabase } from '#lib/db/testing.ts';
import type { ApiDatabase } from '../services/api/db.ts';
import { startInternalApi, type InternalApi } from '../services/api/internal-api.testing.ts';
import type { Merchant } from '../services/api/auth/secret-key.auth.ts';
import { dashboardPaymentsRoutes } from '../services/api/dashboard-payments/dashboard-payments.routes.ts';
import { createPaymentsFixture } from '../services/api/dashboard-payments/dashboard-payments.testing.ts';
import { merchantApisOver } from '../services/dashboard/merchant-pages.ts';
import { startMerchantPages, type MerchantPagesBed } from '../services/dashboard/merchant-pages.testing.ts';
import { requireRecentMfa } from '../services/dashboard/mfa/step-up.ts';

type Json = Record<string, any>;

let apiDb: TestDatabase<ApiDatabase>;
let api: InternalApi;
let apiAudit: ReturnType<typeof createAudit>;
let bed: MerchantPagesBed;
let mine: Merchant;
let theirs: Merchant;
let owner: { userId: string; email: string };
let charge: Json;
let theirCharge: Json;
const clock = { offsetMs: 0 };

before(async () => {
  apiDb = await createTestDatabase<ApiDatabase>([await auditMigrations(), await loadSqlMigrations('api', new URL('../services/api/migrations/', import.meta.url))]);
  apiAudit = createAudit({ db: apiDb.db, service: 'api' });
  const fixture = createPaymentsFixture(apiDb.db, apiAudit);
  mine = await fixture.merchant();
  theirs = await fixture.merchant();
  charge = await fixture.charge(mine, { amount: 125_050, description: 'Teak chair' });
  theirCharge = await fixture.charge(theirs, { amount: 9_900, description: 'Not yours' });
  await fixture.customer(mine, { email: 'payer@example.test', card: 'tokn_test_0000000000000000001' });
  api = await startInternalApi({ audit: apiAudit, callers: ['dashboard'], register: (app) => app.register(dashboardPaymentsRoutes, fixture) });
  bed = await startMerchantPages({ apis: () => merchantApisOver(api.clients.dashboard!), stepUp: requireRecentMfa(10, () => new Date(Date.now() + clock.offsetMs)) });
  owner = await bed.f.user({ accountId: mine.accountId, roles: ['owner'] });
  await bed.f.user({ accountId: theirs.accountId, roles: ['owner'] });
});
after(async () => {
  await bed?.close();
  await api?.close();
  await apiDb?.close();
});

const as = () => ({ userId: owner.userId, accountId: mine.accountId });
const refundPost = (chargeId: string, amount: string) =>
  bed.post(`/payments/charges/${chargeId}/refunds`, as(), { amount }, { referer: `https://localhost:80/payments/charges/${chargeId}` });
const refundRows = () => apiDb.db.selectFrom('refunds').select(['charge_id', 'amount', 'account_id']).orderBy('created_at').execute();

test('a charge made through the api is listed and shown, card masked; its customer is on the customers page', async () => {
  const list = await bed.get('/payments', as());
  assert.equal(list.status, 200, list.body.slice(0, 500));
  const start = list.body.indexOf(`<tr data-charge-id="${charge.id}" data-status="successful">`);
  assert.ok(start >= 0, 'the charge is listed');
  assert.match(list.body.slice(start, list.body.indexOf('</tr>', start)), /THB 1,250\.50[\s\S]*Teak chair/);
  assert.ok(!list.body.includes(theirCharge.id));
  const page = await bed.get(`/payments/charges/${charge.id}`, as());
  assert.equal(page.status, 200);
  assert.match(page.body, /id="charge-card"><span class="card"[^>]*>Visa ···· <span class="last-digits">4242<\/span>, expires 12\/2031/);
  assert.match(page.body, /id="refund-amount"[^>]*value="125050"/);
  const customers = await bed.get('/customers', as());
  assert.match(customers.body, /payer@example\.test[\s\S]*?4242/);
});

test('refunding needs a fresh step-up: a stale one goes to /step-up and nothing changes at the api', async () => {
  clock.offsetMs = 11 * 60_000;
  const stale = await refundPost(charge.id, '25050');
  clock.offsetMs = 0;
  assert.equal(stale.status, 303);
  assert.equal(stale.location, `/step-up?next=${encodeURIComponent(`/payments/charges/${charge.id}`)}`);
  assert.deepEqual(await refundRows(), []);
});

test('after the step-up the refund is made at the api, audited there with the dashboard user as actor, and shown', async () => {
  const made = await refundPost(charge.id, '25050');
  assert.equal(made.status, 303, made.body.slice(0, 500));
  assert.deepEqual(await refundRows(), [{ charge_id: charge.id, amount: 25_050, account_id: mine.accountId }]);
  await apiAudit.chainNow();
  const entries = (await sql<{ entry: Json }>`SELECT entry FROM audit_log WHERE entry->>'action' = 'refund.create'`.execute(apiDb.db)).rows.map((r) => r.entry);
  assert.equal(entries.length, 1);
  assert.deepEqual([entries[0]!.actor.type, entries[0]!.actor.id, entries[0]!.tenant, entries[0]!.metadata.caller], ['user', owner.userId, mine.accountId, 'dashboard']);
  const page = await bed.get(made.location!, as());
  assert.match(page.body, /The refund was made/);
  assert.match(page.body, /id="charge-refunded">THB 250\.50</);
  assert.match(page.body, /id="charge-refundable">THB 1,000\.00</);
  assert.match(page.body, /<tr data-refund-id="rfnd_test_[0-9a-z]{19}">[\s\S]*?THB 250\.50/);
  const [local] = (await bed.f.entries('refund.create')).slice(-1);
  assert.deepEqual([local!.actor.id, local!.outcome.result], [owner.userId, 'success'], 'the dashboard records it too');
});

test('over-refunding shows the error and changes nothing; another account\'s charge answers 404 and is untouched', async () => {
  const over = await refundPost(charge.id, '100001');
  assert.equal(over.status, 400);
  assert.match(over.body, /id="form-errors"[\s\S]*more than the THB 1,000\.00 left to refund/);
  assert.equal((await bed.get(`/payments/charges/${theirCharge.id}`, as())).status, 404);
  assert.equal((await refundPost(theirCharge.id, '100')).status, 404);
  assert.deepEqual((await refundRows()).map((r) => r.amount), [25_050], 'still only the one refund');
  const theirRow = await apiDb.db.selectFrom('charges').select('refunded_amount').where('id', '=', theirCharge.id).executeTakeFirstOrThrow();
  assert.equal(theirRow.refunded_amount, 0);
});
