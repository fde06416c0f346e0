// Expiry of charges the payer abandoned (charge-expiry.job.ts), against a real database and a stand-in
// vault, with the clock moved past expires_at: expired and announced once; a charge 3-D Secure finished
// at the vault is completed instead; an unreachable vault defers; authorized and young charges stay.
import { after, before, beforeEach, test } from 'node:test';
import assert from 'node:assert/strict';
import type { TestDatabase } from '#lib/db/testing.ts';
import type { ApiDatabase } from '../db.ts';
import { auditOf, authorization, awaiting, clearCharges, insertCharge, lifecycleHarness, openLifecycleDatabase, refusal } from '../three-d-secure/lifecycle.testing.ts';
import { AUTHORIZATION_LIFETIME_MS } from './charge-view.ts';

let database: TestDatabase<ApiDatabase>;
before(async () => { database = await openLifecycleDatabase(); });
after(async () => database?.close());
beforeEach(async () => clearCharges(database));

const origin = { ip: '127.0.0.1', userAgent: 'test', requestId: 'req_test_expiry' };
const stored = (id: string) => database.db.selectFrom('charges').selectAll().where('id', '=', id).executeTakeFirstOrThrow();

test('an abandoned 3-D Secure charge lapses at expires_at: expired, announced, audited; the page then refuses', async () => {
  const harness = await lifecycleHarness(database);
  harness.vault.answers.push(awaiting('x'));
  const charge = await harness.charges.create(harness.merchant, { amount: 100000, currency: 'thb', card: 'tokn_test_0000000000000000001', authentication: '3DS' }, origin);
  const key = new URL(charge.authorize_uri!).searchParams.get('key');

  harness.clock.now = new Date(Date.parse(charge.expires_at) - 60_000);
  assert.equal((await harness.lifecycle.expiry.runOnce()).expired, 0, 'not before expires_at');
  assert.equal(harness.vault.calls.length, 1);

  harness.clock.now = new Date(Date.parse(charge.expires_at) + 1000);
  harness.vault.answers.push(awaiting(charge.id));
  assert.deepEqual(await harness.lifecycle.expiry.runOnce(), { expired: 1, completed: 0, skipped: 0, deferred: 0, errors: 0 });
  assert.equal(harness.vault.calls.at(-1)!.call, 'getAuthorization', 'the vault is asked first');
  const expired = await harness.charges.retrieve(harness.merchant, charge.id);
  assert.deepEqual([expired.status, expired.expired, expired.authorized, expired.paid], ['expired', true, false, false]);
  assert.ok(expired.expired_at);
  assert.deepEqual(harness.announced.map((c) => [c.key, c.data.status]), [['charge.create', 'pending'], ['charge.expire', 'expired']]);
  assert.deepEqual((await auditOf(database, harness.merchant.accountId)).at(-1),
    { action: 'charge.expire', actor: 'charge-expiry', actor_type: 'system', result: 'success', reason: null, ip: null });
  await assert.rejects(harness.pages.show(charge.id, key), (error: { status?: number }) => error.status === 410);

  // Once: the next run has nothing to do, and the merchant's expire is refused.
  assert.equal((await harness.lifecycle.expiry.runOnce()).expired, 0);
  await assert.rejects(harness.charges.expire(harness.merchant, charge.id, origin), /failed_expire|only a charge that is pending/);
});

test('3-D Secure finished at the vault but not here: the charge completes instead of expiring', async () => {
  const harness = await lifecycleHarness(database);
  const row = await insertCharge(database, harness.merchant, { created_at: new Date(Date.now() - AUTHORIZATION_LIFETIME_MS - 1000), authorize_uri: 'https://api.strongroom.test:8444/payments/x/authorize?key=y' });
  harness.vault.answers.push(authorization(row.id));
  assert.equal((await harness.lifecycle.expiry.runOnce()).completed, 1);
  const after = await stored(row.id);
  assert.deepEqual([after.status, after.authorized, after.authenticated_by, after.authorize_uri], ['successful', true, '3DS', row.authorize_uri]);
  assert.deepEqual(harness.announced.map((c) => c.key), ['charge.complete']);
});

test('the vault unreachable: deferred, the charge untouched; authorized and young charges are never candidates', async () => {
  const harness = await lifecycleHarness(database);
  const old = new Date(Date.now() - AUTHORIZATION_LIFETIME_MS - 1000);
  const waiting = await insertCharge(database, harness.merchant, { created_at: old });
  const authorized = await insertCharge(database, harness.merchant, { created_at: old, authorized: true, authorized_amount: 100000, capture: false });
  const young = await insertCharge(database, harness.merchant);
  harness.vault.answers.push(refusal(503, 'service_unavailable'));
  assert.deepEqual(await harness.lifecycle.expiry.runOnce(), { expired: 0, completed: 0, skipped: 0, deferred: 1, errors: 0 });
  assert.deepEqual([(await stored(waiting.id)).status, (await stored(authorized.id)).status, (await stored(young.id)).status], ['pending', 'pending', 'pending']);
  // A charge without an authorization at all (nothing at the vault to ask about) simply expires.
  const bare = await insertCharge(database, harness.merchant, { created_at: old, authorization_id: null });
  harness.vault.answers.push(awaiting(waiting.id));
  const counts = await harness.lifecycle.expiry.runOnce();
  assert.equal(counts.expired, 2);
  assert.equal((await stored(bare.id)).status, 'expired');
  assert.equal(harness.vault.calls.length, 2, 'one lookup per charge that has an authorization');
});
