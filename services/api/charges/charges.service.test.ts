// The charge and refund flows against a real database and a stand-in vault: what happens when the vault
// refuses, is down, or never answers (the platform test covers the happy paths over real TLS).
import { after, before, beforeEach, test } from 'node:test';
import assert from 'node:assert/strict';
import { auditMigrations, createAudit } from '#lib/audit/index.ts';
import { newId } from '#lib/contracts/index.ts';
import { loadSqlMigrations, sql } from '#lib/db/index.ts';
import { createTestDatabase, type TestDatabase } from '#lib/db/testing.ts';
import { isHttpError } from '#lib/http/index.ts';
import type { ApiDatabase } from '../db.ts';
import type { Merchant } from '../auth/secret-key.auth.ts';
import { createCustomerStore } from '../customers/customers.store.ts';
import type { VaultAnswer, VaultAuthorization } from '../vault/vault-client.ts';
import { createRefundStore } from '../refunds/refunds.store.ts';
import { createRefundService } from '../refunds/refunds.service.ts';
import { createChargeStore } from './charges.store.ts';
import { createChargeService, type ChargeVault } from './charges.service.ts';

let database: TestDatabase<ApiDatabase>;
let merchant: Merchant;
const origin = { ip: '127.0.0.1', userAgent: 'test', requestId: 'req_test_1' };
const TOKEN = 'tokn_test_0000000000000000001';

type Answer = VaultAnswer<VaultAuthorization> | Error;
let answers: Answer[] = [];
const calls: string[] = [];
const next = async (call: string): Promise<VaultAnswer<VaultAuthorization>> => {
  calls.push(call);
  const answer = answers.shift();
  if (!answer) throw new Error(`unexpected vault call ${call}`);
  if (answer instanceof Error) throw answer;
  return answer;
};
const vault: ChargeVault = {
  authorize: () => next('authorize'), capture: () => next('capture'), reverse: () => next('reverse'), refund: () => next('refund'),
};
const refusal = (status: number, code: string, message = 'refused'): Answer => ({ ok: false, status, body: { object: 'error', code, message } });
function approved(chargeId: string, change: Partial<VaultAuthorization> = {}): Answer {
  return { ok: true, status: 200, body: {
    object: 'authorization', id: 'auth_test_0000000000000000001', charge_id: chargeId, livemode: false, status: 'approved', charge_status: 'successful',
    amount: 100000, currency: 'THB', authorized_amount: 100000, captured_amount: 100000, refunded_amount: 0, failure_code: null, failure_message: null,
    card: null, ...change,
  } };
}

function services() {
  const audit = createAudit({ db: database.db, service: 'api' });
  const charges = createChargeStore(database.db);
  const refunds = createRefundStore(database.db);
  const chargeService = createChargeService({ db: database.db, charges, refunds, customers: createCustomerStore(database.db), vault, audit });
  const refundService = createRefundService({ db: database.db, charges, refunds, vault, audit, findCharge: chargeService.mustFind });
  return { charges: chargeService, refunds: refundService };
}

async function rejects(promise: Promise<unknown>, status: number, code: string) {
  await assert.rejects(promise, (error: unknown) => {
    assert.ok(isHttpError(error), String(error));
    assert.deepEqual([error.statusCode, error.code], [status, code]);
    return true;
  });
}

const rowsOf = async () => database.db.selectFrom('charges').selectAll().where('account_id', '=', merchant.accountId).orderBy('created_at').execute();
const actions = async () => (await sql<{ action: string; result: string; reason: string | null }>`
  SELECT entry ->> 'action' AS action, entry -> 'outcome' ->> 'result' AS result, entry -> 'outcome' ->> 'reason' AS reason
  FROM audit_outbox ORDER BY id`.execute(database.db)).rows;

before(async () => {
  database = await createTestDatabase<ApiDatabase>([await auditMigrations(), await loadSqlMigrations('api', new URL('../migrations/', import.meta.url))]);
});
after(async () => database?.close());
beforeEach(async () => {
  answers = [];
  calls.length = 0;
  const accountId = newId('account');
  await database.db.insertInto('accounts').values({ id: accountId, email: 'm@example.com', name: 'M' }).execute();
  merchant = { accountId, livemode: false, keyId: newId('key', false) };
  await database.ownerDb.deleteFrom('audit_outbox' as never).execute();
});

test('vault down (503), unreachable or broken (500): 503, nothing paid, the charge kept as requested and hidden', async () => {
  const { charges } = services();
  for (const answer of [refusal(503, 'service_unavailable', 'card data cannot be processed right now, try again shortly'), new Error('ECONNRESET'), refusal(500, 'internal_error')]) {
    answers = [answer];
    await rejects(charges.create(merchant, { amount: 100000, currency: 'thb', card: TOKEN }, origin), 503, 'service_unavailable');
  }
  const rows = await rowsOf();
  assert.equal(rows.length, 3);
  for (const row of rows) {
    assert.deepEqual([row.exchange, row.status, row.captured_amount, row.authorized, row.paid_at], ['requested', 'pending', 0, false, null]);
    assert.equal(row.token_id, TOKEN, 'what to ask the vault again when reconciling');
    await rejects(charges.retrieve(merchant, row.id), 404, 'not_found');
  }
  assert.equal((await charges.list(merchant, {})).total, 0);
  const audit = await actions();
  assert.deepEqual(audit.filter((a) => a.action === 'charge.create').map((a) => [a.result, a.reason]), Array(3).fill(['failure', 'service_unavailable']));
  assert.equal(audit.filter((a) => a.action === 'charge.request').length, 3);
});

test('vault refusals pass through with their status and code; the charge is marked refused', async () => {
  const { charges } = services();
  const cases: Array<[Answer, number, string]> = [
    [refusal(400, 'used_token', 'token was already used'), 400, 'used_token'],
    [refusal(400, 'invalid_card_token', 'invalid card token'), 400, 'invalid_card_token'],
    [refusal(404, 'not_found', 'card was not found'), 404, 'not_found'],
    [refusal(400, 'some_future_code'), 400, 'bad_request'],
  ];
  for (const [answer, status, code] of cases) {
    answers = [answer];
    await rejects(charges.create(merchant, { amount: 100000, currency: 'thb', card: TOKEN }, origin), status, code);
  }
  assert.deepEqual((await rowsOf()).map((row) => row.exchange), ['refused', 'refused', 'refused', 'refused']);
});

test('an approved answer makes the charge; a refund the vault cannot answer leaves the charge as it was', async () => {
  const { charges, refunds } = services();
  answers = [approved('chrg_test_0000000000000000000')];
  const charge = await charges.create(merchant, { amount: 100000, currency: 'thb', card: TOKEN }, origin);
  assert.deepEqual([charge.status, charge.paid, charge.captured_amount], ['successful', true, 100000]);

  answers = [refusal(503, 'service_unavailable')];
  await rejects(refunds.create(merchant, charge.id, { amount: 1000 }, origin), 503, 'service_unavailable');
  answers = [refusal(400, 'failed_refund', 'the refund amount is more than the captured amount not yet refunded')];
  await rejects(refunds.create(merchant, charge.id, { amount: 1000 }, origin), 400, 'failed_refund');
  const after = await charges.retrieve(merchant, charge.id);
  assert.deepEqual([after.refunded_amount, after.refunds.total], [0, 0]);
  const stored = await database.db.selectFrom('refunds').select(['exchange']).where('account_id', '=', merchant.accountId).orderBy('created_at').execute();
  assert.deepEqual(stored.map((r) => r.exchange), ['requested', 'refused']);

  answers = [approved(charge.id, { refunded_amount: 1000 })];
  const refund = await refunds.create(merchant, charge.id, { amount: 1000 }, origin);
  assert.equal(refund.amount, 1000);
  assert.equal((await charges.retrieve(merchant, charge.id)).refunded_amount, 1000);
  assert.deepEqual(calls, ['authorize', 'refund', 'refund', 'refund']);
});

test('validation happens before the vault is asked', async () => {
  const { charges } = services();
  await rejects(charges.create(merchant, { amount: 100000, currency: 'thb' }, origin), 400, 'missing_card');
  await rejects(charges.create(merchant, { amount: 10, currency: 'thb', card: TOKEN }, origin), 400, 'invalid_charge');
  await rejects(charges.create(merchant, { amount: 100000, currency: 'thb', customer: 'cust_test_0000000000000000000' }, origin), 404, 'not_found');
  assert.deepEqual(calls, []);
  assert.equal((await rowsOf()).length, 0);
});
