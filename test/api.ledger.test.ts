// The money ledger on the real platform (`strongroom start`: kms, vault, api over TLS and mTLS), driven
// by the OFFICIAL omise client, unmodified: balance (§7.8), transactions (§7.10) and capability (§7.9)
// of docs/omise-compat.md. Token → charge → partial refund moves the balance by exactly net − refund;
// the charge and refund name their transactions; another merchant sees none of it; the capability
// states what the code enforces.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createAudit } from '#lib/audit/index.ts';
import { openDatabase, type Kysely } from '#lib/db/index.ts';
import { routeOmiseClientTo } from '../services/vault/testing.ts';
import { BRANDS } from '../services/vault/cards/card-number.ts';
import { createAccountService } from '../services/api/accounts/accounts.service.ts';
import { createAccountStore } from '../services/api/accounts/accounts.store.ts';
import { CARD_CURRENCIES } from '../services/api/charges/currencies.ts';
import type { ApiDatabase } from '../services/api/db.ts';
import { httpsJson, startPlatform, type RunningPlatform, retryUntil } from './platform-harness.ts';

type Obj = Record<string, any>;
type Client = {
  tokens: { create(data: object): Promise<Obj> };
  charges: {
    create(data: object): Promise<Obj>; retrieve(id: string): Promise<Obj>; capture(id: string, data?: object): Promise<Obj>;
    reverse(id: string): Promise<Obj>; createRefund(id: string, data: object): Promise<Obj>;
  };
  balance: { retrieve(): Promise<Obj> };
  transactions: { list(params?: object): Promise<Obj>; retrieve(id: string): Promise<Obj> };
  capability: { retrieve(): Promise<Obj> };
};
// The official client, loaded as its README shows (CommonJS, `require('omise')(config)`).
const omise = createRequire(import.meta.url)('omise') as (config: { publicKey?: string; secretKey?: string; host: string; vaultHost: string }) => Client;

const VISA = '4242424242424242';
const TIME = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/;
const TRXN = /^trxn_test_[0-9a-z]{19}$/;
const TRANSACTION_KEYS = ['object', 'id', 'livemode', 'location', 'amount', 'currency', 'direction', 'key', 'origin', 'transferable_at', 'created_at'];
const BALANCE_KEYS = ['object', 'livemode', 'location', 'currency', 'total', 'transferable', 'reserve', 'on_hold', 'created_at'];

async function refusal(promise: Promise<unknown>): Promise<Obj> {
  try {
    await promise;
  } catch (error) {
    assert.equal((error as Obj)?.object, 'error', `expected an Omise error object, got ${JSON.stringify(error)}`);
    return error as Obj;
  }
  assert.fail('expected the request to be refused');
}

describe('balance, transactions and capability over the official omise client', () => {
  let platform: RunningPlatform;
  let restore: (() => void) | undefined;
  let client: Client;
  let demo: { accountId: string; publicKey: string; secretKey: string };
  let apiDb: Kysely<ApiDatabase>;

  const token = () => client.tokens.create({ card: { name: 'Somchai Prasert', number: VISA, expiration_month: 12, expiration_year: 2040, security_code: '123' } });
  const charge = async (data: object = {}) => client.charges.create({ amount: 100000, currency: 'thb', card: (await token()).id, ...data });
  /** A GET on the api host with the given key (the demo secret key by default; null: none). */
  const raw = (path: string, auth: string | null = demo.secretKey) => httpsJson(platform, platform.ports.api, path, auth === null ? {} : { auth });
  const signed = (trxn: Obj) => (trxn.direction === 'credit' ? trxn.amount : -trxn.amount);

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

  test('token → charge → partial refund moves the balance by exactly net − refund; each names its transaction', async () => {
    const before = await client.balance.retrieve();
    assert.deepEqual(Object.keys(before).sort(), [...BALANCE_KEYS].sort(), 'every §7.8 field, and no other');
    assert.deepEqual([before.object, before.livemode, before.location, before.currency, before.reserve], ['balance', false, '/balance', 'THB', 0]);
    assert.match(before.created_at, TIME);

    const paid = await charge();
    assert.deepEqual([paid.status, paid.net, paid.fee, paid.fee_vat], ['successful', 96094, 3650, 256]);
    assert.match(paid.transaction, TRXN);
    const credit = await client.transactions.retrieve(paid.transaction);
    assert.deepEqual(Object.keys(credit).sort(), [...TRANSACTION_KEYS].sort(), 'every §7.10 field, and no other');
    assert.deepEqual(
      { ...credit, created_at: null, transferable_at: null },
      { object: 'transaction', id: paid.transaction, livemode: false, location: `/transactions/${paid.transaction}`, amount: 96094, currency: 'THB',
        direction: 'credit', key: 'charge.captured.net', origin: paid.id, created_at: null, transferable_at: null },
    );
    assert.match(credit.created_at, TIME);
    assert.equal(credit.transferable_at, credit.created_at, 'test mode: transferable when posted');
    assert.equal((await client.charges.retrieve(paid.id)).transaction, paid.transaction, 'the charge keeps naming its credit');

    const afterCharge = await client.balance.retrieve();
    assert.equal(afterCharge.total - before.total, 96094, 'the charge credits its net');
    assert.equal(afterCharge.transferable - before.transferable, 96094);

    const refund = await client.charges.createRefund(paid.id, { amount: 30000 });
    assert.match(refund.transaction, TRXN);
    const debit = await client.transactions.retrieve(refund.transaction);
    assert.deepEqual([debit.direction, debit.amount, debit.currency, debit.key, debit.origin], ['debit', 30000, 'THB', 'refund', refund.id]);

    const afterRefund = await client.balance.retrieve();
    assert.equal(afterRefund.total - before.total, 96094 - 30000, 'net − refund, exactly');
    assert.equal(afterRefund.transferable - before.transferable, 96094 - 30000);
    assert.equal(afterRefund.on_hold, 0);

    const newest = await client.transactions.list({ order: 'reverse_chronological', limit: 2 });
    assert.deepEqual([newest.object, newest.location, newest.order, newest.limit], ['list', '/transactions', 'reverse_chronological', 2]);
    assert.deepEqual(newest.data.map((t: Obj) => t.id), [refund.transaction, paid.transaction]);
    // The balance is the sum of the whole transactions list.
    let sum = 0;
    let seen = 0;
    for (let offset = 0; ; offset += 100) {
      const page = await client.transactions.list({ limit: 100, offset });
      for (const trxn of page.data) if (trxn.currency === 'THB') sum += signed(trxn);
      seen += page.data.length;
      if (seen >= page.total) break;
    }
    assert.equal(sum, afterRefund.total);
  });

  test('authorize then partial capture credits the net of what was captured; reversals and declines book nothing', async () => {
    const start = await client.balance.retrieve();
    const count = async () => (await client.transactions.list()).total;
    const transactions = await count();

    const held = await charge({ capture: false, authorization_type: 'pre_auth' });
    assert.deepEqual([held.status, held.transaction], ['pending', null]);
    const captured = await client.charges.capture(held.id, { capture_amount: 40000 });
    assert.deepEqual([captured.captured_amount, captured.fee, captured.fee_vat, captured.net], [40000, 1460, 102, 38438]);
    const credit = await client.transactions.retrieve(captured.transaction);
    assert.deepEqual([credit.direction, credit.amount, credit.origin], ['credit', 38438, held.id]);

    const reversed = await client.charges.reverse((await charge({ capture: false })).id);
    assert.deepEqual([reversed.status, reversed.transaction], ['reversed', null]);
    const declined = await client.charges.create({ amount: 100000, currency: 'thb', card: (await client.tokens.create({
      card: { name: 'Poor', number: '4111111111140011', expiration_month: 12, expiration_year: 2040, security_code: '123' } })).id });
    assert.deepEqual([declined.status, declined.transaction], ['failed', null]);

    assert.equal(await count(), transactions + 1, 'only the capture moved money');
    assert.equal((await client.balance.retrieve()).total - start.total, 38438);
  });

  test("another merchant: its own empty ledger; our transaction ids answer 404", async () => {
    const mine = await charge();
    const accounts = createAccountService({ db: apiDb, store: createAccountStore(apiDb), audit: createAudit({ db: apiDb, service: 'api' }) });
    const other = await accounts.createAccount({ email: 'other@ledger.test', name: 'Other merchant' }, { type: 'system', id: 'api-ledger-test' });
    const theirs = omise({ secretKey: other.secretKey, publicKey: other.publicKey, host: '127.0.0.1', vaultHost: 'localhost' });

    const hidden = await refusal(theirs.transactions.retrieve(mine.transaction));
    assert.deepEqual([hidden.code, hidden.message], ['not_found', `transaction ${mine.transaction} was not found`]);
    assert.equal((await raw(`/transactions/${mine.transaction}`, other.secretKey)).status, 404);
    assert.equal((await theirs.transactions.list()).total, 0);
    const balance = await theirs.balance.retrieve();
    assert.deepEqual([balance.total, balance.transferable, balance.on_hold, balance.currency], [0, 0, 0, 'THB']);
    assert.equal((await theirs.capability.retrieve()).object, 'capability', 'their public key works for their capability');
  });

  test('capability: the brands, currencies and limits the code enforces; public or secret key', async () => {
    const capability = await client.capability.retrieve();
    assert.deepEqual(capability, {
      object: 'capability', location: '/capability', banks: [], country: 'TH',
      limits: { charge_amount: { min: 2000, max: 15000000 }, transfer_amount: null, installment_amount: null },
      payment_methods: [{
        object: 'payment_method', name: 'card', currencies: Object.keys(CARD_CURRENCIES), card_brands: [...BRANDS],
        installment_terms: null, banks: [], provider: null,
      }],
      tokenization_methods: [], zero_interest_installments: false,
    });
    const withSecret = await raw('/capability');
    assert.deepEqual([withSecret.status, withSecret.body], [200, capability]);
    for (const auth of [null, 'pkey_test_0000000000000000000000000', 'skey_test_0000000000000000000000000']) {
      const refused = await raw('/capability', auth);
      assert.deepEqual([refused.status, refused.body.object, refused.body.code], [401, 'error', 'authentication_failure'], String(auth));
    }
    // The limits are the ones charges are held to.
    const tok = (await token()).id;
    assert.match((await refusal(client.charges.create({ amount: 1999, currency: 'thb', card: tok }))).message, /at least 2000/);
    assert.match((await refusal(client.charges.create({ amount: 15000001, currency: 'thb', card: tok }))).message, /at most 15000000/);
    assert.equal((await refusal(client.charges.create({ amount: 100000, currency: 'idr', card: tok }))).code, 'invalid_charge', 'not a listed currency');
  });

  test('bad input: Omise error objects, never a 500; the ledger routes take only a secret key', async () => {
    for (const [query, pattern] of [['limit=abc', /limit/], ['offset=-1', /offset/], ['order=sideways', /order/], ['from=yesterday', /from/]] as const) {
      const answer = await raw(`/transactions?${query}`);
      assert.deepEqual([answer.status, answer.body.object, answer.body.code], [400, 'error', 'bad_request'], query);
      assert.match(answer.body.message, pattern);
    }
    for (const id of ['trxn_test_0000000000000000000', 'nope', 'x'.repeat(90)]) {
      const missing = await raw(`/transactions/${id}`);
      assert.deepEqual([missing.status, missing.body.code], [404, 'not_found'], id);
      assert.ok(!JSON.stringify(missing.body).includes('x'.repeat(20)), 'input is not echoed');
    }
    const unsupported = await raw('/balance?currency=xyz');
    assert.deepEqual([unsupported.status, unsupported.body.code], [400, 'bad_request']);
    const usd = await raw('/balance?currency=usd');
    assert.deepEqual([usd.status, usd.body.currency, usd.body.total], [200, 'USD', 0]);
    for (const path of ['/balance', '/transactions', `/transactions/trxn_test_0000000000000000000`]) {
      assert.equal((await raw(path, null)).status, 401, `${path} without a key`);
      assert.equal((await raw(path, demo.publicKey)).status, 401, `${path} with a public key`);
    }
  });
});
