// Updating a saved card against a real database and a stand-in vault: the customer must be the
// merchant's (checked before the vault is asked), a vault refusal passes through, an outage is a 503
// and nothing is recorded, a success is audited by field name and announced as `card.update` in the
// same transaction (test/api.customers.test.ts covers the real vault over TLS with the omise client).
import { after, before, beforeEach, test } from 'node:test';
import assert from 'node:assert/strict';
import { auditMigrations, createAudit } from '#lib/audit/index.ts';
import { newId } from '#lib/contracts/index.ts';
import { loadSqlMigrations, sql } from '#lib/db/index.ts';
import { createTestDatabase, type TestDatabase } from '#lib/db/testing.ts';
import { isHttpError } from '#lib/http/index.ts';
import type { ApiDatabase } from '../db.ts';
import type { Merchant } from '../auth/secret-key.auth.ts';
import type { Change } from '../changes/changes.ts';
import type { VaultAnswer, VaultCard } from '../vault/vault-client.ts';
import { createCustomerStore } from './customers.store.ts';
import { createCustomerCardService } from './customer-cards.service.ts';

let database: TestDatabase<ApiDatabase>;
let merchant: Merchant;
let customerId: string;
const origin = { ip: '127.0.0.1', userAgent: 'test', requestId: 'req_test_1' };
const CARD = 'card_test_5x1753iuub61dfe41qa';

let answers: (VaultAnswer<VaultCard> | Error)[] = [];
const calls: string[] = [];
const recorded: Change[] = [];
const vault = {
  updateCard: async (_a: string, _l: boolean, customer: string, card: string, change: object) => {
    calls.push(`update ${customer} ${card} ${JSON.stringify(change)}`);
    const answer = answers.shift();
    if (!answer) throw new Error('unexpected vault call');
    if (answer instanceof Error) throw answer;
    return answer;
  },
  deleteCard: async () => { throw new Error('unexpected vault call'); },
};
function card(change: Partial<VaultCard> = {}): VaultCard {
  return {
    object: 'card', id: CARD, livemode: false, location: `/customers/${customerId}/cards/${CARD}`, deleted: false, street1: null, street2: null,
    city: null, state: null, phone_number: null, postal_code: null, country: 'th', financing: '', bank: '', brand: 'Visa', fingerprint: 'f',
    first_digits: null, last_digits: '4242', name: 'A', expiration_month: 12, expiration_year: 2040, security_code_check: true, tokenization_method: null,
    created_at: '2026-01-01T00:00:00Z', ...change,
  };
}
function service(changes = { record: async (_tx: unknown, change: Change) => void recorded.push(change) }) {
  return createCustomerCardService({
    db: database.db, store: createCustomerStore(database.db), audit: createAudit({ db: database.db, service: 'api' }), vault,
    cardsOf: async () => [card()], changes,
  });
}
async function rejects(promise: Promise<unknown>, status: number, code: string) {
  await assert.rejects(promise, (error: unknown) => {
    assert.ok(isHttpError(error), String(error));
    assert.deepEqual([error.statusCode, error.code], [status, code]);
    return true;
  });
}
const audited = async () => (await sql<{ entry: { action: string; metadata: { fields?: string[] }; targets: unknown[] } }>`
  SELECT entry FROM audit_outbox WHERE entry->>'tenant' = ${merchant.accountId} AND entry->>'action' = 'card.update'`.execute(database.db)).rows.map((row) => row.entry);

before(async () => {
  database = await createTestDatabase<ApiDatabase>([await auditMigrations(), await loadSqlMigrations('api', new URL('../migrations/', import.meta.url))]);
});
after(async () => database?.close());
beforeEach(async () => {
  answers = [];
  calls.length = 0;
  recorded.length = 0;
  const accountId = newId('account');
  await database.db.insertInto('accounts').values({ id: accountId, email: 'm@example.com', name: 'M' }).execute();
  merchant = { accountId, livemode: false, keyId: newId('key', false) };
  customerId = newId('customer', false);
  await database.db.insertInto('customers').values({ id: customerId, account_id: accountId, livemode: false, email: null, description: null, metadata: '{}', default_card: CARD }).execute();
});

test('a change goes to the vault, is audited by field name and announced as card.update with the card as answered', async () => {
  answers = [{ ok: true, status: 200, body: card({ name: 'Malee Saetang', city: 'Chiang Mai' }) }];
  const updated = await service().update(merchant, customerId, CARD, { name: 'Malee Saetang', city: 'Chiang Mai' }, origin);
  assert.equal(updated.name, 'Malee Saetang');
  assert.deepEqual(calls, [`update ${customerId} ${CARD} {"name":"Malee Saetang","city":"Chiang Mai"}`]);
  const entries = await audited();
  assert.equal(entries.length, 1);
  assert.deepEqual(entries[0]!.metadata.fields, ['city', 'name']);
  assert.ok(!JSON.stringify(entries[0]).includes('Malee'), 'values stay out of the audit trail');
  assert.deepEqual(recorded.map((change) => [change.key, change.data.id, change.data.name, change.merchant.accountId]), [['card.update', CARD, 'Malee Saetang', merchant.accountId]]);
});

test("another merchant's, another mode's or a deleted customer is not found, and the vault is not asked", async () => {
  const other: Merchant = { accountId: newId('account'), livemode: false, keyId: newId('key', false) };
  await rejects(service().update(other, customerId, CARD, { name: 'X' }, origin), 404, 'not_found');
  await rejects(service().update({ ...merchant, livemode: true }, customerId, CARD, { name: 'X' }, origin), 404, 'not_found');
  await database.db.updateTable('customers').set({ deleted: true }).where('id', '=', customerId).execute();
  await rejects(service().update(merchant, customerId, CARD, { name: 'X' }, origin), 404, 'not_found');
  await rejects(service().update(merchant, 'cust_bad', CARD, { name: 'X' }, origin), 404, 'not_found');
  assert.deepEqual(calls, []);
  assert.deepEqual(recorded, []);
});

test('a vault refusal passes through (its 404 named as the card), an outage is a 503; nothing is audited or announced', async () => {
  answers = [
    { ok: false, status: 404, body: { object: 'error', code: 'not_found', message: 'card was not found' } },
    { ok: false, status: 400, body: { object: 'error', code: 'invalid_card', message: 'expiration date cannot be in the past' } },
    { ok: false, status: 500, body: { object: 'error', code: 'internal_error', message: 'boom' } },
    new Error('connect ECONNREFUSED'),
  ];
  await assert.rejects(service().update(merchant, customerId, CARD, { name: 'X' }, origin), (error: unknown) =>
    isHttpError(error) && error.statusCode === 404 && error.message === `card ${CARD} was not found`);
  await assert.rejects(service().update(merchant, customerId, CARD, { expiration_year: 2001 }, origin), (error: unknown) =>
    isHttpError(error) && error.code === 'invalid_card' && error.message === 'expiration date cannot be in the past');
  await rejects(service().update(merchant, customerId, CARD, { name: 'X' }, origin), 503, 'service_unavailable');
  await rejects(service().update(merchant, customerId, CARD, { name: 'X' }, origin), 503, 'service_unavailable');
  assert.equal(calls.length, 4);
  assert.deepEqual(await audited(), []);
  assert.deepEqual(recorded, []);
});

test('a listener that fails rolls the audit entry back with it; an empty change answers the card without a vault call', async () => {
  answers = [{ ok: true, status: 200, body: card({ name: 'Y' }) }];
  const failing = { record: async () => { throw new Error('event store unavailable'); } };
  await assert.rejects(service(failing).update(merchant, customerId, CARD, { name: 'Y' }, origin), /event store unavailable/);
  assert.deepEqual(await audited(), []);
  calls.length = 0;
  assert.equal((await service().update(merchant, customerId, CARD, {}, origin)).id, CARD);
  assert.deepEqual([calls, recorded], [[], []]);
});
