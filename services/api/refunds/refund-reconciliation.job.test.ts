// Reconciliation of refunds the vault never answered (refund-reconciliation.job.ts), against a real
// database and a stand-in vault: the vault is asked again with the SAME refund id (it refunds once per id),
// an answer settles the refund as a merchant's request would, a refusal closes it, an outage decides
// nothing; meanwhile the unanswered amount is held back from what the charge can still refund.
import { after, before, beforeEach, test } from 'node:test';
import assert from 'node:assert/strict';
import { createAudit } from '#lib/audit/index.ts';
import { newId } from '#lib/contracts/index.ts';
import type { TestDatabase } from '#lib/db/testing.ts';
import type { ApiDatabase } from '../db.ts';
import type { Change } from '../changes/changes.ts';
import { createChargeStore } from '../charges/charges.store.ts';
import { auditOf, authorization, clearCharges, insertCharge, lifecycleHarness, openLifecycleDatabase, refusal } from '../three-d-secure/lifecycle.testing.ts';
import { createRefundStore } from './refunds.store.ts';
import { createRefundService } from './refunds.service.ts';
import { createRefundReconciliationJob, REFUND_RECONCILE_AFTER_MS } from './refund-reconciliation.job.ts';

let database: TestDatabase<ApiDatabase>;
before(async () => { database = await openLifecycleDatabase(); });
after(async () => database?.close());
beforeEach(async () => clearCharges(database));

const ago = (ms: number) => new Date(Date.now() - ms);
const ORIGIN = { ip: '203.0.113.9', userAgent: 'test', requestId: 'req_test' };

async function setup() {
  const harness = await lifecycleHarness(database);
  const charge = await insertCharge(database, harness.merchant, {
    status: 'successful', authorized: true, authorized_amount: 100000, captured_amount: 100000, paid_at: new Date(),
  });
  const refunds = createRefundStore(database.db);
  const announced: Change[] = [];
  const changes = { record: async (_tx: unknown, change: Change) => { announced.push(change); } };
  const job = createRefundReconciliationJob({
    db: database.db, refunds, charges: createChargeStore(database.db), vault: harness.vault.client,
    audit: createAudit({ db: database.db, service: 'api' }), changes, logger: harness.log.logger,
  });
  const requested = (amount: number, createdAt = ago(REFUND_RECONCILE_AFTER_MS + 1000)) => database.db.insertInto('refunds').values({
    id: newId('refund', false), charge_id: charge.id, account_id: harness.merchant.accountId, livemode: false, exchange: 'requested',
    amount, currency: 'THB', metadata: '{}', transaction_id: newId('transaction', false), created_at: createdAt,
  }).returningAll().executeTakeFirstOrThrow();
  const stored = (id: string) => database.db.selectFrom('refunds').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
  const chargeNow = () => database.db.selectFrom('charges').selectAll().where('id', '=', charge.id).executeTakeFirstOrThrow();
  return { harness, charge, refunds, announced, job, requested, stored, chargeNow };
}

test('an unanswered refund is asked again under its own id; the answer settles it, audited and announced', async () => {
  const { harness, charge, announced, job, requested, stored, chargeNow } = await setup();
  const refund = await requested(30000);
  const young = await requested(1000, new Date());
  harness.vault.answers.push(authorization(charge.id, { id: charge.authorization_id!, refunded_amount: 30000 }));
  assert.deepEqual(await job.runOnce(), { answered: 1, refused: 0, skipped: 0, deferred: 0, errors: 0 });
  assert.deepEqual(harness.vault.calls.map((c) => [c.call, ...c.args]),
    [['refund', harness.merchant.accountId, false, charge.authorization_id, 30000, refund.id]], 'the same refund id: the vault refunds once per id');
  assert.equal((await stored(refund.id)).exchange, 'answered');
  assert.equal((await stored(young.id)).exchange, 'requested', 'a refund whose request may still be running is left alone');
  assert.equal((await chargeNow()).refunded_amount, 30000);
  assert.deepEqual(announced.map((c) => [c.key, c.data.id, c.data.amount]), [['refund.create', refund.id, 30000]]);
  assert.deepEqual((await auditOf(database, harness.merchant.accountId)).map((a) => [a.action, a.actor_type, a.actor, a.result]),
    [['refund.create', 'system', 'refund-reconciliation', 'success']]);
  assert.equal((await job.runOnce()).answered, 0, 'settled once');
});

test('a refusal closes the refund (never shown, nothing booked); an outage decides nothing', async () => {
  const { harness, announced, job, requested, stored, chargeNow } = await setup();
  const refused = await requested(30000);
  harness.vault.answers.push(refusal(400, 'failed_refund', 'the charge was reversed'));
  assert.equal((await job.runOnce()).refused, 1);
  assert.equal((await stored(refused.id)).exchange, 'refused');
  const waiting = await requested(20000);
  harness.vault.answers.push(refusal(503, 'service_unavailable'), new Error('ECONNRESET'));
  for (let run = 0; run < 2; run++) assert.equal((await job.runOnce()).deferred, 1);
  assert.deepEqual([(await stored(waiting.id)).exchange, (await chargeNow()).refunded_amount, announced.length], ['requested', 0, 0]);
  assert.deepEqual((await auditOf(database, harness.merchant.accountId)).map((a) => [a.actor, a.result, a.reason]),
    [['refund-reconciliation', 'failure', 'failed_refund']]);
});

test('an unanswered refund holds its amount back: a new refund may not take the charge past its capture', async () => {
  const { harness, charge, refunds, requested } = await setup();
  await requested(80000);
  const service = createRefundService({
    db: database.db, charges: createChargeStore(database.db), refunds, vault: harness.vault.client,
    audit: createAudit({ db: database.db, service: 'api' }), findCharge: harness.charges.mustFind,
  });
  await assert.rejects(service.create(harness.merchant, charge.id, { amount: 30000 }, ORIGIN), (error: { statusCode?: number; code?: string; message?: string }) =>
    error.statusCode === 400 && error.code === 'failed_refund' && /20000 left/.test(error.message ?? ''));
  assert.equal(harness.vault.calls.length, 0, 'refused before the vault is asked');
});
