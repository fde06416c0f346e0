// The public tokens API over real TLS, with the official `omise` client and raw requests: Omise shapes,
// public-key auth, validation (4xx in the Omise error format, nothing stored), test/live isolation,
// random single-use tokens, per-merchant fingerprints, group-committed durability, fail-closed KMS.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { Agent, request } from 'undici';
import { sql } from '#lib/db/index.ts';
import { routeOmiseClientTo, startVaultTestbed, type VaultTestbed } from '../testing.ts';

type Answer = Record<string, unknown> & { card: Record<string, unknown> };
// The official client, loaded as its README shows (CommonJS, `require('omise')(config)`).
const omise = createRequire(import.meta.url)('omise') as (config: { publicKey: string; vaultHost: string }) => {
  tokens: { create(data: object): Promise<Answer>; retrieve(id: string): Promise<Answer> };
};

const CARD = { name: 'Somchai Prasert', number: '4242 4242 4242 4242', expiration_month: 12, expiration_year: 2040, security_code: '123', city: 'Bangkok', postal_code: '10320', country: 'TH' };

describe('vault tokens API', () => {
  let bed: VaultTestbed;
  let restore: () => void;
  let agent: Agent;
  before(async () => {
    bed = await startVaultTestbed();
    restore = routeOmiseClientTo({ localhost: Number(new URL(bed.publicUrl).port) }, bed.caPem);
    agent = new Agent({ connect: { ca: bed.caPem } });
  });
  after(async () => {
    restore?.();
    await agent?.close();
    await bed?.close();
  });

  const count = async (table: string) => (await sql<{ n: number }>`SELECT count(*)::int AS n FROM ${sql.table(table)}`.execute(bed.database.db)).rows[0]!.n;
  async function raw(method: string, path: string, key: string | null, body?: string, contentType = 'application/json') {
    const headers: Record<string, string> = { 'content-type': contentType };
    if (key !== null) headers.authorization = `Basic ${Buffer.from(`${key}:`).toString('base64')}`;
    const response = await request(`${bed.publicUrl}${path}`, { method: method as 'POST', headers, body, dispatcher: agent });
    const text = await response.body.text();
    return { status: response.statusCode, text, json: JSON.parse(text) as Record<string, unknown> };
  }

  test('the official omise client creates and retrieves a token; the answer has Omise shape and no card data', async () => {
    const merchant = await bed.merchant();
    const client = omise({ publicKey: merchant.publicKey, vaultHost: 'localhost' });
    const token = await client.tokens.create({ card: CARD });
    assert.match(String(token.id), /^tokn_test_[0-9a-z]{19}$/);
    assert.equal(token.object, 'token');
    assert.equal(token.livemode, false);
    assert.equal(token.used, false);
    assert.equal(token.charge_status, 'unknown');
    assert.equal(token.location, `https://localhost/tokens/${String(token.id)}`);
    assert.match(String(token.created_at), /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    const card = token.card;
    assert.match(String(card.id), /^card_test_[0-9a-z]{19}$/);
    assert.deepEqual(
      { brand: card.brand, last_digits: card.last_digits, first_digits: card.first_digits, name: card.name, expiration_month: card.expiration_month, expiration_year: card.expiration_year, country: card.country, city: card.city, postal_code: card.postal_code, location: card.location, deleted: card.deleted, security_code_check: card.security_code_check },
      { brand: 'Visa', last_digits: '4242', first_digits: null, name: 'Somchai Prasert', expiration_month: 12, expiration_year: 2040, country: 'th', city: 'Bangkok', postal_code: '10320', location: null, deleted: false, security_code_check: true },
    );
    assert.match(String(card.fingerprint), /^[A-Za-z0-9+/]{43}=$/);
    const text = JSON.stringify(token);
    assert.ok(!text.includes('4242424242424242') && !text.includes('123"'), 'no PAN or CVV in the answer');

    const again = await client.tokens.retrieve(String(token.id));
    assert.deepEqual(again, token);
  });

  test('bad card input gets 400 invalid_card in the Omise error format, and nothing is stored', async () => {
    const merchant = await bed.merchant();
    const before = { cards: await count('vault_cards'), tokens: await count('vault_tokens'), codes: await count('vault_security_codes') };
    const cases: Array<[Record<string, unknown>, RegExp]> = [
      [{ ...CARD, number: '4242424242424241' }, /number is invalid/],
      [{ ...CARD, number: '1234' }, /number/],
      [{ ...CARD, expiration_month: 13 }, /expiration month/],
      [{ ...CARD, expiration_year: 2001 }, /expired|expiration/],
      [{ ...CARD, security_code: '12' }, /security code/],
      [{ ...CARD, name: '' }, /name cannot be blank/],
      [{ ...CARD, name: '   ' }, /name cannot be blank/],
      [{ ...CARD, number: '3782 8224 6310 005', security_code: '123' }, /security code/],
    ];
    for (const [card, message] of cases) {
      const answer = await raw('POST', '/tokens', merchant.publicKey, JSON.stringify({ card }));
      assert.equal(answer.status, 400, JSON.stringify(card) + answer.text);
      assert.equal(answer.json.object, 'error');
      assert.equal(answer.json.code, 'invalid_card');
      assert.match(String(answer.json.message), message);
      assert.ok(!answer.text.includes(String(card.number).replaceAll(' ', '')), 'the error never echoes the number');
    }
    for (const body of ['{"card":', '{"card":{"number":42}}', '{"card":{"number":"4242424242424242","expiration_month":1,"expiration_year":2040,"extra":1}}', '[]', '{}']) {
      const answer = await raw('POST', '/tokens', merchant.publicKey, body);
      assert.equal(answer.status, 400, body);
      assert.equal(answer.json.object, 'error');
      assert.ok(!/at .*\.ts:\d+/.test(answer.text), 'no stack trace');
    }
    for (const card of [{ ...CARD, number: 4242424242424242 }, { ...CARD, number: 6250947000000000014 }, { ...CARD, security_code: 12 }]) {
      const answer = await raw('POST', '/tokens', merchant.publicKey, JSON.stringify({ card }));
      assert.deepEqual([answer.status, answer.json.code], [400, 'invalid_card'], 'card data as JSON numbers would lose digits: refused');
    }
    const form = await raw('POST', '/tokens', merchant.publicKey, 'card[number]=4242424242424242', 'application/x-www-form-urlencoded');
    assert.equal(form.status, 415);
    assert.deepEqual({ cards: await count('vault_cards'), tokens: await count('vault_tokens'), codes: await count('vault_security_codes') }, before);
  });

  test('authentication: public keys only, known keys only; mode follows the key', async () => {
    const merchant = await bed.merchant();
    for (const key of [null, 'skey_test_5x0000000000000000000000000', 'pkey_test_5x0000000000000000000000000', 'not a key']) {
      const answer = await raw('POST', '/tokens', key, JSON.stringify({ card: CARD }));
      assert.equal(answer.status, 401, String(key));
      assert.equal(answer.json.code, 'authentication_failure');
    }
    const made = await raw('POST', '/tokens', merchant.publicKey, JSON.stringify({ card: CARD }));
    assert.equal(made.status, 200);
    const other = await bed.merchant();
    assert.equal((await raw('GET', `/tokens/${String(made.json.id)}`, other.publicKey)).status, 404, 'another merchant cannot see it');
    const live = await bed.merchant({ livemode: true });
    const liveToken = await raw('POST', '/tokens', live.publicKey, JSON.stringify({ card: CARD }));
    assert.equal(liveToken.status, 200);
    assert.match(String(liveToken.json.id), /^tokn_[0-9a-z]{19}$/);
    assert.equal(liveToken.json.livemode, true);
    assert.equal((await raw('GET', '/tokens/tokn_test_0000000000000000000', merchant.publicKey)).status, 404);
  });

  test('tokens are random and durable; fingerprints match per merchant and differ across merchants', async () => {
    const a = await bed.merchant();
    const b = await bed.merchant();
    const made = await Promise.all(Array.from({ length: 64 }, (_, i) => bed.tokenize(i % 2 ? a.publicKey : b.publicKey, CARD)));
    assert.ok(made.every((answer) => answer.status === 200));
    const ids = new Set(made.map((answer) => answer.body.id));
    assert.equal(ids.size, 64, 'the same card gives a new random token each time');
    const prints = (key: number) => new Set(made.filter((_, i) => i % 2 === key).map((answer) => (answer.body.card as { fingerprint: string }).fingerprint));
    assert.equal(prints(1).size, 1);
    assert.equal(prints(0).size, 1);
    assert.notDeepEqual([...prints(1)], [...prints(0)]);
    const stored = await bed.database.db.selectFrom('vault_tokens').select('id').where('id', 'in', [...ids] as string[]).execute();
    assert.equal(stored.length, 64, 'every answered token is in the database');
    const deks = await bed.database.db.selectFrom('vault_cards').innerJoin('vault_data_keys', 'vault_data_keys.id', 'vault_cards.dek_id')
      .select(['vault_cards.account_id', 'vault_data_keys.key_id', 'vault_data_keys.records']).where('vault_cards.account_id', 'in', [a.accountId, b.accountId]).execute();
    assert.equal(deks.length, 64);
    assert.ok(deks.every((row) => row.key_id === `card-data.${row.account_id}`), 'every card is sealed under a DEK of its own merchant\'s KEK');
    assert.ok(deks.every((row) => row.records >= 32), 'each DEK counted (in reserved blocks) at least the records it sealed');
  });

  test('with the KMS sealed, tokenization answers 503 and stores nothing; after unsealing it works again', async () => {
    const merchant = await bed.merchant();
    const before = await count('vault_cards');
    await bed.kms.seal();
    try {
      const answer = await raw('POST', '/tokens', merchant.publicKey, JSON.stringify({ card: CARD }));
      assert.equal(answer.status, 503);
      assert.equal(answer.json.code, 'service_unavailable');
      assert.equal(await count('vault_cards'), before);
    } finally {
      await bed.kms.unseal();
    }
    assert.equal((await bed.tokenize(merchant.publicKey, CARD)).status, 200);
  });
});
