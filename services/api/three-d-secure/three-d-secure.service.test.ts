// The payer's 3-D Secure page against a real database and a stand-in vault: the page is opened with the
// charge, shows what it must, settles the charge once, and refuses (changing nothing) a replay, a wrong
// form value, a wrong key, an expired charge and a vault that cannot answer. The platform test
// (test/api.3ds.test.ts) covers the same flow over TLS with the real vault.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { TestDatabase } from '#lib/db/testing.ts';
import type { ApiDatabase } from '../db.ts';
import { AUTHORIZATION_LIFETIME_MS } from '../charges/charge-view.ts';
import { isPageRefusal } from './page-refusal.ts';
import { secretHash } from './page-secret.ts';
import { auditOf, authorization, awaiting, declined, lifecycleHarness, openLifecycleDatabase, PUBLIC_URL, refusal } from './lifecycle.testing.ts';

let database: TestDatabase<ApiDatabase>;
before(async () => { database = await openLifecycleDatabase(); });
after(async () => database?.close());

const origin = { ip: '198.51.100.7', userAgent: 'test-browser', requestId: 'req_test_3ds' };
const TOKEN = 'tokn_test_0000000000000000001';

async function refused(promise: Promise<unknown>, status: number) {
  await assert.rejects(promise, (error: unknown) => {
    assert.ok(isPageRefusal(error), String(error));
    assert.equal(error.status, status, error.message);
    return true;
  });
}

/** A charge created through the charge service with `authentication: "3DS"`, the vault asking for it. */
async function pendingCharge(harness: Awaited<ReturnType<typeof lifecycleHarness>>, body: Record<string, unknown> = {}) {
  harness.vault.answers.push(awaiting('x'));
  const charge = await harness.charges.create(harness.merchant, { amount: 100000, currency: 'thb', card: TOKEN, authentication: '3DS', ...body }, origin);
  const uri = new URL(charge.authorize_uri!);
  return { charge, uri, chargeId: charge.id, key: uri.searchParams.get('key')! };
}

const formValueOf = (html: string) => /name="form_value" value="([^"]+)"/.exec(html)?.[1];

test('creation asks the vault for 3-D Secure and opens a page: pending, not authorized, authorize_uri on the api host', async () => {
  const harness = await lifecycleHarness(database);
  const { charge, uri, key } = await pendingCharge(harness, { return_uri: 'https://shop.example/back?order=1' });
  assert.equal((harness.vault.calls[0]!.args[1] as { three_d_secure?: boolean }).three_d_secure, true);
  assert.deepEqual([charge.status, charge.authorized, charge.paid, charge.capturable, charge.authenticated_by], ['pending', false, false, false, null]);
  assert.equal(`${uri.origin}${uri.pathname}`, `${PUBLIC_URL}/payments/${charge.id}/authorize`);
  assert.match(key, /^[A-Za-z0-9_-]{43}$/, '256 random bits');
  const page = await database.db.selectFrom('three_d_secure_pages').selectAll().where('charge_id', '=', charge.id).executeTakeFirstOrThrow();
  assert.equal(page.secret_hash, secretHash(key), 'only the hash of the key is stored');
  assert.notEqual(page.form_value, key);
  assert.deepEqual(harness.announced.map((c) => [c.key, c.data.status, c.data.authorize_uri]), [['charge.create', 'pending', charge.authorize_uri]]);

  // Without authentication: the vault is not asked for 3-D Secure.
  harness.vault.answers.push(authorization('x'));
  await harness.charges.create(harness.merchant, { amount: 100000, currency: 'thb', card: TOKEN }, origin);
  assert.equal((harness.vault.calls[1]!.args[1] as { three_d_secure?: boolean }).three_d_secure, false);
  await assert.rejects(harness.charges.create(harness.merchant, { amount: 100000, currency: 'thb', card: TOKEN, authentication: 'PASSKEY' }, origin),
    /PASSKEY is not supported/);
});

test('the page shows the merchant (escaped), the amount and the currency, with a form and no script', async () => {
  const harness = await lifecycleHarness(database);
  const { chargeId, key } = await pendingCharge(harness, { return_uri: 'https://shop.example/back' });
  const page = await harness.pages.show(chargeId, key);
  assert.equal(page.kind, 'page');
  if (page.kind !== 'page') return;
  assert.match(page.html, /Ben &amp; Jerry &lt;Shop&gt;/);
  assert.match(page.html, /THB 1,000\.00/);
  assert.match(page.html, /value="success">Authenticate</);
  assert.match(page.html, /value="failure">Fail authentication</);
  assert.doesNotMatch(page.html, /<script|\son[a-z]+=/i, 'no script, no inline event handler');
  assert.ok(formValueOf(page.html));
  assert.match(page.csp, /form-action 'self' https:\/\/shop\.example;/);
});

test('Authenticate: the charge is successful, authenticated_by 3DS, announced and audited as the payer; then a redirect to return_uri', async () => {
  const harness = await lifecycleHarness(database);
  const { chargeId, key } = await pendingCharge(harness, { return_uri: 'https://shop.example/back?order=1' });
  const page = await harness.pages.show(chargeId, key);
  harness.vault.answers.push(authorization(chargeId));
  const done = await harness.pages.submit(chargeId, key, { result: 'success', form_value: formValueOf((page as { html: string }).html) }, origin);
  assert.deepEqual(done, { kind: 'redirect', location: 'https://shop.example/back?order=1' });
  const authenticate = harness.vault.calls.at(-1)!;
  assert.equal(authenticate.call, 'authenticate');
  assert.equal(authenticate.args[3], true);
  const charge = await harness.charges.retrieve(harness.merchant, chargeId);
  assert.deepEqual([charge.status, charge.authorized, charge.paid, charge.authenticated_by], ['successful', true, true, '3DS']);
  assert.ok(charge.authorize_uri, 'the charge keeps its authorize_uri');
  assert.deepEqual(harness.announced.map((c) => c.key), ['charge.create', 'charge.complete']);
  const entry = (await auditOf(database, harness.merchant.accountId)).at(-1)!;
  assert.deepEqual(entry, { action: 'charge.complete', actor: 'payer', actor_type: 'user', result: 'success', reason: null, ip: '198.51.100.7' });

  // A second POST (a replay) and a second look: 409, the vault is not asked, nothing changes.
  const calls = harness.vault.calls.length;
  await refused(harness.pages.submit(chargeId, key, { result: 'failure', form_value: formValueOf((page as { html: string }).html) }, origin), 409);
  await refused(harness.pages.show(chargeId, key), 409);
  assert.equal(harness.vault.calls.length, calls);
  assert.equal((await harness.charges.retrieve(harness.merchant, chargeId)).status, 'successful');
  assert.deepEqual((await auditOf(database, harness.merchant.accountId)).at(-1), { ...entry, result: 'failure', reason: 'used' });
});

test('Fail authentication, or a card that fails validation: failed payment_rejected; without return_uri a result page', async () => {
  const harness = await lifecycleHarness(database);
  const { chargeId, key } = await pendingCharge(harness);
  const page = await harness.pages.show(chargeId, key);
  harness.vault.answers.push(declined(chargeId));
  const done = await harness.pages.submit(chargeId, key, { result: 'failure', form_value: formValueOf((page as { html: string }).html) }, origin);
  assert.equal(harness.vault.calls.at(-1)!.args[3], false);
  assert.equal(done.kind, 'page');
  assert.match((done as { html: string }).html, /The payment failed/);
  const charge = await harness.charges.retrieve(harness.merchant, chargeId);
  assert.deepEqual([charge.status, charge.failure_code, charge.authenticated_by], ['failed', 'payment_rejected', null]);
  assert.deepEqual(harness.announced.map((c) => [c.key, c.data.status]), [['charge.create', 'pending'], ['charge.complete', 'failed']]);
});

test('capture false: authenticated means pending and authorized (capturable)', async () => {
  const harness = await lifecycleHarness(database);
  const { chargeId, key } = await pendingCharge(harness, { capture: false });
  const page = await harness.pages.show(chargeId, key);
  harness.vault.answers.push(authorization(chargeId, { charge_status: 'pending', captured_amount: 0 }));
  await harness.pages.submit(chargeId, key, { result: 'success', form_value: formValueOf((page as { html: string }).html) }, origin);
  const charge = await harness.charges.retrieve(harness.merchant, chargeId);
  assert.deepEqual([charge.status, charge.authorized, charge.capturable, charge.paid], ['pending', true, true, false]);
});

test('refusals change nothing: wrong key, another charge, wrong form value, no choice, vault down, expired', async () => {
  const harness = await lifecycleHarness(database);
  const first = await pendingCharge(harness);
  const second = await pendingCharge(harness);
  const form = formValueOf(((await harness.pages.show(first.chargeId, first.key)) as { html: string }).html);
  await refused(harness.pages.show(first.chargeId, 'A'.repeat(43)), 404);
  await refused(harness.pages.show(first.chargeId, undefined), 404);
  await refused(harness.pages.show(second.chargeId, first.key), 404);
  await refused(harness.pages.submit(second.chargeId, first.key, { result: 'success', form_value: form }, origin), 404);
  await refused(harness.pages.submit(first.chargeId, first.key, { result: 'success', form_value: 'x'.repeat(43) }, origin), 403);
  await refused(harness.pages.submit(first.chargeId, first.key, { result: 'maybe', form_value: form }, origin), 400);
  assert.deepEqual(harness.vault.calls.map((c) => c.call), ['authorize', 'authorize'], 'the vault was not asked');

  // The vault down: 503, and the page still works afterwards.
  harness.vault.answers.push(refusal(503, 'service_unavailable'));
  await refused(harness.pages.submit(first.chargeId, first.key, { result: 'success', form_value: form }, origin), 503);
  assert.equal((await harness.charges.retrieve(harness.merchant, first.chargeId)).status, 'pending');
  // The vault already finished it (an earlier answer was lost): its state is the answer.
  harness.vault.answers.push(refusal(400, 'invalid_charge', 'this charge is not waiting for 3-D Secure'), authorization(first.chargeId));
  await harness.pages.submit(first.chargeId, first.key, { result: 'success', form_value: form }, origin);
  assert.equal((await harness.charges.retrieve(harness.merchant, first.chargeId)).status, 'successful');

  // Past expires_at (or expired by the merchant): 410.
  harness.clock.now = new Date(Date.now() + AUTHORIZATION_LIFETIME_MS + 1000);
  await refused(harness.pages.show(second.chargeId, second.key), 410);
  harness.clock.now = new Date();
  await harness.charges.expire(harness.merchant, second.chargeId, origin);
  await refused(harness.pages.show(second.chargeId, second.key), 410);
  const reasons = (await auditOf(database, harness.merchant.accountId)).filter((a) => a.action === 'charge.complete').map((a) => [a.result, a.reason]);
  assert.deepEqual(reasons, [['failure', 'form'], ['failure', 'unavailable'], ['success', null]]);
});

test('two POSTs at once: one settles the charge, the other is refused; the vault is asked once', async () => {
  const harness = await lifecycleHarness(database);
  const { chargeId, key } = await pendingCharge(harness);
  const form = formValueOf(((await harness.pages.show(chargeId, key)) as { html: string }).html);
  harness.vault.answers.push(authorization(chargeId));
  const results = await Promise.allSettled([
    harness.pages.submit(chargeId, key, { result: 'success', form_value: form }, origin),
    harness.pages.submit(chargeId, key, { result: 'failure', form_value: form }, origin),
  ]);
  assert.deepEqual(results.map((r) => r.status).sort(), ['fulfilled', 'rejected']);
  const rejected = results.find((r) => r.status === 'rejected') as PromiseRejectedResult;
  assert.ok(isPageRefusal(rejected.reason) && rejected.reason.status === 409);
  assert.equal(harness.vault.calls.filter((c) => c.call === 'authenticate').length, 1);
  assert.deepEqual(harness.announced.map((c) => c.key), ['charge.create', 'charge.complete']);
});
