// PATCH /internal/v1/accounts/:account/customers/:cust/cards/:card over mTLS against the real vault and
// KMS: a customer's card's holder details change (name, expiry, city, postal code), nothing else can;
// the number is never touched or echoed; other merchants', customers' and modes' cards are not found;
// only the `api` identity may call it; every change is audited by field name, without values.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { newId } from '#lib/contracts/index.ts';
import { sql } from '#lib/db/index.ts';
import type { MtlsClient } from '#lib/http/index.ts';
import { startVaultTestbed, type VaultTestbed } from '../testing.ts';

const NUMBER = '4242424242424242';
const CARD = { name: 'Somchai Prasert', number: NUMBER, expiration_month: 12, expiration_year: 2040, security_code: '123', city: 'Bangkok', postal_code: '10320' };
type Body = Record<string, unknown>;

describe('vault card update (internal API)', () => {
  let bed: VaultTestbed;
  let api: MtlsClient;
  let merchant: { accountId: string; publicKey: string };
  before(async () => {
    bed = await startVaultTestbed();
    api = await bed.internal('api');
    merchant = await bed.merchant();
  });
  after(async () => {
    await bed?.close();
  });

  /** A token's card attached to a new customer of `owner`. */
  async function savedCard(owner = merchant) {
    const token = await bed.tokenize(owner.publicKey, CARD);
    assert.equal(token.status, 200);
    const customerId = newId('customer', false);
    const attached = await api.request('POST', `/internal/v1/accounts/${owner.accountId}/customers/${customerId}/cards`, { livemode: false, token: token.body.id });
    assert.equal(attached.status, 200);
    return { customerId, cardId: String((attached.body as Body).id), tokenCardId: String((token.body.card as Body).id) };
  }
  const path = (customerId: string, cardId: string, accountId = merchant.accountId) => `/internal/v1/accounts/${accountId}/customers/${customerId}/cards/${cardId}`;
  const patch = async (customerId: string, cardId: string, body: Body, client = api, accountId?: string) => {
    const answer = await client.request('PATCH', path(customerId, cardId, accountId), { livemode: false, ...body });
    return { status: answer.status, body: answer.body as Body };
  };
  const stored = (cardId: string) => bed.database.db.selectFrom('vault_cards')
    .select(['name', 'expiration_month', 'expiration_year', 'city', 'postal_code', 'brand', 'last_digits', 'fingerprint']).where('id', '=', cardId).executeTakeFirstOrThrow();

  test('the holder details change and the card (metadata only) is answered; the change is audited by field name', async () => {
    const { customerId, cardId } = await savedCard();
    const before = await stored(cardId);
    const answer = await patch(customerId, cardId, { name: 'Malee Saetang', expiration_month: 3, expiration_year: 2041, city: 'Chiang Mai', postal_code: '50200' });
    assert.equal(answer.status, 200, JSON.stringify(answer.body));
    assert.deepEqual(
      [answer.body.object, answer.body.id, answer.body.name, answer.body.expiration_month, answer.body.expiration_year, answer.body.city, answer.body.postal_code, answer.body.last_digits, answer.body.location],
      ['card', cardId, 'Malee Saetang', 3, 2041, 'Chiang Mai', '50200', '4242', `/customers/${customerId}/cards/${cardId}`]);
    assert.ok(!JSON.stringify(answer.body).includes(NUMBER), 'never the number');
    const after = await stored(cardId);
    assert.deepEqual(after, { ...before, name: 'Malee Saetang', expiration_month: 3, expiration_year: 2041, city: 'Chiang Mai', postal_code: '50200' });
    const read = await api.request('GET', `/internal/v1/accounts/${merchant.accountId}/cards/${cardId}?livemode=false`);
    assert.equal((read.body as Body).name, 'Malee Saetang');

    // One field alone: the others stay.
    const month = await patch(customerId, cardId, { expiration_month: 7 });
    assert.deepEqual([month.status, month.body.expiration_month, month.body.expiration_year, month.body.name], [200, 7, 2041, 'Malee Saetang']);

    const entries = await sql<{ entry: Body }>`SELECT entry FROM (SELECT entry FROM audit_outbox UNION ALL SELECT entry FROM audit_log) e
      WHERE entry->>'action' = 'vault.card.update' AND entry->'targets' @> ${JSON.stringify([{ type: 'card', id: cardId }])}::jsonb`.execute(bed.database.db);
    assert.equal(entries.rows.length, 2);
    const first = entries.rows.map((row) => row.entry).find((entry) => (entry.metadata as { fields: string[] }).fields.length === 5)!;
    assert.deepEqual((first.metadata as Body).fields, ['city', 'expiration_month', 'expiration_year', 'name', 'postal_code']);
    assert.equal((first.actor as Body).id, 'api');
    assert.equal(first.tenant, merchant.accountId);
    assert.ok(!JSON.stringify(first).includes('Malee') && !JSON.stringify(first).includes('50200'), 'no values in the audit trail');
  });

  test('bad values are refused with 400 and change nothing', async () => {
    const { customerId, cardId } = await savedCard();
    const before = await stored(cardId);
    const now = new Date();
    const lastMonth = now.getUTCMonth() === 0 ? { expiration_month: 12, expiration_year: now.getUTCFullYear() - 1 } : { expiration_month: now.getUTCMonth(), expiration_year: now.getUTCFullYear() };
    const cases: [Body, string][] = [
      [lastMonth, 'invalid_card'],
      [{ expiration_year: 2001 }, 'invalid_card'],
      [{ expiration_year: now.getUTCFullYear() + 60 }, 'invalid_card'],
      [{ expiration_month: 13 }, 'bad_request'],
      [{ expiration_month: '1x' }, 'bad_request'],
      [{ name: '' }, 'bad_request'],
      [{ name: '   ' }, 'invalid_card'],
      [{ name: 'a\u0007b' }, 'invalid_card'],
      [{ city: 'x'.repeat(256) }, 'bad_request'],
      [{ postal_code: '1'.repeat(21) }, 'bad_request'],
      [{ number: '4111111111111111' }, 'bad_request'],
      [{ brand: 'Visa' }, 'bad_request'],
      [{}, 'invalid_card'],
    ];
    for (const [body, code] of cases) {
      const answer = await patch(customerId, cardId, body);
      assert.deepEqual([answer.status, answer.body.code], [400, code], JSON.stringify(body));
      assert.ok(!JSON.stringify(answer.body).includes('4111111111111111'), 'a refusal never echoes a number');
    }
    assert.deepEqual(await stored(cardId), before);
  });

  test("another merchant's, another customer's, another mode's, an unattached or a deleted card is not found", async () => {
    const { customerId, cardId, tokenCardId } = await savedCard();
    const other = await bed.merchant();
    const theirs = await savedCard(other);
    const before = await stored(theirs.cardId);
    assert.equal((await patch(theirs.customerId, theirs.cardId, { name: 'X' })).status, 404, "another merchant's card through my account");
    assert.equal((await patch(theirs.customerId, theirs.cardId, { name: 'X' }, api, other.accountId)).status, 200, 'its own merchant can');
    assert.deepEqual(await stored(theirs.cardId), { ...before, name: 'X' });
    assert.equal((await patch(newId('customer', false), cardId, { name: 'X' })).status, 404, 'not this customer');
    assert.equal((await patch(customerId, newId('card', false), { name: 'X' })).status, 404, 'unknown card');
    const live = await api.request('PATCH', path(customerId, cardId), { livemode: true, name: 'X' });
    assert.equal(live.status, 404, 'a test card in live mode');
    const loose = await bed.tokenize(merchant.publicKey, CARD);
    assert.equal(loose.status, 200);
    assert.equal((await patch(customerId, String((loose.body.card as Body).id), { name: 'X' })).status, 404, 'a token card no customer holds');
    assert.equal(tokenCardId, cardId, 'attaching keeps the card id');
    assert.equal((await api.request('DELETE', `/internal/v1/accounts/${merchant.accountId}/cards/${cardId}?livemode=false`)).status, 200);
    assert.equal((await patch(customerId, cardId, { name: 'X' })).status, 404, 'a deleted card');
    assert.equal((await patch(customerId, 'card_test_bad', { name: 'X' })).status, 400, 'a malformed id');
  });

  test('only the api identity may update a card', async () => {
    const { customerId, cardId } = await savedCard();
    const before = await stored(cardId);
    for (const service of ['dashboard', 'kms', 'vault']) {
      const intruder = await bed.internal(service);
      const refused = await patch(customerId, cardId, { name: 'Intruder' }, intruder);
      assert.deepEqual([refused.status, refused.body.code], [403, 'forbidden'], service);
    }
    assert.deepEqual(await stored(cardId), before);
  });

  test('the runtime role can change the holder details but nothing that comes from the number', async () => {
    const { cardId } = await savedCard();
    for (const column of ['last_digits', 'brand', 'fingerprint', 'account_id', 'livemode']) {
      await assert.rejects(sql`UPDATE vault_cards SET ${sql.ref(column)} = ${sql.ref(column)} WHERE id = ${cardId}`.execute(bed.database.db), /permission denied/, column);
    }
    await sql`UPDATE vault_cards SET city = 'Phuket' WHERE id = ${cardId}`.execute(bed.database.db);
  });
});
