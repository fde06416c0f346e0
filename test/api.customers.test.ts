// Customers and their saved cards on the real platform (`strongroom start`: kms, vault, api over TLS and
// mTLS), driven by the OFFICIAL omise client, unmodified: tokens on the vault host, customers on the api
// host. Covers §7.5 (customer), §7.1 (card), §8.5 (routes), tenant isolation, vault refusals passed
// through (used_token), bad input (Omise error objects, never a 500) and a form-encoded request.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import https from 'node:https';
import { createRequire } from 'node:module';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createAudit } from '#lib/audit/index.ts';
import { openDatabase, sql, type Kysely } from '#lib/db/index.ts';
import { routeOmiseClientTo } from '../services/vault/testing.ts';
import { createAccountService } from '../services/api/accounts/accounts.service.ts';
import { createAccountStore } from '../services/api/accounts/accounts.store.ts';
import type { ApiDatabase } from '../services/api/db.ts';
import { httpsJson, startPlatform, type RunningPlatform, retryUntil } from './platform-harness.ts';

type Obj = Record<string, any>;
type Client = {
  tokens: { create(data: object): Promise<Obj>; retrieve(id: string): Promise<Obj> };
  customers: {
    create(data: object): Promise<Obj>; list(params?: object): Promise<Obj>; retrieve(id?: string): Promise<Obj>;
    update(id: string, data?: object): Promise<Obj>; destroy(id: string): Promise<Obj>;
    listCards(id: string, params?: object): Promise<Obj>; retrieveCard(id: string, cardId: string): Promise<Obj>;
    updateCard(id: string, cardId: string, data: object): Promise<Obj>; destroyCard(id: string, cardId: string): Promise<Obj>;
  };
  charges: { create(data: object): Promise<Obj> };
};
// The official client, loaded as its README shows (CommonJS, `require('omise')(config)`).
const omise = createRequire(import.meta.url)('omise') as (config: { publicKey?: string; secretKey?: string; host: string; vaultHost: string }) => Client;

const VISA = '4242424242424242';
const MASTERCARD = '5555555555554444';
const CUSTOMER_KEYS = ['object', 'id', 'livemode', 'location', 'deleted', 'metadata', 'cards', 'linked_accounts', 'default_card', 'description', 'email', 'created_at'];
const CARD_KEYS = [
  'object', 'id', 'livemode', 'location', 'deleted', 'street1', 'street2', 'city', 'state', 'phone_number', 'postal_code', 'country',
  'financing', 'bank', 'brand', 'fingerprint', 'first_digits', 'last_digits', 'name', 'expiration_month', 'expiration_year',
  'security_code_check', 'tokenization_method', 'created_at',
];
const LIST_KEYS = ['object', 'data', 'limit', 'offset', 'total', 'order', 'from', 'to', 'location'];
const TIME = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/;

/** The omise client rejects with the parsed Omise error object; anything else is a failure here. */
async function refusal(promise: Promise<unknown>): Promise<Obj> {
  try {
    await promise;
  } catch (error) {
    assert.equal((error as Obj)?.object, 'error', `expected an Omise error object, got ${JSON.stringify(error)}`);
    return error as Obj;
  }
  assert.fail('expected the request to be refused');
}

describe('customers and cards over the official omise client', () => {
  let platform: RunningPlatform;
  let restore: (() => void) | undefined;
  let client: Client;
  let demo: { accountId: string; publicKey: string; secretKey: string };
  let apiDb: Kysely<ApiDatabase>;

  const token = (number = VISA, extra: object = {}) =>
    client.tokens.create({ card: { name: 'Somchai Prasert', number, expiration_month: 12, expiration_year: 2040, security_code: '123', city: 'Bangkok', postal_code: '10320', ...extra } });
  const raw = (path: string, init: { method?: string; body?: unknown; auth?: string } = {}) =>
    httpsJson(platform, platform.ports.api, path, { auth: demo.secretKey, ...init });
  /** A raw request with a form-encoded body, as the Omise reference's curl examples send it. */
  const form = (method: string, path: string, body: string) => new Promise<{ status: number; json: Obj }>((resolve, reject) => {
    const request = https.request({
      host: '127.0.0.1', servername: 'localhost', port: platform.ports.api, path, method, ca: platform.caPem, agent: false,
      headers: {
        'content-type': 'application/x-www-form-urlencoded', 'content-length': Buffer.byteLength(body),
        authorization: `Basic ${Buffer.from(`${demo.secretKey}:`).toString('base64')}`,
      },
    }, (response) => {
      let text = '';
      response.on('data', (chunk: Buffer) => (text += chunk.toString()));
      response.on('end', () => resolve({ status: response.statusCode ?? 0, json: JSON.parse(text) as Obj }));
    });
    request.on('error', reject);
    request.end(body);
  });
  const auditOf = async (type: string, id: string) => (await sql<{ entry: Obj }>`
    SELECT entry FROM (SELECT entry FROM audit_log UNION ALL SELECT entry FROM audit_outbox) AS e
    WHERE entry -> 'targets' @> ${JSON.stringify([{ type, id }])}::jsonb`.execute(apiDb)).rows.map((row) => row.entry);

  before(async () => {
    platform = await startPlatform();
    demo = JSON.parse(await readFile(join(platform.dataDir, 'demo.json'), 'utf8'));
    restore = routeOmiseClientTo({ localhost: platform.ports.vault, '127.0.0.1': platform.ports.api }, platform.caPem);
    client = omise({ publicKey: demo.publicKey, secretKey: demo.secretKey, host: '127.0.0.1', vaultHost: 'localhost' });
    const config = JSON.parse(await readFile(join(platform.dataDir, 'services', 'api', 'config.json'), 'utf8')) as { databaseUrl: string };
    apiDb = openDatabase<ApiDatabase>(config.databaseUrl, { max: 2 });
    // The api pushes public-key hashes to the vault asynchronously: wait until the vault knows the demo key.
    await retryUntil(() => token(), 'the vault never accepted the demo public key');
  });
  after(async () => {
    restore?.();
    await apiDb?.destroy();
    await platform?.stop();
  });

  test('create with a token: the card is saved and becomes default_card; card metadata, never a card number', async () => {
    const tok = await token(VISA, { name: 'Malee Saetang' });
    const created = await client.customers.create({ email: 'malee@example.com', description: 'loyal', metadata: { tier: 'gold', n: 3 }, card: tok.id });
    assert.deepEqual(Object.keys(created).sort(), [...CUSTOMER_KEYS].sort(), 'every §7.5 field, and no other');
    assert.match(created.id, /^cust_test_[0-9a-z]{19}$/);
    assert.deepEqual(
      { object: created.object, livemode: created.livemode, location: created.location, deleted: created.deleted, email: created.email,
        description: created.description, metadata: created.metadata, default_card: created.default_card },
      { object: 'customer', livemode: false, location: `/customers/${created.id}`, deleted: false, email: 'malee@example.com',
        description: 'loyal', metadata: { tier: 'gold', n: 3 }, default_card: tok.card.id },
      'the token\'s card keeps its id (§7.1) and is the default',
    );
    assert.match(created.created_at, TIME);
    assert.deepEqual(Object.keys(created.cards).sort(), [...LIST_KEYS].sort());
    assert.deepEqual([created.cards.object, created.cards.location, created.cards.total, created.cards.limit, created.cards.offset, created.cards.order],
      ['list', `/customers/${created.id}/cards`, 1, 20, 0, 'chronological']);
    assert.deepEqual([created.linked_accounts.object, created.linked_accounts.total], ['list', 0]);
    const card = created.cards.data[0];
    assert.deepEqual(Object.keys(card).sort(), [...CARD_KEYS].sort(), 'every §7.1 field, and no other');
    assert.deepEqual(
      { id: card.id, object: card.object, location: card.location, deleted: card.deleted, brand: card.brand, last_digits: card.last_digits,
        first_digits: card.first_digits, name: card.name, expiration_month: card.expiration_month, expiration_year: card.expiration_year,
        city: card.city, postal_code: card.postal_code, fingerprint: card.fingerprint },
      { id: tok.card.id, object: 'card', location: `/customers/${created.id}/cards/${tok.card.id}`, deleted: false, brand: 'Visa', last_digits: '4242',
        first_digits: null, name: 'Malee Saetang', expiration_month: 12, expiration_year: 2040, city: 'Bangkok', postal_code: '10320',
        fingerprint: tok.card.fingerprint },
    );
    assert.ok(!JSON.stringify(created).includes(VISA), 'no card number in the customer');
    assert.equal((await client.tokens.retrieve(tok.id)).used, true, 'attaching uses the token');

    const read = await client.customers.retrieve(created.id);
    assert.deepEqual({ ...read, cards: { ...read.cards, to: null } }, { ...created, cards: { ...created.cards, to: null }, linked_accounts: read.linked_accounts });
    const entries = await auditOf('customer', created.id);
    assert.deepEqual(entries.map((entry) => entry.action), ['customer.create']);
    const [entry] = entries as [Obj];
    assert.equal(entry.actor.type, 'api_key');
    assert.match(entry.actor.id, /^key_/);
    assert.equal(entry.tenant, demo.accountId);
    assert.deepEqual(entry.targets, [{ type: 'customer', id: created.id }, { type: 'card', id: tok.card.id }]);
    assert.ok(!JSON.stringify(entries).includes('malee@example.com'), 'field names are audited, not e-mail addresses');

    // A customer without a card has none, and no default.
    const bare = await client.customers.create({});
    assert.deepEqual([bare.default_card, bare.cards.total, bare.email, bare.description, bare.metadata], [null, 0, null, null, {}]);
  });

  test('update adds a second card, picks the default; cards are listed, read, updated, deleted (the default moves)', async () => {
    const first = await token(VISA);
    const customer = await client.customers.create({ email: 'two@example.com', card: first.id });
    const second = await token(MASTERCARD, { name: 'Second Card' });
    const updated = await client.customers.update(customer.id, { card: second.id, description: 'two cards', metadata: { plan: 'b' } });
    assert.deepEqual([updated.default_card, updated.cards.total, updated.description, updated.metadata, updated.email],
      [first.card.id, 2, 'two cards', { plan: 'b' }, 'two@example.com'], 'an added card does not replace the default');
    assert.deepEqual(updated.cards.data.map((card: Obj) => card.id).sort(), [first.card.id, second.card.id].sort());

    const picked = await client.customers.update(customer.id, { default_card: second.card.id });
    assert.equal(picked.default_card, second.card.id);
    assert.equal((await refusal(client.customers.update(customer.id, { default_card: 'card_test_0000000000000000000' }))).code, 'not_found');
    // The client sends an empty body when there is nothing to change.
    assert.equal((await client.customers.update(customer.id)).id, customer.id);

    const all = await client.customers.listCards(customer.id);
    assert.deepEqual([all.object, all.location, all.total, all.data.length], ['list', `/customers/${customer.id}/cards`, 2, 2]);
    const page = await client.customers.listCards(customer.id, { limit: 1, order: 'reverse_chronological' });
    assert.deepEqual([page.total, page.limit, page.order, page.data.length], [2, 1, 'reverse_chronological', 1]);
    assert.equal((await client.customers.listCards(customer.id, { offset: 1 })).data.length, 1);
    assert.equal((await client.customers.listCards(customer.id, { from: '2099-01-01T00:00:00Z', to: '2099-12-31T00:00:00Z' })).total, 0);
    assert.equal((await refusal(client.customers.listCards(customer.id, { order: 'sideways' }))).code, 'bad_request');

    const card = await client.customers.retrieveCard(customer.id, second.card.id);
    assert.deepEqual([card.id, card.brand, card.last_digits, card.name, card.location],
      [second.card.id, 'MasterCard', '4444', 'Second Card', `/customers/${customer.id}/cards/${second.card.id}`]);
    assert.ok(!JSON.stringify(card).includes(MASTERCARD));

    // Card update (§8.5): name, expiry, city and postal code change at the vault; never the number.
    const changed = await client.customers.updateCard(customer.id, second.card.id, { name: 'New Name', expiration_month: 1, expiration_year: 2041, city: 'Chiang Mai', postal_code: '50200' });
    assert.deepEqual(Object.keys(changed).sort(), [...CARD_KEYS].sort());
    assert.deepEqual([changed.id, changed.name, changed.expiration_month, changed.expiration_year, changed.city, changed.postal_code, changed.last_digits, changed.fingerprint],
      [second.card.id, 'New Name', 1, 2041, 'Chiang Mai', '50200', '4444', card.fingerprint]);
    assert.ok(!JSON.stringify(changed).includes(MASTERCARD));
    assert.deepEqual(await client.customers.retrieveCard(customer.id, second.card.id), changed);
    const one = await raw(`/customers/${customer.id}/cards/${second.card.id}`, { method: 'PATCH', body: { city: 'Phuket' } });
    assert.deepEqual([one.status, one.body.city, one.body.name], [200, 'Phuket', 'New Name'], 'one field alone');
    assert.deepEqual(await client.customers.updateCard(customer.id, second.card.id, {}), { ...changed, city: 'Phuket' }, 'nothing to change: the card');
    const past = await refusal(client.customers.updateCard(customer.id, second.card.id, { expiration_month: 1, expiration_year: 2020 }));
    assert.deepEqual([past.code, past.message], ['invalid_card', 'expiration date cannot be in the past']);
    assert.equal((await refusal(client.customers.updateCard(customer.id, second.card.id, { expiration_month: 13 }))).code, 'bad_request');
    assert.equal((await refusal(client.customers.updateCard(customer.id, second.card.id, { number: '4111111111111111' }))).code, 'bad_request');
    assert.equal((await client.customers.retrieveCard(customer.id, second.card.id)).expiration_year, 2041, 'refusals change nothing');
    const updates = await auditOf('card', second.card.id);
    assert.ok(updates.some((entry) => entry.action === 'card.update' && JSON.stringify(entry.metadata.fields) === JSON.stringify(['city', 'expiration_month', 'expiration_year', 'name', 'postal_code'])));

    // Deleting the default: the full card with deleted:true; the most recent card left becomes the default.
    const deleted = await client.customers.destroyCard(customer.id, second.card.id);
    assert.deepEqual(Object.keys(deleted).sort(), [...CARD_KEYS].sort());
    assert.deepEqual([deleted.object, deleted.id, deleted.deleted, deleted.last_digits], ['card', second.card.id, true, '4444']);
    const remaining = await client.customers.retrieve(customer.id);
    assert.deepEqual([remaining.default_card, remaining.cards.total, remaining.cards.data[0].id], [first.card.id, 1, first.card.id]);
    assert.equal((await refusal(client.customers.retrieveCard(customer.id, second.card.id))).code, 'not_found');
    assert.equal((await refusal(client.customers.destroyCard(customer.id, second.card.id))).code, 'not_found');
    // The last card gone: no default.
    await client.customers.destroyCard(customer.id, first.card.id);
    assert.deepEqual([(await client.customers.retrieve(customer.id)).default_card, (await client.customers.listCards(customer.id)).total], [null, 0]);
    // A card added to a customer without cards becomes the default.
    const third = await token();
    assert.equal((await client.customers.update(customer.id, { card: third.id })).default_card, third.card.id);

    const actions = (await auditOf('customer', customer.id)).map((entry) => entry.action).sort();
    assert.deepEqual(actions, ['card.destroy', 'card.destroy', 'card.update', 'card.update', 'customer.create', 'customer.update', 'customer.update', 'customer.update', 'customer.update']);
  });

  test('destroy: the full customer with deleted:true, its cards erased at the vault; then it is gone', async () => {
    const tok = await token();
    const customer = await client.customers.create({ email: 'gone@example.com', card: tok.id });
    const before = (await client.customers.list({ limit: 100 })).total;
    const destroyed = await client.customers.destroy(customer.id);
    assert.deepEqual(Object.keys(destroyed).sort(), [...CUSTOMER_KEYS].sort());
    assert.deepEqual([destroyed.id, destroyed.deleted, destroyed.default_card, destroyed.cards.total, destroyed.email],
      [customer.id, true, null, 0, 'gone@example.com']);
    assert.equal((await refusal(client.customers.retrieve(customer.id))).code, 'not_found');
    assert.equal((await refusal(client.customers.destroy(customer.id))).code, 'not_found');
    assert.equal((await refusal(client.customers.listCards(customer.id))).code, 'not_found');
    assert.equal((await refusal(client.customers.update(customer.id, { email: 'back@example.com' }))).code, 'not_found');
    assert.equal((await client.customers.list({ limit: 100 })).total, before - 1);
    // Erased at the vault too: the card cannot be charged, with or without the customer.
    const charge = await refusal(client.charges.create({ amount: 100000, currency: 'thb', customer: customer.id, card: tok.card.id }));
    assert.equal(charge.code, 'not_found');
    const entry = (await auditOf('customer', customer.id)).find((e) => e.action === 'customer.destroy');
    assert.equal(entry?.metadata.cards_deleted, 1);
  });

  test('list: the section 5 list of customers, each with its cards; retrieve() without an id lists too', async () => {
    const tok = await token();
    const newest = await client.customers.create({ description: 'newest', card: tok.id });
    const list = await client.customers.list({ limit: 2, order: 'reverse_chronological' });
    assert.deepEqual(Object.keys(list).sort(), [...LIST_KEYS].sort());
    assert.deepEqual([list.object, list.location, list.limit, list.offset, list.order], ['list', '/customers', 2, 0, 'reverse_chronological']);
    assert.ok(list.total >= 2);
    assert.equal(list.data.length, 2);
    assert.equal(list.data[0].id, newest.id);
    assert.deepEqual([list.data[0].cards.total, list.data[0].cards.data[0].id], [1, tok.card.id]);
    assert.ok(!list.data.some((customer: Obj) => customer.deleted), 'deleted customers are not listed');
    const everything = await client.customers.retrieve();
    assert.equal(everything.object, 'list');
    assert.equal(everything.total, list.total);
    assert.equal((await client.customers.list({ from: '2099-01-01T00:00:00Z', to: '2099-12-31T00:00:00Z' })).total, 0);
    assert.equal((await refusal(client.customers.list({ limit: 'many' }))).code, 'bad_request');
  });

  test('a used token is refused with 400 used_token (and nothing is created); an unknown one with invalid_card_token', async () => {
    const tok = await token();
    await client.customers.create({ card: tok.id });
    const count = (await client.customers.list()).total;
    const used = await refusal(client.customers.create({ email: 'again@example.com', card: tok.id }));
    assert.deepEqual([used.code, used.message], ['used_token', 'token was already used']);
    const status = await raw('/customers', { method: 'POST', body: { card: tok.id } });
    assert.deepEqual([status.status, status.body.code], [400, 'used_token'], 'the vault status passes through');
    assert.equal((await client.customers.list()).total, count, 'no customer was created');

    const other = await client.customers.create({});
    assert.equal((await refusal(client.customers.update(other.id, { card: tok.id }))).code, 'used_token');
    assert.equal((await client.customers.retrieve(other.id)).cards.total, 0);
    const unknown = await raw('/customers', { method: 'POST', body: { card: 'tokn_test_0000000000000000000' } });
    assert.deepEqual([unknown.status, unknown.body.code], [400, 'invalid_card_token']);
    // A card id is not a token.
    assert.equal((await refusal(client.customers.update(other.id, { card: tok.card.id }))).code, 'invalid_card_token');
  });

  test("another merchant's customers and cards are not found; unknown and malformed ids are 404", async () => {
    const tok = await token();
    const mine = await client.customers.create({ email: 'mine@example.com', card: tok.id });
    const accounts = createAccountService({ db: apiDb, store: createAccountStore(apiDb), audit: createAudit({ db: apiDb, service: 'api' }) });
    const other = await accounts.createAccount({ email: 'other-customers@merchant.test', name: 'Other merchant' }, { type: 'system', id: 'api-customers-test' });
    const theirs = omise({ secretKey: other.secretKey, publicKey: other.publicKey, host: '127.0.0.1', vaultHost: 'localhost' });
    const hidden = await refusal(theirs.customers.retrieve(mine.id));
    assert.deepEqual([hidden.code, hidden.message], ['not_found', `customer ${mine.id} was not found`]);
    for (const attempt of [
      () => theirs.customers.update(mine.id, { email: 'stolen@example.com' }), () => theirs.customers.destroy(mine.id),
      () => theirs.customers.listCards(mine.id), () => theirs.customers.retrieveCard(mine.id, tok.card.id),
      () => theirs.customers.updateCard(mine.id, tok.card.id, {}), () => theirs.customers.destroyCard(mine.id, tok.card.id),
    ]) assert.equal((await refusal(attempt())).code, 'not_found');
    assert.equal((await theirs.customers.list()).total, 0);
    assert.equal((await raw(`/customers/${mine.id}`, { auth: other.secretKey })).status, 404);
    const still = await client.customers.retrieve(mine.id);
    assert.deepEqual([still.email, still.deleted, still.cards.total], ['mine@example.com', false, 1], 'untouched');

    // Another customer of the same merchant does not reach this customer's card.
    const sibling = await client.customers.create({});
    assert.equal((await refusal(client.customers.retrieveCard(sibling.id, tok.card.id))).code, 'not_found');
    assert.equal((await refusal(client.customers.destroyCard(sibling.id, tok.card.id))).code, 'not_found');
    assert.equal((await refusal(client.customers.updateCard(sibling.id, tok.card.id, { name: 'Sibling' }))).code, 'not_found');
    assert.equal((await refusal(theirs.customers.updateCard(mine.id, tok.card.id, { name: 'Stolen' }))).code, 'not_found');
    assert.equal((await client.customers.retrieveCard(mine.id, tok.card.id)).name, tok.card.name, 'untouched by either');
    assert.equal((await refusal(client.customers.update(sibling.id, { default_card: tok.card.id }))).code, 'not_found');
    assert.equal((await client.customers.retrieve(mine.id)).cards.total, 1);

    for (const id of ['cust_test_0000000000000000000', 'nope', 'cust_test_', 'x'.repeat(90)]) {
      const missing = await raw(`/customers/${id}`);
      assert.deepEqual([missing.status, missing.body.object, missing.body.code], [404, 'error', 'not_found'], id);
      assert.ok(!JSON.stringify(missing.body).includes('x'.repeat(20)), 'long input is not echoed');
      assert.equal((await raw(`/customers/${id}/cards`)).status, 404, id);
    }
    for (const cardId of ['card_test_0000000000000000000', 'nope', tok.id]) {
      const missing = await raw(`/customers/${mine.id}/cards/${cardId}`);
      assert.deepEqual([missing.status, missing.body.code], [404, 'not_found'], cardId);
      assert.equal((await raw(`/customers/${mine.id}/cards/${cardId}`, { method: 'DELETE' })).status, 404, cardId);
    }
  });

  test('bad input is a 400 Omise error, never a 500', async () => {
    const customer = await client.customers.create({});
    const cases: Array<[string, string, unknown, RegExp]> = [
      ['POST', '/customers', { email: 'not-an-email' }, /email/],
      ['POST', '/customers', { admin: true }, /admin is not allowed/],
      ['POST', '/customers', { metadata: 'flat' }, /metadata/],
      ['POST', '/customers', { metadata: Object.fromEntries(Array.from({ length: 51 }, (_, i) => [`k${i}`, i])) }, /metadata/],
      ['POST', '/customers', { description: 'x'.repeat(256) }, /description/],
      ['POST', '/customers', { card: '' }, /card/],
      ['POST', '/customers', [1, 2], /body/],
      ['PATCH', `/customers/${customer.id}`, { default_card: '' }, /default_card/],
      ['PATCH', `/customers/${customer.id}`, { linked_account: 'x' }, /linked_account is not allowed/],
    ];
    for (const [method, path, body, message] of cases) {
      const answer = await raw(path, { method, body });
      assert.deepEqual([answer.status, answer.body.object, answer.body.code], [400, 'error', 'bad_request'], `${method} ${path} ${JSON.stringify(body).slice(0, 60)}`);
      assert.match(answer.body.message, message);
    }
  });

  test('form-encoded bodies with bracketed keys work like JSON (curl style)', async () => {
    const created = await form('POST', '/customers', 'email=a%40b.c&description=from+curl&metadata[order]=42&metadata[gift][wrap]=yes');
    assert.equal(created.status, 200, JSON.stringify(created.json));
    assert.deepEqual([created.json.object, created.json.email, created.json.description, created.json.metadata],
      ['customer', 'a@b.c', 'from curl', { order: '42', gift: { wrap: 'yes' } }]);
    const tok = await token();
    const updated = await form('PATCH', `/customers/${created.json.id}`, `card=${tok.id}&metadata[order]=43`);
    assert.equal(updated.status, 200, JSON.stringify(updated.json));
    assert.deepEqual([updated.json.default_card, updated.json.cards.total, updated.json.metadata], [tok.card.id, 1, { order: '43' }]);
    const badMonth = await form('PATCH', `/customers/${created.json.id}/cards/${tok.card.id}`, 'expiration_month=13');
    assert.deepEqual([badMonth.status, badMonth.json.code], [400, 'bad_request'], 'coerced, then validated');
    const polluted = await form('POST', '/customers', '__proto__[admin]=1&constructor[prototype][admin]=1&email=p%40q.r');
    assert.deepEqual([polluted.status, polluted.json.email], [200, 'p@q.r']);
    assert.equal(({} as Obj).admin, undefined);
    const bad = await form('POST', '/customers', 'email=%zz');
    assert.deepEqual([bad.status, bad.json.object, bad.json.code], [400, 'error', 'bad_request']);
    const unknown = await form('POST', '/customers', 'email=a%40b.c&role=admin');
    assert.deepEqual([unknown.status, unknown.json.code], [400, 'bad_request']);
  });

  test('explicit null: none for email and description (an update clears them), refused for every other field', async () => {
    const created = await client.customers.create({ email: null, description: null, metadata: { tier: 'gold' } });
    assert.deepEqual([created.email, created.description, created.metadata], [null, null, { tier: 'gold' }]);
    await client.customers.update(created.id, { email: 'n@example.com', description: 'named' });
    const cleared = await client.customers.update(created.id, { email: null, description: null });
    assert.deepEqual([cleared.email, cleared.description, cleared.metadata], [null, null, { tier: 'gold' }]);
    const tok = await token();
    const carded = await client.customers.create({ card: tok.id });
    const cases: Array<[string, string, string]> = [
      ['POST', '/customers', 'card'], ['POST', '/customers', 'metadata'], ['PATCH', `/customers/${created.id}`, 'card'],
      ['PATCH', `/customers/${created.id}`, 'default_card'], ['PATCH', `/customers/${created.id}`, 'metadata'],
      ...['name', 'expiration_month', 'expiration_year', 'city', 'postal_code'].map((field): [string, string, string] => ['PATCH', `/customers/${carded.id}/cards/${tok.card.id}`, field]),
    ];
    for (const [method, path, field] of cases) {
      const answer = await raw(path, { method, body: { [field]: null } });
      assert.deepEqual([answer.status, answer.body.code], [400, 'bad_request'], `${method} ${path} ${field}`);
      assert.ok(String(answer.body.message).startsWith(`${field} cannot be null: send `), `${method} ${path} ${field}: ${answer.body.message}`);
    }
    const card = await client.customers.retrieveCard(carded.id, tok.card.id);
    assert.deepEqual([card.expiration_month, card.city, card.name], [tok.card.expiration_month, 'Bangkok', tok.card.name], 'the card is untouched');
    assert.deepEqual((await client.customers.retrieve(created.id)).metadata, { tier: 'gold' });
  });

  test('metadata nested 2,000 deep is a 400 on create and update, before the token is used', async () => {
    // Raw requests: the omise client itself overflows its stack copying a body this deep (lodash merge).
    const deep = JSON.parse(`${'{"a":'.repeat(2000)}1${'}'.repeat(2000)}`) as Obj;
    const tooDeep = (answer: { status: number; body: Obj }) => {
      assert.deepEqual([answer.status, answer.body.code, answer.body.message], [400, 'bad_request', 'metadata is nested more than 5 levels deep (at metadata.a.a.a.a.a)']);
    };
    const tok = await token();
    tooDeep(await raw('/customers', { method: 'POST', body: { card: tok.id, metadata: deep } }));
    const customer = await client.customers.create({ card: tok.id, metadata: { plan: 'a' } });
    assert.equal(customer.default_card, tok.card.id, 'the token was still unused');
    const second = await token();
    tooDeep(await raw(`/customers/${customer.id}`, { method: 'PATCH', body: { card: second.id, metadata: deep } }));
    assert.equal((await refusal(client.customers.update(customer.id, { metadata: { note: 'a\u0000b' } }))).code, 'bad_request', 'text PostgreSQL refuses');
    const nul = await raw('/customers', { method: 'POST', body: { description: 'a\u0000b' } });
    assert.deepEqual([nul.status, nul.body.code, nul.body.message], [400, 'bad_request', 'description holds a NUL character, which cannot be stored'], 'not a failed query (500)');
    const after = await client.customers.retrieve(customer.id);
    assert.deepEqual([after.metadata, after.cards.total], [{ plan: 'a' }, 1], 'nothing changed, no card added');
    assert.equal((await client.customers.update(customer.id, { card: second.id })).cards.total, 2, 'the second token was still unused');
  });

  test('a 2,000-character User-Agent does not fail a change: it is audited cut to 512 characters (one holding a card number, withheld)', async () => {
    const send = (userAgent: string) => httpsJson(platform, platform.ports.api, '/customers', { auth: demo.secretKey, method: 'POST', body: { description: 'agent' }, headers: { 'user-agent': userAgent } });
    const agent = `strongroom-test/1.0 ${'x'.repeat(1980)}`;
    const created = await send(agent);
    assert.equal(created.status, 200, JSON.stringify(created.body));
    const [entry] = await auditOf('customer', created.body.id);
    assert.deepEqual([entry?.action, entry?.origin.userAgent], ['customer.create', agent.slice(0, 512)]);
    const withheld = await send(`curl/8.0 (card ${VISA})`);
    assert.equal(withheld.status, 200, JSON.stringify(withheld.body));
    assert.equal((await auditOf('customer', withheld.body.id))[0]?.origin.userAgent, '[withheld: held a card number or a secret]');
  });

  test("nothing above made the api answer 500 or log a card number", async () => {
    const lines = (await readFile(join(platform.dataDir, 'logs', 'api.log'), 'utf8')).trim().split('\n').map((line) => JSON.parse(line) as Obj);
    const completed = lines.filter((line) => line.msg === 'request completed' && String(line.url).startsWith('/customers'));
    assert.ok(completed.length > 50, 'the log holds this file\'s requests');
    assert.deepEqual(completed.filter((line) => line.statusCode >= 500).map((line) => `${line.method} ${line.url} ${line.statusCode}`), []);
    const text = lines.map((line) => JSON.stringify(line)).join('\n');
    assert.ok(!text.includes(VISA) && !text.includes(MASTERCARD) && !text.includes('customer clean-up failed'));
  });
});
