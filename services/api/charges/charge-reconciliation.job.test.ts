// Reconciliation of charges the vault never answered (charge-reconciliation.job.ts), against a real
// database and a stand-in vault: the lookup never carries a card, an authorization found is applied
// and announced, "none" fails the charge only after the bound, an unreachable vault decides nothing,
// and a charge locked elsewhere is skipped without waiting.
import { after, before, beforeEach, test } from 'node:test';
import assert from 'node:assert/strict';
import type { TestDatabase } from '#lib/db/testing.ts';
import type { ApiDatabase } from '../db.ts';
import { auditOf, authorization, awaiting, clearCharges, insertCharge, lifecycleHarness, openLifecycleDatabase, PUBLIC_URL, refusal } from '../three-d-secure/lifecycle.testing.ts';
import { GIVE_UP_AFTER_MS, RECONCILE_AFTER_MS } from './charge-reconciliation.job.ts';
import { UNANSWERED_FAILURE } from './charge-lifecycle.store.ts';

let database: TestDatabase<ApiDatabase>;
before(async () => { database = await openLifecycleDatabase(); });
after(async () => database?.close());
beforeEach(async () => clearCharges(database));

const ago = (ms: number) => new Date(Date.now() - ms);
const stored = (id: string) => database.db.selectFrom('charges').selectAll().where('id', '=', id).executeTakeFirstOrThrow();

test('a vault authorization is found: the charge takes it and is announced; the lookup carries no card, token or customer', async () => {
  const harness = await lifecycleHarness(database);
  const row = await insertCharge(database, harness.merchant, { exchange: 'requested', authorization_id: null, updated_at: ago(RECONCILE_AFTER_MS + 1000), customer_id: 'cust_test_0000000000000000001' });
  harness.vault.answers.push(authorization(row.id));
  assert.deepEqual(await harness.lifecycle.reconciliation.runOnce(), { answered: 1, failed: 0, waiting: 0, skipped: 0, deferred: 0, errors: 0 });
  const [call] = harness.vault.calls;
  assert.equal(call!.call, 'authorize');
  assert.equal(call!.args[0], harness.merchant.accountId);
  assert.deepEqual(call!.args[1], { livemode: false, charge_id: row.id, amount: 100000, currency: 'THB', capture: true }, 'a lookup: nothing to charge with');
  const after = await stored(row.id);
  assert.deepEqual([after.exchange, after.status, after.captured_amount], ['answered', 'successful', 100000]);
  assert.deepEqual(harness.announced.map((c) => [c.key, c.data.id, c.data.status]), [['charge.create', row.id, 'successful']]);
  assert.deepEqual((await auditOf(database, harness.merchant.accountId)).map((a) => [a.action, a.actor_type, a.actor, a.result]),
    [['charge.create', 'system', 'charge-reconciliation', 'success']]);
  assert.equal((await harness.charges.retrieve(harness.merchant, row.id)).status, 'successful', 'visible to the merchant now');

  // Done: a second run finds nothing to do.
  assert.equal((await harness.lifecycle.reconciliation.runOnce()).answered, 0);
  assert.equal(harness.vault.calls.length, 1);
});

test('a found authorization still waiting for 3-D Secure opens the payer page', async () => {
  const harness = await lifecycleHarness(database);
  const row = await insertCharge(database, harness.merchant, { exchange: 'requested', authorization_id: null, updated_at: ago(RECONCILE_AFTER_MS + 1000) });
  harness.vault.answers.push(awaiting(row.id));
  await harness.lifecycle.reconciliation.runOnce();
  const after = await stored(row.id);
  assert.deepEqual([after.exchange, after.status, after.authorized], ['answered', 'pending', false]);
  assert.ok(after.authorize_uri?.startsWith(`${PUBLIC_URL}/payments/${row.id}/authorize?key=`), String(after.authorize_uri));
});

test('no authorization at the vault: left alone before the bound, failed after it (announced, audited)', async () => {
  const harness = await lifecycleHarness(database);
  const young = await insertCharge(database, harness.merchant, { exchange: 'requested', authorization_id: null, updated_at: ago(RECONCILE_AFTER_MS + 1000) });
  const old = await insertCharge(database, harness.merchant, { exchange: 'requested', authorization_id: null, updated_at: ago(GIVE_UP_AFTER_MS + 1000) });
  const fresh = await insertCharge(database, harness.merchant, { exchange: 'requested', authorization_id: null });
  const none = () => refusal(400, 'missing_card', 'request contains no card parameters');
  harness.vault.answers.push(none(), none());
  const counts = await harness.lifecycle.reconciliation.runOnce();
  assert.deepEqual([counts.failed, counts.waiting], [1, 1]);
  assert.equal(harness.vault.calls.length, 2, 'a charge younger than RECONCILE_AFTER_MS is not looked at (its request may be running)');
  assert.deepEqual(harness.vault.calls.map((c) => (c.args[1] as { charge_id: string }).charge_id).sort(), [young.id, old.id].sort());
  assert.equal((await stored(young.id)).exchange, 'requested');
  assert.equal((await stored(fresh.id)).exchange, 'requested');
  const failed = await stored(old.id);
  assert.deepEqual([failed.exchange, failed.status, failed.failure_code, failed.authorized, failed.captured_amount],
    ['answered', 'failed', UNANSWERED_FAILURE.code, false, 0]);
  assert.deepEqual(harness.announced.map((c) => [c.key, c.data.id, c.data.status]), [['charge.create', old.id, 'failed']]);
  assert.deepEqual((await auditOf(database, harness.merchant.accountId)).map((a) => [a.action, a.actor, a.result, a.reason]),
    [['charge.create', 'charge-reconciliation', 'failure', 'failed_processing']]);
});

test('the vault down or refusing otherwise: nothing is decided, however old the charge', async () => {
  const harness = await lifecycleHarness(database);
  const row = await insertCharge(database, harness.merchant, { exchange: 'requested', authorization_id: null, updated_at: ago(10 * GIVE_UP_AFTER_MS) });
  harness.vault.answers.push(refusal(503, 'service_unavailable'), new Error('ECONNRESET'), refusal(400, 'bad_request'));
  for (let run = 0; run < 3; run++) assert.equal((await harness.lifecycle.reconciliation.runOnce()).deferred, 1);
  assert.deepEqual([(await stored(row.id)).exchange, harness.announced.length], ['requested', 0]);
});

test('two instances: a charge another run holds is skipped, not waited for', async () => {
  const harness = await lifecycleHarness(database);
  const row = await insertCharge(database, harness.merchant, { exchange: 'requested', authorization_id: null, updated_at: ago(RECONCILE_AFTER_MS + 1000) });
  let release!: () => void;
  const held = new Promise<void>((resolve) => { release = resolve; });
  let locked!: () => void;
  const isLocked = new Promise<void>((resolve) => { locked = resolve; });
  const holder = database.db.transaction().execute(async (tx) => {
    await tx.selectFrom('charges').select('id').where('id', '=', row.id).forUpdate().execute();
    locked();
    await held;
  });
  await isLocked;
  const counts = await harness.lifecycle.reconciliation.runOnce();
  release();
  await holder;
  assert.deepEqual([counts.skipped, harness.vault.calls.length], [1, 0]);
});
