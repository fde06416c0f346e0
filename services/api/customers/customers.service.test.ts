// Customers against a real database and a stand-in vault: what happens when the vault refuses, is down
// or never answers, and when the api's own transaction fails after the vault acted (the platform test,
// test/api.customers.test.ts, covers the happy paths over real TLS with the official client).
import { after, before, beforeEach, test } from 'node:test';
import assert from 'node:assert/strict';
import { auditMigrations, createAudit } from '#lib/audit/index.ts';
import { newId } from '#lib/contracts/index.ts';
import { loadSqlMigrations } from '#lib/db/index.ts';
import { createTestDatabase, type TestDatabase } from '#lib/db/testing.ts';
import { isHttpError } from '#lib/http/index.ts';
import type { ApiDatabase } from '../db.ts';
import type { Merchant } from '../auth/secret-key.auth.ts';
import type { VaultAnswer, VaultCard } from '../vault/vault-client.ts';
import { createCustomerStore } from './customers.store.ts';
import { createCustomerService, type CustomerVault } from './customers.service.ts';

let database: TestDatabase<ApiDatabase>;
let merchant: Merchant;
const origin = { ip: '127.0.0.1', userAgent: 'test', requestId: 'req_test_1' };
const TOKEN = 'tokn_test_0000000000000000001';

type Answer = VaultAnswer<unknown> | Error;
let answers: Answer[] = [];
const calls: string[] = [];
async function next<T>(call: string): Promise<VaultAnswer<T>> {
  calls.push(call);
  const answer = answers.shift();
  if (!answer) throw new Error(`unexpected vault call ${call}`);
  if (answer instanceof Error) throw answer;
  return answer as VaultAnswer<T>;
}
const vault: CustomerVault = {
  attachCard: (_a, _l, customer) => next(`attach ${customer}`),
  listCards: (_a, _l, customer) => next(`list ${customer}`),
  deleteCard: (_a, _l, card) => next(`delete ${card}`),
  updateCard: (_a, _l, _c, card) => next(`update ${card}`),
  eraseCustomer: (_a, _l, customer) => next(`erase ${customer}`),
};
const ok = <T>(body: T): Answer => ({ ok: true, status: 200, body });
const refused = (status: number, code: string, message = 'refused'): Answer => ({ ok: false, status, body: { object: 'error', code, message } });
function card(id: string, customer: string | null = null): VaultCard {
  return {
    object: 'card', id, livemode: false, location: customer ? `/customers/${customer}/cards/${id}` : null, deleted: false, street1: null, street2: null,
    city: null, state: null, phone_number: null, postal_code: null, country: 'th', financing: '', bank: '', brand: 'Visa', fingerprint: 'f',
    first_digits: null, last_digits: '4242', name: 'A', expiration_month: 12, expiration_year: 2040, security_code_check: true, tokenization_method: null,
    created_at: '2026-01-01T00:00:00Z',
  };
}
// Not all digits: a long digit run in an id would look like a card number to the audit guard.
const CARD_A = 'card_test_5x1753iuub61dfe41qa';
const CARD_B = 'card_test_5x1753iuub61dfe41qb';

function service(audit: Parameters<typeof createCustomerService>[0]['audit'] = createAudit({ db: database.db, service: 'api' })) {
  return createCustomerService({ db: database.db, store: createCustomerStore(database.db), audit, vault });
}
const failingAudit = { record: async () => { throw new Error('audit store unavailable'); } };

async function rejects(promise: Promise<unknown>, status: number, code: string) {
  await assert.rejects(promise, (error: unknown) => {
    assert.ok(isHttpError(error), String(error));
    assert.deepEqual([error.statusCode, error.code], [status, code]);
    return true;
  });
}
const rows = () => database.db.selectFrom('customers').selectAll().where('account_id', '=', merchant.accountId).execute();
const logged: string[] = [];
const log = { error: (_details: object, message: string) => void logged.push(message) };

before(async () => {
  database = await createTestDatabase<ApiDatabase>([await auditMigrations(), await loadSqlMigrations('api', new URL('../migrations/', import.meta.url))]);
});
after(async () => database?.close());
beforeEach(async () => {
  answers = [];
  calls.length = 0;
  logged.length = 0;
  const accountId = newId('account');
  await database.db.insertInto('accounts').values({ id: accountId, email: 'm@example.com', name: 'M' }).execute();
  merchant = { accountId, livemode: false, keyId: newId('key', false) };
});

test('create: a vault refusal passes through and nothing is created; no answer (unknown outcome) erases what may be attached', async () => {
  const customers = service();
  answers = [refused(400, 'used_token', 'token was already used')];
  await rejects(customers.create(merchant, { card: TOKEN }, origin, log), 400, 'used_token');
  assert.deepEqual(calls.map((call) => call.split(' ')[0]), ['attach'], 'a refusal attached nothing: no clean-up');

  for (const outage of [new Error('ECONNRESET'), refused(503, 'service_unavailable'), refused(500, 'internal_error')]) {
    calls.length = 0;
    answers = [outage, ok({ customer: 'x', deleted_cards: 1 })];
    await rejects(customers.create(merchant, { card: TOKEN }, origin, log), 503, 'service_unavailable');
    const [attach, erase] = calls;
    assert.match(String(attach), /^attach cust_test_/);
    assert.equal(erase, `erase ${attach!.slice('attach '.length)}`, 'the same customer id is erased at the vault');
  }
  assert.deepEqual(await rows(), []);
});

test("create: when the api's transaction fails after the vault attached the card, the card is erased again", async () => {
  answers = [ok(card(CARD_A)), ok({ customer: 'x', deleted_cards: 1 })];
  await assert.rejects(service(failingAudit).create(merchant, { card: TOKEN }, origin, log), /audit store unavailable/);
  assert.deepEqual(calls.map((call) => call.split(' ')[0]), ['attach', 'erase']);
  assert.deepEqual(await rows(), [], 'no customer without its audit entry');
  // A clean-up that fails too is logged for an operator.
  calls.length = 0;
  answers = [ok(card(CARD_A)), new Error('ECONNRESET')];
  await assert.rejects(service(failingAudit).create(merchant, { card: TOKEN }, origin, log), /audit store unavailable/);
  assert.equal(logged.length, 1);
  assert.match(logged[0]!, /customer clean-up failed: erase the cards of cust_test_/);
});

test('update: a card attached for an update that then fails is deleted again; a committed update stands', async () => {
  const customers = service();
  const created = await customers.create(merchant, { email: 'a@example.com' }, origin);
  // default_card names neither a card of the customer nor the new one: 404, and the new card goes.
  answers = [ok({ object: 'list', data: [] }), ok(card(CARD_A, created.id)), ok(card(CARD_A, created.id))];
  await rejects(customers.update(merchant, created.id, { card: TOKEN, default_card: CARD_B }, origin, log), 404, 'not_found');
  assert.deepEqual(calls, [`list ${created.id}`, `attach ${created.id}`, `delete ${CARD_A}`]);

  // The transaction fails (audit): the new card goes, the customer is unchanged.
  calls.length = 0;
  answers = [ok(card(CARD_A, created.id)), ok(card(CARD_A, created.id))];
  await assert.rejects(service(failingAudit).update(merchant, created.id, { card: TOKEN, email: 'b@example.com' }, origin, log), /audit store unavailable/);
  assert.deepEqual(calls, [`attach ${created.id}`, `delete ${CARD_A}`]);
  assert.deepEqual((await rows()).map((row) => [row.email, row.default_card]), [['a@example.com', null]]);

  // The vault cannot list the cards for the answer (and the event's snapshot), before the commit: 503,
  // and nothing of the update stays (its card goes).
  calls.length = 0;
  answers = [ok(card(CARD_A, created.id)), new Error('ECONNRESET'), ok(card(CARD_A, created.id))];
  await rejects(customers.update(merchant, created.id, { card: TOKEN }, origin, log), 503, 'service_unavailable');
  assert.deepEqual(calls, [`attach ${created.id}`, `list ${created.id}`, `delete ${CARD_A}`]);
  assert.deepEqual((await rows()).map((row) => row.default_card), [null]);

  // Committed: the first card becomes the default, and the answer is the customer as it now stands.
  calls.length = 0;
  answers = [ok(card(CARD_A, created.id)), ok({ object: 'list', data: [card(CARD_A, created.id)] })];
  const updated = await customers.update(merchant, created.id, { card: TOKEN }, origin, log);
  assert.deepEqual(calls, [`attach ${created.id}`, `list ${created.id}`], 'one listing, for the answer and the event alike');
  assert.deepEqual([updated.default_card, updated.cards.total], [CARD_A, 1]);
  assert.deepEqual((await rows()).map((row) => row.default_card), [CARD_A], 'the first card became the default');
});

test('destroy: the vault erases first; down or refusing, the customer is not deleted', async () => {
  const customers = service();
  const created = await customers.create(merchant, {}, origin);
  for (const outage of [new Error('ETIMEDOUT'), refused(503, 'service_unavailable')]) {
    answers = [outage];
    await rejects(customers.destroy(merchant, created.id, origin), 503, 'service_unavailable');
  }
  assert.deepEqual((await rows()).map((row) => row.deleted), [false]);
  answers = [ok({ customer: created.id, deleted_cards: 2 })];
  const destroyed = await customers.destroy(merchant, created.id, origin);
  assert.deepEqual([destroyed.deleted, destroyed.default_card, destroyed.cards.total], [true, null, 0]);
  await rejects(customers.destroy(merchant, created.id, origin), 404, 'not_found');
  await rejects(customers.retrieve(merchant, created.id), 404, 'not_found');
});

test('cards: deleting the default moves it to the newest card left; a vault outage leaves everything as it was', async () => {
  const customers = service();
  answers = [ok(card(CARD_A))];
  const created = await customers.create(merchant, { card: TOKEN }, origin);
  assert.equal(created.default_card, CARD_A);
  const both = ok({ object: 'list', data: [card(CARD_A, created.id), card(CARD_B, created.id)] });

  answers = [both, new Error('ECONNRESET')];
  await rejects(customers.cards.destroy(merchant, created.id, CARD_A, origin), 503, 'service_unavailable');
  assert.deepEqual((await rows()).map((row) => row.default_card), [CARD_A]);

  answers = [both, ok({ ...card(CARD_A, created.id), deleted: true })];
  const deleted = await customers.cards.destroy(merchant, created.id, CARD_A, origin);
  assert.equal(deleted.deleted, true);
  assert.deepEqual((await rows()).map((row) => row.default_card), [CARD_B]);

  // A card of the vault's that is not in this customer's list is not found, and never deleted.
  calls.length = 0;
  answers = [ok({ object: 'list', data: [card(CARD_B, created.id)] })];
  await rejects(customers.cards.destroy(merchant, created.id, CARD_A, origin), 404, 'not_found');
  assert.deepEqual(calls, [`list ${created.id}`]);
  // Reads with the vault down are 503, never a 500.
  answers = [new Error('ECONNREFUSED'), new Error('ECONNREFUSED'), new Error('ECONNREFUSED')];
  await rejects(customers.retrieve(merchant, created.id), 503, 'service_unavailable');
  await rejects(customers.list(merchant, {}), 503, 'service_unavailable');
  await rejects(customers.cards.list(merchant, created.id, {}), 503, 'service_unavailable');
});
