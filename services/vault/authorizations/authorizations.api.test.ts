// The internal authorization API over mTLS, as the api calls it, against the real vault, KMS and test
// acquirer: outcomes of the Omise test cards, the security code's lifecycle (destroyed after an
// answer, kept after a transport failure), single-use tokens, idempotent retries, saved cards,
// capture/reverse/refund, caller authorization, and tampering that must fail loudly.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { newId } from '#lib/contracts/index.ts';
import { sql } from '#lib/db/index.ts';
import type { MtlsClient } from '#lib/http/index.ts';
import { startVaultTestbed, type VaultTestbed } from '../testing.ts';

const CARD = { name: 'Test Payer', number: '4242424242424242', expiration_month: 12, expiration_year: 2040, security_code: '123' };
type Body = Record<string, unknown> & { card: Record<string, unknown> | null };

describe('vault authorizations (internal API)', () => {
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

  const base = () => `/internal/v1/accounts/${merchant.accountId}`;
  async function token(card: Record<string, unknown> = CARD): Promise<string> {
    const made = await bed.tokenize(merchant.publicKey, card);
    assert.equal(made.status, 200);
    return String(made.body.id);
  }
  async function cardOfToken(tokenId: string): Promise<string> {
    return (await bed.database.db.selectFrom('vault_tokens').select('card_id').where('id', '=', tokenId).executeTakeFirstOrThrow()).card_id;
  }
  const codeHeld = async (cardId: string) => (await bed.database.db.selectFrom('vault_security_codes').select('card_id').where('card_id', '=', cardId).execute()).length === 1;
  const tokenUsed = async (tokenId: string) => (await bed.database.db.selectFrom('vault_tokens').select('used_at').where('id', '=', tokenId).executeTakeFirstOrThrow()).used_at !== null;
  async function authorize(fields: Record<string, unknown>, client: MtlsClient = api) {
    const response = await client.request('POST', `${base()}/authorizations`, {
      livemode: false, charge_id: newId('charge', false), amount: 10_000, currency: 'THB', capture: true, ...fields,
    });
    return { status: response.status, body: response.body as Body };
  }

  test('an approved charge on a token: captured, token used, security code destroyed, card metadata only', async () => {
    const tokenId = await token();
    const cardId = await cardOfToken(tokenId);
    assert.equal(await codeHeld(cardId), true, 'held until the authorization');
    const answer = await authorize({ token: tokenId });
    assert.equal(answer.status, 200);
    assert.equal(answer.body.status, 'approved');
    assert.equal(answer.body.charge_status, 'successful');
    assert.equal(answer.body.captured_amount, 10_000);
    assert.equal(answer.body.card?.last_digits, '4242');
    assert.ok(!JSON.stringify(answer.body).includes(CARD.number));
    assert.equal(await codeHeld(cardId), false, 'destroyed once the acquirer answered');
    assert.equal(await tokenUsed(tokenId), true);
    const reused = await authorize({ token: tokenId });
    assert.deepEqual([reused.status, reused.body.code], [400, 'used_token']);
    const view = await bed.tokenize(merchant.publicKey, CARD);
    assert.equal(view.status, 200);
  });

  test('declines carry the Omise failure codes; a declined answer also destroys the security code', async () => {
    const cases: Array<[string, string, boolean]> = [
      ['4111111111140011', 'insufficient_fund', true],
      ['4111111111130012', 'stolen_or_lost_card', true],
      ['5555551111190013', 'failed_processing', true],
      ['4111111111160001', 'invalid_security_code', false],
      ['3530111111140016', 'failed_fraud_check', true],
    ];
    for (const [number, code, securityCodeCheck] of cases) {
      const tokenId = await token({ ...CARD, number });
      const answer = await authorize({ token: tokenId });
      assert.equal(answer.status, 200, number);
      assert.deepEqual([answer.body.status, answer.body.charge_status, answer.body.failure_code], ['declined', 'failed', code]);
      assert.equal(typeof answer.body.failure_message, 'string');
      assert.equal(answer.body.card?.security_code_check, securityCodeCheck);
      assert.equal(await codeHeld(await cardOfToken(tokenId)), false);
      assert.equal(await tokenUsed(tokenId), true);
    }
  });

  test('the acquirer not answering keeps the security code and the token; the retry with the same charge id succeeds once', async () => {
    const tokenId = await token();
    const cardId = await cardOfToken(tokenId);
    const chargeId = newId('charge', false);
    bed.vault.acquirers.faults.failNext(1, { operations: ['authorize'] });
    const lost = await authorize({ token: tokenId, charge_id: chargeId });
    assert.deepEqual([lost.status, lost.body.code], [503, 'service_unavailable']);
    assert.equal(await codeHeld(cardId), true, 'no answer: the security code stays for the retry');
    assert.equal(await tokenUsed(tokenId), false, 'no answer: the token is not used up');
    const retried = await authorize({ token: tokenId, charge_id: chargeId });
    assert.equal(retried.body.status, 'approved');
    assert.equal(await codeHeld(cardId), false);
    const replay = await authorize({ token: tokenId, charge_id: chargeId });
    assert.deepEqual([replay.status, replay.body.id], [200, retried.body.id], 'the same charge id replays the first answer');
    const rows = await bed.database.db.selectFrom('vault_authorizations').select('id').where('charge_id', '=', chargeId).execute();
    assert.equal(rows.length, 1);
  });

  test('saved cards: attach a token to a customer, charge the card later (without a security code), delete it', async () => {
    const tokenId = await token();
    const customer = newId('customer', false);
    const attached = await api.request('POST', `${base()}/customers/${customer}/cards`, { livemode: false, token: tokenId });
    assert.equal(attached.status, 200);
    const card = attached.body as Record<string, unknown>;
    assert.equal(card.location, `/customers/${customer}/cards/${String(card.id)}`);
    assert.equal(card.id, await cardOfToken(tokenId), 'the same card id survives, as in Omise');
    const again = await api.request('POST', `${base()}/customers/${customer}/cards`, { livemode: false, token: tokenId });
    assert.deepEqual([again.status, (again.body as Body).code], [400, 'used_token']);
    const first = await authorize({ card: card.id, customer });
    assert.equal(first.body.status, 'approved');
    const second = await authorize({ card: card.id, customer });
    assert.equal(second.body.status, 'approved', 'a saved card charges without a security code');
    const otherCustomer = await authorize({ card: card.id, customer: newId('customer', false) });
    assert.equal(otherCustomer.status, 404);
    const listed = await api.request('GET', `${base()}/customers/${customer}/cards?livemode=false`);
    assert.equal(((listed.body as { data: unknown[] }).data).length, 1);
    const deleted = await api.request('DELETE', `${base()}/cards/${String(card.id)}?livemode=false`);
    assert.deepEqual([deleted.status, (deleted.body as Body).deleted], [200, true]);
    const row = await bed.database.db.selectFrom('vault_cards').select(['pan_ciphertext', 'pan_nonce', 'dek_id']).where('id', '=', String(card.id)).executeTakeFirstOrThrow();
    assert.deepEqual(row, { pan_ciphertext: null, pan_nonce: null, dek_id: null }, 'the sealed PAN is gone');
    assert.equal((await authorize({ card: card.id, customer })).status, 404);
  });

  test('authorize, capture part, refund within the capture; reverse only an uncaptured one', async () => {
    const held = await authorize({ token: await token(), capture: false, amount: 5_000 });
    assert.deepEqual([held.body.status, held.body.charge_status, held.body.captured_amount], ['approved', 'pending', 0]);
    const id = String(held.body.id);
    const captured = await api.request('POST', `${base()}/authorizations/${id}/capture`, { livemode: false, amount: 3_000 });
    assert.equal((captured.body as Body).captured_amount, 3_000);
    const firstRefund = newId('refund', false);
    const refund = await api.request('POST', `${base()}/authorizations/${id}/refunds`, { livemode: false, amount: 1_000, refund_id: firstRefund });
    assert.equal((refund.body as Body).refunded_amount, 1_000);
    const second = await api.request('POST', `${base()}/authorizations/${id}/refunds`, { livemode: false, amount: 500, refund_id: newId('refund', false) });
    assert.equal((second.body as Body).refunded_amount, 1_500);
    // A retried refund id (the api's reconciliation) replays: nothing refunded again, the total never goes back.
    const replay = await api.request('POST', `${base()}/authorizations/${id}/refunds`, { livemode: false, amount: 1_000, refund_id: firstRefund });
    assert.deepEqual([replay.status, (replay.body as Body).refunded_amount], [200, 1_500]);
    const tooMuch = await api.request('POST', `${base()}/authorizations/${id}/refunds`, { livemode: false, amount: 2_000, refund_id: newId('refund', false) });
    assert.deepEqual([tooMuch.status, (tooMuch.body as Body).code], [400, 'failed_refund']);
    const noReverse = await api.request('POST', `${base()}/authorizations/${id}/reverse`, { livemode: false });
    assert.equal(noReverse.status, 400);
    const other = await authorize({ token: await token(), capture: false });
    const reversed = await api.request('POST', `${base()}/authorizations/${String(other.body.id)}/reverse`, { livemode: false });
    assert.deepEqual([(reversed.body as Body).status, (reversed.body as Body).charge_status], ['reversed', 'reversed']);
    const audit = await sql<{ action: string }>`SELECT entry->>'action' AS action FROM audit_outbox UNION ALL SELECT entry->>'action' FROM audit_log`.execute(bed.database.db);
    for (const action of ['vault.authorization.create', 'vault.authorization.capture', 'vault.authorization.refund', 'vault.authorization.reverse', 'vault.card.attach', 'vault.card.delete', 'vault.token.create']) {
      assert.ok(audit.rows.some((row) => row.action === action), `${action} is audited`);
    }
  });

  test('only the api identity may call the internal card API; test and live never mix', async () => {
    for (const service of ['dashboard', 'kms', 'vault']) {
      const intruder = await bed.internal(service);
      const refused = await authorize({ token: await token() }, intruder);
      assert.deepEqual([refused.status, refused.body.code], [403, 'forbidden'], service);
      assert.equal((await intruder.request('GET', `${base()}/cards/card_test_0000000000000000000?livemode=false`)).status, 403);
    }
    const live = await authorize({ token: await token(), livemode: true });
    assert.equal(live.status, 400, 'a test token cannot make a live charge');
    assert.equal(live.body.code, 'invalid_card_token');
    const bad = await api.request('POST', `${base()}/authorizations`, { livemode: false, charge_id: 'chrg_x', amount: -1, currency: 'thb', capture: true });
    assert.equal(bad.status, 400);
  });

  test('tampering: any flipped byte of a stored PAN ciphertext or nonce, a ciphertext moved to another card, or a tampered wrapped DEK fails loudly and charges nothing', async () => {
    const tokenId = await token();
    const cardId = await cardOfToken(tokenId);
    const owner = bed.database.ownerDb;
    const original = await owner.selectFrom('vault_cards').select(['pan_nonce', 'pan_ciphertext', 'dek_id']).where('id', '=', cardId).executeTakeFirstOrThrow();
    const nonce = original.pan_nonce!;
    const ciphertext = original.pan_ciphertext!;
    const chargeId = newId('charge', false);
    for (let i = 0; i < nonce.length + ciphertext.length; i++) {
      const n = Buffer.from(nonce);
      const c = Buffer.from(ciphertext);
      if (i < n.length) n[i]! ^= 0x01; else c[i - n.length]! ^= 0x80;
      await owner.updateTable('vault_cards').set({ pan_nonce: n, pan_ciphertext: c }).where('id', '=', cardId).execute();
      const answer = await authorize({ token: tokenId, charge_id: chargeId });
      assert.deepEqual([answer.status, answer.body.code], [500, 'internal_error'], `byte ${i}`);
    }
    await owner.updateTable('vault_cards').set({ pan_nonce: nonce, pan_ciphertext: ciphertext }).where('id', '=', cardId).execute();
    // Another card's ciphertext (same merchant, same DEK) copied into this row.
    const otherCard = await cardOfToken(await token({ ...CARD, number: '5555555555554444' }));
    const other = await owner.selectFrom('vault_cards').select(['pan_nonce', 'pan_ciphertext']).where('id', '=', otherCard).executeTakeFirstOrThrow();
    await owner.updateTable('vault_cards').set(other).where('id', '=', cardId).execute();
    assert.equal((await authorize({ token: tokenId, charge_id: chargeId })).status, 500);
    await owner.updateTable('vault_cards').set({ pan_nonce: nonce, pan_ciphertext: ciphertext }).where('id', '=', cardId).execute();
    // A tampered wrapped DEK (every byte of its ciphertext in turn): the KMS refuses to unwrap it once
    // the vault has to fetch it again.
    const dek = await owner.selectFrom('vault_data_keys').select('wrapped').where('id', '=', original.dek_id!).executeTakeFirstOrThrow();
    const cut = dek.wrapped.lastIndexOf(':') + 1;
    const wrappedBytes = Buffer.from(dek.wrapped.slice(cut), 'base64url');
    await sql`ALTER TABLE vault_data_keys DISABLE TRIGGER vault_data_keys_guard`.execute(owner);
    try {
      for (let i = 0; i < wrappedBytes.length; i++) {
        const flipped = Buffer.from(wrappedBytes);
        flipped[i]! ^= 0x01;
        await owner.updateTable('vault_data_keys').set({ wrapped: dek.wrapped.slice(0, cut) + flipped.toString('base64url') }).where('id', '=', original.dek_id!).execute();
        bed.vault.dataKeys.drop(merchant.accountId);
        assert.equal((await authorize({ token: tokenId, charge_id: chargeId })).status, 500, `wrapped DEK byte ${i}`);
      }
    } finally {
      await owner.updateTable('vault_data_keys').set({ wrapped: dek.wrapped }).where('id', '=', original.dek_id!).execute();
      await sql`ALTER TABLE vault_data_keys ENABLE TRIGGER vault_data_keys_guard`.execute(owner);
    }
    bed.vault.dataKeys.drop(merchant.accountId);
    assert.equal(await tokenUsed(tokenId), false, 'no failed attempt used the token');
    assert.equal((await bed.database.db.selectFrom('vault_authorizations').select('id').where('charge_id', '=', chargeId).execute()).length, 0);
    const healed = await authorize({ token: tokenId, charge_id: chargeId });
    assert.equal(healed.body.status, 'approved', 'the untouched record still decrypts');
  });

  test('merchant erasure crypto-shreds: the KMS destroys the merchant keys, so even a restored backup of a sealed PAN cannot be decrypted', async () => {
    const erased = await bed.merchant();
    const made = await bed.tokenize(erased.publicKey, CARD);
    const customer = newId('customer', false);
    const path = `/internal/v1/accounts/${erased.accountId}`;
    const card = (await api.request('POST', `${path}/customers/${customer}/cards`, { livemode: false, token: made.body.id })).body as Body;
    const backup = await bed.database.ownerDb.selectFrom('vault_cards').select(['pan_nonce', 'pan_ciphertext', 'dek_id']).where('id', '=', String(card.id)).executeTakeFirstOrThrow();
    const answer = await api.request('POST', `${path}/erase`, { livemode: false });
    assert.equal(answer.status, 200);
    assert.deepEqual((answer.body as Body).keys_destroyed, [`card-data.${erased.accountId}`, `fingerprint.${erased.accountId}`]);
    assert.equal((await bed.kms.countActions('kms.key.destroy', 'vault')) >= 2, true, 'the KMS audited the destruction');
    const charge = (fields: Record<string, unknown>) => api.request('POST', `${path}/authorizations`, { livemode: false, charge_id: newId('charge', false), amount: 100, currency: 'THB', capture: true, ...fields });
    assert.equal((await charge({ card: card.id, customer })).status, 404, 'the card is gone');
    // "Restore a backup": put the sealed PAN back. Without the destroyed KEK it never decrypts again.
    await bed.database.ownerDb.updateTable('vault_cards').set({ ...backup, deleted_at: null }).where('id', '=', String(card.id)).execute();
    bed.vault.dataKeys.drop(erased.accountId);
    const restored = await charge({ card: card.id, customer });
    assert.equal(restored.status, 500, 'decryption fails: the key that wrapped its DEK is destroyed');
    const fresh = await bed.tokenize(erased.publicKey, CARD);
    assert.equal(fresh.status, 200, 'the merchant can tokenize again, under new keys');
    assert.notEqual((fresh.body.card as Record<string, unknown>).fingerprint, (made.body.card as Record<string, unknown>).fingerprint, 'a new fingerprint key: old fingerprints mean nothing now');
  });

  test('retention: expired tokens go with their security codes and unattached cards; attached cards stay', async () => {
    const loose = await token();
    const kept = await token();
    const customer = newId('customer', false);
    assert.equal((await api.request('POST', `${base()}/customers/${customer}/cards`, { livemode: false, token: kept })).status, 200);
    const looseCard = await cardOfToken(loose);
    const keptCard = await cardOfToken(kept);
    await bed.database.ownerDb.updateTable('vault_tokens').set({ expires_at: new Date(Date.now() - 1000) }).where('id', 'in', [loose, kept]).execute();
    await bed.database.ownerDb.updateTable('vault_security_codes').set({ expires_at: new Date(Date.now() - 1000) }).where('card_id', 'in', [looseCard, keptCard]).execute();
    const counts = await bed.vault.retention.runOnce();
    assert.ok(counts.tokens >= 2 && counts.cards >= 1 && counts.security_codes >= 2, JSON.stringify(counts));
    const cards = await bed.database.db.selectFrom('vault_cards').select('id').where('id', 'in', [looseCard, keptCard]).execute();
    assert.deepEqual(cards.map((row) => row.id), [keptCard]);
    assert.equal(await codeHeld(keptCard), false);
    assert.equal((await authorize({ card: keptCard, customer })).body.status, 'approved', 'the saved card still charges');
  });
});
