// Charges and refunds on the real platform (`strongroom start`: kms, vault, api over TLS and mTLS),
// driven by the OFFICIAL omise client, unmodified: tokens on the vault host, charges on the api host.
// Covers the status/flag table and fee arithmetic of docs/omise-compat.md §7.3, refunds (§7.4), test
// cards (§10), lists (§5), tenant isolation and bad input (Omise error objects, never a 500).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
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
  customers: { create(data: object): Promise<Obj> };
  charges: {
    create(data: object): Promise<Obj>; list(params?: object): Promise<Obj>; retrieve(id?: string): Promise<Obj>;
    update(id: string, data: object): Promise<Obj>; capture(id: string, data?: object): Promise<Obj>;
    reverse(id: string): Promise<Obj>; expire(id: string): Promise<Obj>; createRefund(id: string, data: object): Promise<Obj>;
    listRefunds(id: string): Promise<Obj>; retrieveRefund(id: string, refundId: string): Promise<Obj>;
  };
};
// The official client, loaded as its README shows (CommonJS, `require('omise')(config)`).
const omise = createRequire(import.meta.url)('omise') as (config: { publicKey?: string; secretKey?: string; host: string; vaultHost: string }) => Client;

const VISA = '4242424242424242';
const CHARGE_KEYS = [
  'object', 'id', 'livemode', 'location', 'amount', 'currency', 'description', 'metadata', 'status', 'capture', 'authorization_type',
  'authorized', 'authorized_amount', 'captured_amount', 'authorized_at', 'paid', 'paid_at', 'capturable', 'reversible', 'reversed',
  'reversed_at', 'refundable', 'partially_refundable', 'refunded_amount', 'refunds', 'voided', 'can_perform_void', 'disputable',
  'dispute', 'expired', 'expires_at', 'expired_at', 'failure_code', 'failure_message', 'merchant_advice', 'merchant_advice_code',
  'missing_3ds_fields', 'authenticated_by', 'authorize_uri', 'return_uri', 'card', 'customer', 'source', 'transaction', 'ip', 'fee',
  'fee_vat', 'net', 'interest', 'interest_vat', 'funding_amount', 'funding_currency', 'transaction_fees', 'platform_fee', 'link',
  'schedule', 'linked_account', 'branch', 'terminal', 'device', 'zero_interest_installments', 'multi_capture', 'approval_code',
  'acquirer_reference_number', 'created_at',
];
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

describe('charges and refunds over the official omise client', () => {
  let platform: RunningPlatform;
  let restore: (() => void) | undefined;
  let client: Client;
  let demo: { accountId: string; publicKey: string; secretKey: string };
  let apiDb: Kysely<ApiDatabase>;

  const token = (number = VISA, extra: object = {}) =>
    client.tokens.create({ card: { name: 'Somchai Prasert', number, expiration_month: 12, expiration_year: 2040, security_code: '123', ...extra } });
  const charge = async (data: object = {}, number = VISA) => client.charges.create({ amount: 100000, currency: 'thb', card: (await token(number)).id, ...data });
  const raw = (path: string, init: { method?: string; body?: unknown; auth?: string } = {}) =>
    httpsJson(platform, platform.ports.api, path, { auth: demo.secretKey, ...init });

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

  test('token → charge (auto-capture): successful, paid, fees, the vault card; the token is used', async () => {
    const tok = await token();
    const created = await client.charges.create({
      amount: 100000, currency: 'thb', card: tok.id, description: 'order A-1', metadata: { order: 'A-1', items: [1, 2] }, ip: '203.0.113.7',
      return_uri: 'https://shop.example/return',
    });
    assert.deepEqual(Object.keys(created).sort(), [...CHARGE_KEYS].sort(), 'every §7.3 field, and no other');
    assert.match(created.id, /^chrg_test_[0-9a-z]{19}$/);
    assert.deepEqual(
      { object: created.object, livemode: created.livemode, location: created.location, amount: created.amount, currency: created.currency, status: created.status,
        capture: created.capture, authorized: created.authorized, paid: created.paid, capturable: created.capturable, reversible: created.reversible,
        reversed: created.reversed, refundable: created.refundable, expired: created.expired, disputable: created.disputable,
        authorized_amount: created.authorized_amount, captured_amount: created.captured_amount, refunded_amount: created.refunded_amount,
        fee: created.fee, fee_vat: created.fee_vat, net: created.net, transaction: created.transaction, failure_code: created.failure_code,
        description: created.description, metadata: created.metadata, ip: created.ip, return_uri: created.return_uri, customer: created.customer,
        funding_amount: created.funding_amount, funding_currency: created.funding_currency, transaction_fees: created.transaction_fees },
      { object: 'charge', livemode: false, location: `/charges/${created.id}`, amount: 100000, currency: 'THB', status: 'successful',
        capture: true, authorized: true, paid: true, capturable: false, reversible: false, reversed: false, refundable: true, expired: false, disputable: true,
        authorized_amount: 100000, captured_amount: 100000, refunded_amount: 0, fee: 3650, fee_vat: 256, net: 96094, transaction: created.transaction, failure_code: null,
        description: 'order A-1', metadata: { order: 'A-1', items: [1, 2] }, ip: '203.0.113.7', return_uri: 'https://shop.example/return', customer: null,
        funding_amount: 100000, funding_currency: 'THB', transaction_fees: { fee_flat: '0.0', fee_rate: '3.65', vat_rate: '7.0' } },
    );
    assert.match(created.transaction, /^trxn_test_[0-9a-z]{19}$/, 'paid: the ledger credit is named (test/api.ledger.test.ts checks it)');
    for (const field of ['created_at', 'authorized_at', 'paid_at', 'expires_at']) assert.match(created[field], TIME, field);
    assert.equal(Date.parse(created.expires_at) - Date.parse(created.created_at), 7 * 86_400_000, 'expires_at = created_at + 7 days');
    assert.equal(created.card.id, tok.card.id);
    assert.equal(created.card.last_digits, '4242');
    assert.equal(created.card.brand, 'Visa');
    assert.equal(created.card.security_code_check, true);
    assert.equal(created.refunds.object, 'list');
    assert.equal(created.refunds.total, 0);
    assert.ok(!JSON.stringify(created).includes(VISA), 'no card number in the charge');

    const used = await client.tokens.retrieve(tok.id);
    assert.equal(used.used, true);
    assert.equal(used.charge_status, 'successful');
    const again = await refusal(client.charges.create({ amount: 100000, currency: 'thb', card: tok.id }));
    assert.equal(again.code, 'used_token');
    const status = await raw('/charges', { method: 'POST', body: { amount: 100000, currency: 'thb', card: tok.id } });
    assert.equal(status.status, 400, 'used_token keeps the vault status');

    const read = await client.charges.retrieve(created.id);
    assert.deepEqual({ ...read, refunds: null }, { ...created, refunds: null });

    // Refunds: partial, over the rest (refused), the rest, then nothing left.
    const partial = await client.charges.createRefund(created.id, { amount: 30000, metadata: { reason: 'damaged' } });
    assert.match(partial.id, /^rfnd_test_[0-9a-z]{19}$/);
    assert.deepEqual(
      { object: partial.object, amount: partial.amount, currency: partial.currency, charge: partial.charge, status: partial.status, voided: partial.voided,
        metadata: partial.metadata, location: partial.location, transaction: partial.transaction, livemode: partial.livemode },
      { object: 'refund', amount: 30000, currency: 'THB', charge: created.id, status: 'closed', voided: false, metadata: { reason: 'damaged' },
        location: `/charges/${created.id}/refunds/${partial.id}`, transaction: partial.transaction, livemode: false },
    );
    assert.match(partial.transaction, /^trxn_test_[0-9a-z]{19}$/, 'the ledger debit is named');
    const afterPartial = await client.charges.retrieve(created.id);
    assert.deepEqual([afterPartial.refunded_amount, afterPartial.refundable, afterPartial.partially_refundable, afterPartial.refunds.total], [30000, true, true, 1]);
    assert.equal(afterPartial.refunds.data[0].id, partial.id);

    const over = await refusal(client.charges.createRefund(created.id, { amount: 70001 }));
    assert.equal(over.code, 'failed_refund');
    const rest = await client.charges.createRefund(created.id, { amount: '70000' });
    assert.equal(rest.amount, 70000);
    const full = await client.charges.retrieve(created.id);
    assert.deepEqual([full.refunded_amount, full.refundable, full.status, full.paid], [100000, false, 'successful', true]);
    assert.equal((await refusal(client.charges.createRefund(created.id, { amount: 1 }))).code, 'failed_refund');
    for (const amount of [0, -5, 'ten', 1.5, null]) {
      const bad = await refusal(client.charges.createRefund(created.id, { amount }));
      assert.equal(bad.code, 'invalid_amount', String(amount));
    }

    const refunds = await client.charges.listRefunds(created.id);
    assert.deepEqual([refunds.object, refunds.total, refunds.location, refunds.order], ['list', 2, `/charges/${created.id}/refunds`, 'chronological']);
    assert.deepEqual(refunds.data.map((r: Obj) => r.id), [partial.id, rest.id]);
    assert.deepEqual(await client.charges.retrieveRefund(created.id, partial.id), partial);
    assert.equal((await refusal(client.charges.retrieveRefund(created.id, 'rfnd_test_0000000000000000000'))).code, 'not_found');
    assert.equal((await refusal(client.charges.retrieveRefund(created.id, 'garbage'))).code, 'not_found');
  });

  test('authorize only → pending and capturable → partial capture → successful, fees on the captured amount', async () => {
    const pending = await charge({ amount: 50000, capture: false, authorization_type: 'pre_auth' });
    assert.deepEqual(
      [pending.status, pending.authorized, pending.paid, pending.capturable, pending.reversible, pending.refundable, pending.paid_at, pending.authorization_type],
      ['pending', true, false, true, true, false, null, 'pre_auth'],
    );
    assert.match(pending.authorized_at, TIME);
    assert.equal(pending.authorized_amount, 50000);
    assert.equal(pending.captured_amount, 0);
    assert.equal((await refusal(client.charges.createRefund(pending.id, { amount: 100 }))).code, 'failed_refund', 'nothing captured to refund');
    assert.equal((await refusal(client.charges.capture(pending.id, { capture_amount: 50001 }))).code, 'invalid_amount');

    const captured = await client.charges.capture(pending.id, { capture_amount: 20000 });
    assert.deepEqual(
      [captured.status, captured.paid, captured.capturable, captured.reversible, captured.refundable, captured.authorized_amount, captured.captured_amount, captured.amount],
      ['successful', true, false, false, true, 50000, 20000, 50000],
    );
    assert.deepEqual([captured.fee, captured.fee_vat, captured.net], [730, 51, 19219]);
    assert.match(captured.paid_at, TIME);
    assert.equal((await refusal(client.charges.capture(pending.id))).code, 'failed_capture', 'captured once only');
    assert.equal((await refusal(client.charges.createRefund(pending.id, { amount: 20001 }))).code, 'failed_refund', 'refunds stop at the captured amount');

    // capture(id) with no data: the client sends an empty body with Content-Type: application/json.
    const whole = await client.charges.capture((await charge({ amount: 12345, capture: false })).id);
    assert.deepEqual([whole.status, whole.captured_amount, whole.fee, whole.fee_vat, whole.net], ['successful', 12345, 451, 32, 11862]);
  });

  test('authorize only → reverse → reversed; nothing more can be done with it', async () => {
    const pending = await charge({ capture: false });
    const reversed = await client.charges.reverse(pending.id);
    assert.deepEqual(
      [reversed.status, reversed.reversed, reversed.authorized, reversed.paid, reversed.capturable, reversed.reversible, reversed.refundable],
      ['reversed', true, true, false, false, false, false],
    );
    assert.match(reversed.reversed_at, TIME);
    assert.equal((await refusal(client.charges.reverse(pending.id))).code, 'failed_reverse');
    assert.equal((await refusal(client.charges.capture(pending.id))).code, 'failed_capture');
    assert.equal((await refusal(client.charges.createRefund(pending.id, { amount: 100 }))).code, 'failed_refund');
    assert.equal((await refusal(client.charges.expire(pending.id))).code, 'failed_expire');
    assert.equal((await refusal(client.charges.reverse((await charge()).id))).code, 'failed_reverse', 'a captured charge is refunded, not reversed');
  });

  test('declining test cards: 200 charges with status failed and the failure code', async () => {
    const poor = await charge({}, '4111111111140011');
    assert.deepEqual(
      [poor.status, poor.failure_code, poor.failure_message, poor.authorized, poor.paid, poor.capturable, poor.refundable, poor.transaction],
      ['failed', 'insufficient_fund', 'insufficient funds in the account or the card has reached the credit limit', false, false, false, false, null],
    );
    assert.equal(poor.authorized_at, null);
    const cvv = await charge({}, '4111111111160001');
    assert.deepEqual([cvv.status, cvv.failure_code, cvv.card.security_code_check], ['failed', 'invalid_security_code', false]);
    const stolen = await charge({ capture: false }, '4111111111130012');
    assert.deepEqual([stolen.status, stolen.failure_code], ['failed', 'stolen_or_lost_card']);
    assert.equal((await refusal(client.charges.capture(stolen.id))).code, 'failed_capture');
    assert.equal((await refusal(client.charges.createRefund(poor.id, { amount: 100 }))).code, 'failed_refund');
    assert.equal((await client.charges.retrieve(poor.id)).failure_code, 'insufficient_fund');
  });

  test('update: description and metadata; expire refuses an authorized charge', async () => {
    const created = await charge({ capture: false, metadata: { a: 1 } });
    const updated = await client.charges.update(created.id, { description: 'changed', metadata: { b: 'two' } });
    assert.deepEqual([updated.description, updated.metadata, updated.status], ['changed', { b: 'two' }, 'pending']);
    assert.deepEqual((await client.charges.retrieve(created.id)).metadata, { b: 'two' });
    assert.equal((await refusal(client.charges.update(created.id, { amount: 5 }))).code, 'bad_request', 'amount cannot change');
    assert.equal((await refusal(client.charges.update(created.id, { metadata: 'nope' }))).code, 'bad_request');
    assert.equal((await refusal(client.charges.expire(created.id))).code, 'failed_expire');
  });

  test('lists: limit, offset, order, total; retrieve() without an id is the list', async () => {
    for (let i = 0; i < 3; i++) await charge({ amount: 2000 + i });
    const all = await client.charges.list({ limit: 100 });
    assert.deepEqual([all.object, all.location, all.offset, all.limit, all.order, all.from], ['list', '/charges', 0, 100, 'chronological', '1970-01-01T00:00:00Z']);
    assert.match(all.to, TIME);
    assert.ok(all.total >= 3 && all.total === all.data.length, 'fewer than 100 charges: one page holds them all');
    const times = all.data.map((c: Obj) => Date.parse(c.created_at));
    assert.deepEqual(times, [...times].sort((a, b) => a - b), 'chronological');

    const page = await client.charges.list({ limit: 2, offset: 1, order: 'reverse_chronological' });
    assert.deepEqual([page.limit, page.offset, page.order, page.total], [2, 1, 'reverse_chronological', all.total]);
    assert.deepEqual(page.data.map((c: Obj) => c.id), all.data.map((c: Obj) => c.id).reverse().slice(1, 3));
    assert.equal((await client.charges.list({ limit: 1000 })).limit, 100, 'limit clamps to 100');
    assert.equal((await client.charges.list({ offset: all.total })).data.length, 0);
    const bare = await client.charges.retrieve();
    assert.deepEqual([bare.object, bare.total, bare.limit], ['list', all.total, 20]);
    const future = await client.charges.list({ from: '2999-01-01T00:00:00Z', to: '2999-12-31T00:00:00Z' });
    assert.deepEqual([future.total, future.data.length], [0, 0]);

    for (const [query, pattern] of [['limit=abc', /limit/], ['offset=-1', /offset/], ['order=sideways', /order/], ['from=yesterday', /from/], ['limit=1&limit=2', /limit/]] as const) {
      const answer = await raw(`/charges?${query}`);
      assert.equal(answer.status, 400, query);
      assert.equal(answer.body.code, 'bad_request');
      assert.match(answer.body.message, pattern);
    }
  });

  test("another merchant's charge is not found; unknown and malformed ids are 404", async () => {
    const mine = await charge();
    const accounts = createAccountService({ db: apiDb, store: createAccountStore(apiDb), audit: createAudit({ db: apiDb, service: 'api' }) });
    const other = await accounts.createAccount({ email: 'other@merchant.test', name: 'Other merchant' }, { type: 'system', id: 'api-charges-test' });
    const theirs = omise({ secretKey: other.secretKey, publicKey: other.publicKey, host: '127.0.0.1', vaultHost: 'localhost' });
    const hidden = await refusal(theirs.charges.retrieve(mine.id));
    assert.deepEqual([hidden.code, hidden.message], ['not_found', `charge ${mine.id} was not found`]);
    assert.equal((await refusal(theirs.charges.createRefund(mine.id, { amount: 100 }))).code, 'not_found');
    assert.equal((await refusal(theirs.charges.update(mine.id, { description: 'mine now' }))).code, 'not_found');
    assert.equal((await theirs.charges.list()).total, 0);
    assert.equal((await raw(`/charges/${mine.id}`, { auth: other.secretKey })).status, 404);

    for (const id of ['chrg_test_0000000000000000000', 'nope', 'chrg_test_', 'x'.repeat(90)]) {
      const missing = await raw(`/charges/${id}`);
      assert.deepEqual([missing.status, missing.body.object, missing.body.code], [404, 'error', 'not_found'], id);
      assert.ok(!JSON.stringify(missing.body).includes('x'.repeat(20)), 'input is not echoed');
    }
    assert.equal((await raw(`/charges/${mine.id}`, { auth: demo.publicKey })).status, 401, 'a public key is refused on the api host');
  });

  test('bad input: 4xx Omise error objects with clear messages, never a 500', async () => {
    const tok = (await token()).id;
    const cases: Array<[object, string, RegExp]> = [
      [{ amount: -100, currency: 'thb', card: tok }, 'invalid_charge', /^amount must be greater than 0$/],
      [{ amount: 'abc', currency: 'thb', card: tok }, 'invalid_charge', /^amount is not a number$/],
      [{ amount: 2500.5, currency: 'thb', card: tok }, 'invalid_charge', /^amount must be an integer$/],
      [{ amount: true, currency: 'thb', card: tok }, 'invalid_charge', /^amount is not a number$/],
      [{ amount: 1999, currency: 'thb', card: tok }, 'invalid_charge', /^amount must be at least 2000$/],
      [{ amount: 15000001, currency: 'THB', card: tok }, 'invalid_charge', /^amount must be at most 15000000$/],
      [{ amount: 100000, currency: 'xyz', card: tok }, 'invalid_charge', /^currency is currently not supported$/],
      [{ amount: 'abc', currency: 'xyz', card: tok }, 'invalid_charge', /^currency is currently not supported and amount is not a number$/],
      [{ currency: 'thb', card: tok }, 'invalid_charge', /^amount is required$/],
      [{ amount: 100000, currency: 42, card: tok }, 'invalid_charge', /currency/],
      [{ amount: 100000, currency: 'thb' }, 'missing_card', /no card/],
      [{ amount: 100000, currency: 'thb', card: 'garbage' }, 'invalid_card_token', /invalid card token/],
      [{ amount: 100000, currency: 'thb', card: 'tokn_test_0000000000000000000' }, 'invalid_card_token', /invalid card token/],
      [{ amount: 100000, currency: 'thb', card: 'card_test_0000000000000000000' }, 'bad_request', /customer/],
      [{ amount: 100000, currency: 'thb', customer: 'cust_test_0000000000000000000' }, 'not_found', /customer/],
      [{ amount: 100000, currency: 'thb', card: tok, capture: 'sometimes' }, 'bad_request', /capture/],
      [{ amount: 100000, currency: 'thb', card: tok, metadata: 'text' }, 'bad_request', /metadata/],
      [{ amount: 100000, currency: 'thb', card: tok, ip: 'not-an-ip' }, 'bad_request', /ip/],
      [{ amount: 100000, currency: 'thb', card: tok, return_uri: 'ftp://shop.example/return' }, 'invalid_charge', /return uri is invalid/],
      [{ amount: 100000, currency: 'thb', card: tok, authorization_type: 'maybe' }, 'bad_request', /authorization_type/],
      [{ amount: 100000, currency: 'thb', card: tok, surprise: 1 }, 'bad_request', /surprise is not allowed/],
    ];
    for (const [body, code, message] of cases) {
      const answer = await raw('/charges', { method: 'POST', body });
      assert.ok(answer.status >= 400 && answer.status < 500, `${JSON.stringify(body)} → ${answer.status}`);
      assert.deepEqual([answer.body.object, answer.body.code], ['error', code], JSON.stringify(body));
      assert.match(answer.body.message, message, JSON.stringify(body));
    }
    // The token refused for bad input was never used: it still charges (amount as a string, as the client README shows).
    const ok = await client.charges.create({ amount: '100000', currency: 'THB', card: tok });
    assert.equal(ok.status, 'successful');

    // A customer without a card has nothing to charge; a card that is not the customer's is not found.
    const customer = await client.customers.create({ email: 'payer@example.com' });
    assert.equal((await refusal(client.charges.create({ amount: 100000, currency: 'thb', customer: customer.id }))).code, 'missing_card');
    assert.equal((await refusal(client.charges.create({ amount: 100000, currency: 'thb', customer: customer.id, card: ok.card.id }))).code, 'not_found');

    // Bodies that are not a JSON object: 400, never a 500 (httpsJson cannot send raw text, so a raw request).
    const { request } = await import('node:https');
    for (const body of ['{"amount":', '[1,2]', 'null', '{"__proto__":{"x":1}}']) {
      const status = await new Promise<{ status: number; json: Obj }>((resolve, reject) => {
        const req = request({ host: '127.0.0.1', port: platform.ports.api, path: '/charges', method: 'POST', ca: platform.caPem,
          headers: { 'content-type': 'application/json', authorization: `Basic ${Buffer.from(`${demo.secretKey}:`).toString('base64')}` } }, (res) => {
          let text = '';
          res.on('data', (chunk: Buffer) => { text += chunk.toString(); });
          res.on('end', () => resolve({ status: res.statusCode ?? 0, json: JSON.parse(text) as Obj }));
        });
        req.on('error', reject);
        req.end(body);
      });
      assert.equal(status.status, 400, body);
      assert.equal(status.json.object, 'error', body);
    }
  });

  test('explicit null: capture null is refused, never an authorize-only charge; description null is no description', async () => {
    const tok = (await token()).id;
    const refused = await refusal(client.charges.create({ amount: 100000, currency: 'thb', card: tok, capture: null }));
    assert.deepEqual([refused.code, refused.message], ['bad_request', 'capture cannot be null: send true or false, or leave it out for the default']);
    for (const field of ['card', 'customer', 'authentication', 'authorization_type', 'metadata', 'zero_interest_installments']) {
      const answer = await raw('/charges', { method: 'POST', body: { amount: 100000, currency: 'thb', card: tok, [field]: null } });
      assert.deepEqual([answer.status, answer.body.code], [400, 'bad_request'], field);
      assert.ok(String(answer.body.message).startsWith(`${field} cannot be null: send `), `${field}: ${answer.body.message}`);
    }
    // The refusals used nothing: the token charges, and null means "none" for the text fields that allow it.
    const created = await client.charges.create({ amount: 100000, currency: 'thb', card: tok, description: null, ip: null, return_uri: null });
    assert.deepEqual([created.status, created.capture, created.paid, created.description, created.ip, created.return_uri], ['successful', true, true, null, null, null]);
    assert.equal((await client.charges.update(created.id, { description: 'named' })).description, 'named');
    assert.equal((await client.charges.update(created.id, { description: null })).description, null, 'null clears it');
    assert.equal((await refusal(client.charges.update(created.id, { metadata: null }))).code, 'bad_request');
    assert.equal((await refusal(client.charges.createRefund(created.id, { amount: 1000, metadata: null }))).code, 'bad_request');

    // An explicit null capture_amount is not "capture everything".
    const held = await charge({ capture: false });
    const noAmount = await refusal(client.charges.capture(held.id, { capture_amount: null }));
    assert.deepEqual([noAmount.code, noAmount.message], ['invalid_amount', 'capture_amount cannot be null: send an amount, or leave it out to capture the full amount']);
    assert.deepEqual([(await client.charges.retrieve(held.id)).capturable, (await client.charges.capture(held.id, { capture_amount: 40000 })).captured_amount], [true, 40000]);
  });

  test('metadata: nested 2,000 deep (or beyond any bound) is a 400 on create, update and refund, and uses nothing', async () => {
    // Raw requests: the omise client itself overflows its stack copying a body this deep (lodash merge).
    const deep = JSON.parse(`${'{"a":'.repeat(2000)}1${'}'.repeat(2000)}`) as Obj;
    const tooDeep = (answer: { status: number; body: Obj }) => {
      assert.deepEqual([answer.status, answer.body.code, answer.body.message], [400, 'bad_request', 'metadata is nested more than 5 levels deep (at metadata.a.a.a.a.a)']);
    };
    const fresh = (await token()).id;
    tooDeep(await raw('/charges', { method: 'POST', body: { amount: 100000, currency: 'thb', card: fresh, metadata: deep } }));
    for (const metadata of [{ a: { b: { c: { d: { e: { f: 1 } } } } } }, { note: 'x'.repeat(501) }, { ['k'.repeat(41)]: 1 }, { list: Array.from({ length: 201 }, (_, i) => i) }]) {
      const refused = await refusal(client.charges.create({ amount: 100000, currency: 'thb', card: fresh, metadata }));
      assert.equal(refused.code, 'bad_request', JSON.stringify(metadata).slice(0, 40));
      assert.match(refused.message, /^metadata/);
    }
    const charged = await client.charges.create({ amount: 100000, currency: 'thb', card: fresh, metadata: { a: { b: { c: { d: { e: 'five levels' } } } } } });
    assert.equal(charged.status, 'successful', 'the token was never used by the refusals');
    tooDeep(await raw(`/charges/${charged.id}`, { method: 'PATCH', body: { metadata: deep } }));
    tooDeep(await raw(`/charges/${charged.id}/refunds`, { method: 'POST', body: { amount: 1000, metadata: deep } }));
    const after = await client.charges.retrieve(charged.id);
    assert.deepEqual([after.metadata, after.refunded_amount], [{ a: { b: { c: { d: { e: 'five levels' } } } } }, 0]);
  });

  test('audit: every change is recorded with the key id as actor, never the key or card data; the rows hold no card number', async () => {
    const created = await charge({ capture: false });
    await client.charges.capture(created.id, { capture_amount: 50000 });
    await client.charges.createRefund(created.id, { amount: 1000 });
    const entries = (await sql<{ entry: Obj }>`
      SELECT entry FROM (SELECT entry FROM audit_log UNION ALL SELECT entry FROM audit_outbox) AS e
      WHERE entry -> 'targets' @> ${JSON.stringify([{ type: 'charge', id: created.id }])}::jsonb`.execute(apiDb)).rows.map((row) => row.entry);
    const actions = entries.map((entry) => entry.action).sort();
    assert.deepEqual(actions, ['charge.capture', 'charge.create', 'charge.request', 'refund.create', 'refund.request']);
    for (const entry of entries) {
      assert.equal(entry.actor.type, 'api_key');
      assert.match(entry.actor.id, /^key_/);
      assert.equal(entry.tenant, demo.accountId);
    }
    const text = JSON.stringify(entries);
    assert.ok(!text.includes(demo.secretKey) && !text.includes('skey_') && !text.includes(VISA), 'no key, no card number');
    const rows = JSON.stringify((await sql`SELECT row_to_json(c) AS r FROM charges c`.execute(apiDb)).rows);
    assert.ok(!rows.includes(VISA) && !rows.includes('4111111111140011'), 'no card number in the charges table');
  });
});
