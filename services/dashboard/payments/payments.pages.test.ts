// The payments and customers pages on a real dashboard database, with a stand-in for the api's
// payments interface (payments.testing.ts): what each permission shows, the refund form behind
// charges.refund and a real step-up (mfa/ `requireRecentMfa` on a test clock), its checks and the
// api's refusals on the page, another account's ids as 404, the CSV and its formula guard, audit.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { requireRecentMfa } from '../mfa/step-up.ts';
import { startMerchantPages, type MerchantPagesBed } from '../merchant-pages.testing.ts';
import { createFakePayments, type FakePayments } from './payments.testing.ts';
import type { Charge } from './payments-api.ts';

let bed: MerchantPagesBed;
let fake: FakePayments;
const clock = { offsetMs: 0 };
let acct: { accountId: string; ownerId: string };
let other: { accountId: string; ownerId: string };
let users: Record<string, string>;
const charges: Charge[] = [];
let theirs: Charge;

before(async () => {
  fake = createFakePayments();
  bed = await startMerchantPages({ apis: () => ({ payments: fake, audit: undefined as never, keys: undefined as never }), stepUp: requireRecentMfa(10, () => new Date(Date.now() + clock.offsetMs)) });
  acct = await bed.f.account();
  other = await bed.f.account();
  users = { owner: acct.ownerId };
  for (const role of ['view_only', 'analyst', 'refund_analyst', 'developer']) users[role] = (await bed.f.user({ accountId: acct.accountId, roles: [role] })).userId;
  const role = await bed.f.team.roles.create(bed.f.actor(acct.ownerId, acct.accountId), { name: 'Charges only', permissions: ['charges.read', 'customers.read'] });
  users.charges_only = (await bed.f.user({ accountId: acct.accountId, roles: [role.id] })).userId;
  for (let i = 1; i <= 24; i++) charges.push(fake.addCharge(acct.accountId, { amount: i * 1000, description: `Order #${i}` }));
  charges.push(fake.addCharge(acct.accountId, { amount: 50_000, status: 'failed', paid: false, refundable: false, authorized: false, authorized_amount: 0, captured_amount: 0, failure_code: 'insufficient_fund', failure_message: 'insufficient funds in the account or the card has reached the credit limit' }));
  fake.addCharge(acct.accountId, { amount: 777_700, livemode: true, description: 'A live one' });
  theirs = fake.addCharge(other.accountId, { amount: 99_900, description: 'Not yours' });
});
after(async () => bed?.close());

const as = (role: string) => ({ userId: users[role]!, accountId: acct.accountId });
/** The table row of `id` (its cells' HTML). */
function rowOf(body: string, attribute: string, id: string): string {
  const start = body.indexOf(`<tr ${attribute}="${id}"`);
  assert.ok(start >= 0, `no row for ${id}`);
  return body.slice(start, body.indexOf('</tr>', start));
}
const rows = (body: string) => [...body.matchAll(/<tr data-charge-id="(chrg_[a-z0-9_]+)"/g)].map((m) => m[1]);
const refundPost = (chargeId: string, role: string, amount: string) =>
  bed.post(`/payments/charges/${chargeId}/refunds`, as(role), { amount }, { referer: `https://localhost:80/payments/charges/${chargeId}` });

test('charges.read: the newest charges of test mode, paged, with status, amount in its currency, time, description and a link', async () => {
  const page = await bed.get('/payments', as('view_only'));
  assert.equal(page.status, 200);
  const ids = rows(page.body);
  assert.equal(ids.length, 20);
  assert.deepEqual(ids.slice(0, 2), [charges[24]!.id, charges[23]!.id]);
  assert.ok(!page.body.includes(theirs.id) && !page.body.includes('A live one'));
  assert.match(rowOf(page.body, 'data-charge-id', charges[24]!.id), /data-status="failed"[\s\S]*tag failure">failed[\s\S]*THB 500\.00/);
  const row = rowOf(page.body, 'data-charge-id', charges[23]!.id);
  assert.ok(row.includes(`href="/payments/charges/${charges[23]!.id}"`));
  assert.match(row, /THB 240\.00[\s\S]*2026-04-01 [0-9:]+ UTC[\s\S]*Order #24/);
  assert.match(page.body, /id="page-range">1–20 of 25</);
  assert.ok(!page.body.includes('id="page-newer"') && !page.body.includes('id="charges-export"'), 'no newer page; View Only cannot export');
  const older = page.body.match(/href="([^"]+)" id="page-older"/)![1]!.replaceAll('&amp;', '&');
  const second = await bed.get(older, as('view_only'));
  assert.deepEqual(rows(second.body), charges.slice(0, 5).map((c) => c.id).reverse());
  assert.match(second.body, /id="page-range">21–25 of 25</);
  assert.ok(second.body.includes('id="page-newer"') && !second.body.includes('id="page-older"'));
  const live = await bed.get('/payments?mode=live', as('view_only'));
  assert.ok(live.body.includes('A live one') && rows(live.body).length === 1);
  assert.match(page.body, /id="nav-payments"[\s\S]*id="nav-customers"/, 'the nav links the pages the role may open');
  for (const bad of ['?limit=7', '?limit=abc', '?offset=-1', '?mode=sandbox', '?offset=99999999']) assert.equal((await bed.get(`/payments${bad}`, as('view_only'))).status, 400, bad);
});

test('without charges.read: 403 on every payments page, audited, and no nav link to them', async () => {
  for (const url of ['/payments', `/payments/charges/${charges[0]!.id}`, '/customers']) assert.equal((await bed.get(url, as('developer'))).status, 403, url);
  const denied = (await bed.f.entries('dashboard.access.denied')).filter((e) => e.actor.id === users.developer);
  assert.deepEqual(denied.map((e) => e.metadata.permission), ['charges.read', 'charges.read', 'customers.read']);
  const keysPage = await bed.get('/support', as('developer'));
  assert.ok(!keysPage.body.includes('id="nav-payments"') && !keysPage.body.includes('id="nav-customers"'));
  assert.equal((await bed.get('/payments')).status, 303, 'signed out: to sign in');
});

test('a charge: status, amounts, failure; the card only with cards.read_masked, refunds only with refunds.read, the form only with charges.refund', async () => {
  const paid = charges[9]!;
  const owner = await bed.get(`/payments/charges/${paid.id}`, as('owner'));
  assert.equal(owner.status, 200);
  assert.match(owner.body, /id="charge-status"><span class="tag success">successful/);
  assert.match(owner.body, /id="charge-amount">THB 100\.00</);
  assert.match(owner.body, /id="charge-capture">captured THB 100\.00</);
  assert.match(owner.body, /id="charge-refunded">THB 0\.00</);
  assert.match(owner.body, /id="charge-card"><span class="card"[^>]*>Visa ···· <span class="last-digits">4242<\/span>, expires 07\/2031/);
  assert.ok(owner.body.includes('id="no-refunds"'));
  assert.match(owner.body, /id="refund-form"[\s\S]*id="refund-amount"[^>]*value="10000"[\s\S]*id="refund-submit"/);

  const viewer = await bed.get(`/payments/charges/${paid.id}`, as('view_only'));
  assert.ok(viewer.body.includes('id="charge-card"') && viewer.body.includes('id="no-refunds"') && !viewer.body.includes('id="refund-form"'));
  const before = fake.refundListCalls;
  const narrow = await bed.get(`/payments/charges/${paid.id}`, as('charges_only'));
  assert.equal(narrow.status, 200);
  assert.ok(!narrow.body.includes('id="charge-card"') && !narrow.body.includes('4242') && !narrow.body.includes('id="refunds"'));
  assert.equal(fake.refundListCalls, before, 'refunds are not even fetched without refunds.read');

  const failed = await bed.get(`/payments/charges/${charges[24]!.id}`, as('owner'));
  assert.match(failed.body, /id="charge-failure"><code>insufficient_fund<\/code>: insufficient funds/);
  assert.match(failed.body, /id="charge-capture">nothing captured</);
  assert.ok(!failed.body.includes('id="refund-form"'), 'nothing to refund');
});

test('another account\'s charge, or a malformed id, is a 404 on the page and on the refund form; nothing is refunded', async () => {
  assert.equal((await bed.get(`/payments/charges/${theirs.id}`, as('owner'))).status, 404);
  assert.equal((await bed.get('/payments/charges/chrg_nope', as('owner'))).status, 404);
  assert.equal((await refundPost(theirs.id, 'owner', '100')).status, 404);
  assert.equal((await refundPost('chrg_nope', 'owner', '100')).status, 404);
  assert.equal(fake.refundCalls.length, 0);
});

test('a refund: step-up first (stale: to /step-up and back, nothing changes), then made, noted, listed and audited with the user', async () => {
  const target = charges[19]!;
  clock.offsetMs = 11 * 60_000;
  const stale = await refundPost(target.id, 'refund_analyst', '5000');
  clock.offsetMs = 0;
  assert.equal(stale.status, 303);
  assert.equal(stale.location, `/step-up?next=${encodeURIComponent(`/payments/charges/${target.id}`)}`);
  assert.equal(fake.refundCalls.length, 0, 'nothing reached the api');

  const made = await refundPost(target.id, 'refund_analyst', '5000');
  assert.equal(made.status, 303, made.body.slice(0, 400));
  assert.equal(made.location, `/payments/charges/${target.id}?notice=refunded`);
  assert.deepEqual(fake.refundCalls, [{ accountId: acct.accountId, chargeId: target.id, amount: 5000, actorId: users.refund_analyst }]);
  const after = await bed.get(made.location!, as('refund_analyst'));
  assert.match(after.body, /id="payments-notice"><p class="notice" role="status">The refund was made/);
  assert.match(after.body, /id="charge-refunded">THB 50\.00</);
  assert.match(after.body, /id="charge-refundable">THB 150\.00</);
  assert.match(after.body, /<tr data-refund-id="rfnd_test_[a-z0-9]+">[\s\S]*?THB 50\.00/);
  assert.match(after.body, /id="refund-amount"[^>]*value="15000"/, 'the form offers what is left');
  assert.ok(!after.body.includes('id="charge-customer"'), 'no customer link without customers.read');

  const [entry] = (await bed.f.entries('refund.create')).slice(-1);
  assert.deepEqual([entry!.actor.type, entry!.actor.id, entry!.tenant, entry!.outcome.result], ['user', users.refund_analyst, acct.accountId, 'success']);
  assert.deepEqual(entry!.targets.map((t) => t.type), ['charge', 'refund']);
  assert.deepEqual([entry!.metadata.amount, entry!.metadata.currency], [5000, 'THB']);
  assert.equal(bed.mail.length, 0, 'a refund emails nobody');
});

test('refund checks on the page: not a whole positive number, more than is left, the api\'s own refusal; nothing refunded', async () => {
  const target = charges[14]!;
  const calls = fake.refundCalls.length;
  const cases: Array<[string, RegExp]> = [
    ['', /Enter the amount to refund/], ['abc', /whole number/], ['12.50', /whole number/], ['-5', /whole number/], ['0', /more than zero/],
    ['15001', /more than the THB 150\.00 left to refund/], ['99999999999999999', /whole number/],
  ];
  for (const [amount, message] of cases) {
    const page = await refundPost(target.id, 'owner', amount);
    assert.equal(page.status, 400, amount);
    assert.match(page.body, /id="form-errors"/, amount);
    assert.match(page.body, message, amount);
    assert.ok(page.body.includes(`id="refund-amount" name="amount" inputmode="numeric" pattern="[0-9]+" maxlength="16" required value="${amount}"`), `${amount} kept in the form`);
  }
  fake.refuseNextRefund = 'charge can\'t be refunded: the amount is more than the 10000 left to refund';
  const refused = await refundPost(target.id, 'owner', '15000');
  assert.equal(refused.status, 400);
  assert.match(refused.body, /id="form-errors"[\s\S]*the amount is more than the 10000 left to refund/);
  assert.equal(fake.refundCalls.length, calls + 1, 'only the last reached the api');
  assert.equal((await fake.charge(acct.accountId, target.id)).refunded_amount, 0);
  const failures = (await bed.f.entries('refund.create')).filter((e) => e.outcome.result === 'failure' && e.targets[0]?.id === target.id);
  assert.equal(failures.length, cases.length + 1, 'each refusal is in the audit trail');
  assert.equal((await refundPost(charges[24]!.id, 'owner', '100')).status, 400, 'a failed charge cannot be refunded');
});

test('roles without charges.refund cannot refund (403, audited); the form is not offered to them', async () => {
  for (const role of ['view_only', 'analyst']) {
    assert.equal((await refundPost(charges[3]!.id, role, '100')).status, 403, role);
  }
  const denied = (await bed.f.entries('dashboard.access.denied')).filter((e) => e.metadata.permission === 'charges.refund');
  assert.equal(denied.length, 2);
  assert.ok(fake.refundCalls.every((c) => c.chargeId !== charges[3]!.id));
});

test('CSV export (data.export): the listed charges, formula-safe, no card data, audited; View Only gets 403', async () => {
  fake.addCharge(acct.accountId, { amount: 1234, description: '=HYPERLINK("https://evil.example","click")' });
  const csv = await bed.get('/payments/export.csv', as('analyst'));
  assert.equal(csv.status, 200);
  assert.match(String(csv.headers['content-type']), /^text\/csv/);
  assert.match(String(csv.headers['content-disposition']), /^attachment; filename="charges-test-[0-9T-]+\.csv"$/);
  const lines = csv.body.split('\r\n').filter((l) => l !== '');
  assert.equal(lines.length, 1 + 26);
  assert.ok(lines[0]!.startsWith('"id","created_at","livemode","status","currency","amount"'));
  assert.ok(lines[1]!.includes('"\'=HYPERLINK(""https://evil.example"",""click"")"'), lines[1]);
  assert.ok(!csv.body.includes('4242') && !csv.body.includes(theirs.id) && !csv.body.includes('A live one'));
  const [entry] = (await bed.f.entries('payments.export')).slice(-1);
  assert.deepEqual([entry!.actor.id, entry!.metadata.rows, entry!.metadata.livemode, entry!.metadata.truncated], [users.analyst, 26, false, false]);
  assert.match((await bed.get('/payments', as('analyst'))).body, /href="\/payments\/export\.csv\?mode=test" id="charges-export"/);
  assert.equal((await bed.get('/payments/export.csv', as('view_only'))).status, 403);

  // A custom role with data.export alone cannot read charges in bulk: charges.read is checked too.
  const exportOnly = await bed.f.team.roles.create(bed.f.actor(acct.ownerId, acct.accountId), { name: 'Exporter', permissions: ['data.export'] });
  const exporter = await bed.f.user({ accountId: acct.accountId, roles: [exportOnly.id] });
  const before = (await bed.f.entries('dashboard.access.denied')).length;
  assert.equal((await bed.get('/payments/export.csv', { userId: exporter.userId, accountId: acct.accountId })).status, 403);
  const denied = (await bed.f.entries('dashboard.access.denied')).slice(before);
  assert.deepEqual(denied.map((e) => e.metadata.permission), ['charges.read']);
});

test('customers (customers.read): list and detail, cards masked only with cards.read_masked; another account\'s customer is a 404', async () => {
  const mine = fake.addCustomer(acct.accountId, { email: 'somchai@example.test', description: 'Regular' });
  const foreign = fake.addCustomer(other.accountId, { email: 'someone@else.example' });
  const list = await bed.get('/customers', as('view_only'));
  assert.equal(list.status, 200);
  assert.match(rowOf(list.body, 'data-customer-id', mine.id), /somchai@example\.test[\s\S]*Regular[\s\S]*Visa ···· <span class="last-digits">4242/);
  assert.ok(!list.body.includes(foreign.id));
  const detail = await bed.get(`/customers/${mine.id}`, as('view_only'));
  assert.match(detail.body, /id="customer-email">somchai@example\.test[\s\S]*id="customer-cards"[\s\S]*4242[\s\S]*\(default\)/);
  const narrow = await bed.get(`/customers/${mine.id}`, as('charges_only'));
  assert.equal(narrow.status, 200);
  assert.ok(!narrow.body.includes('4242') && !narrow.body.includes('id="customer-cards"'));
  assert.ok(!(await bed.get('/customers', as('charges_only'))).body.includes('4242'));
  assert.equal((await bed.get(`/customers/${foreign.id}`, as('view_only'))).status, 404);
  assert.equal((await bed.get('/customers/cust_nope', as('view_only'))).status, 404);
  assert.equal((await bed.get('/customers', as('refund_analyst'))).status, 403);
});
