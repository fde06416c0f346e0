// Tokenization: validate the card, then (group-committed with every request that arrives meanwhile)
// fingerprint the PANs at the KMS, seal PAN and security code under the merchant's current DEK, and
// write cards, tokens, sealed security codes and audit entries in one statement (atomic). A caller is answered
// only once its token is durable. Nothing invalid is stored; nothing is stored when the KMS is down.
import type { Audit } from '#lib/audit/index.ts';
import { newId } from '#lib/contracts/index.ts';
import { httpError } from '#lib/http/index.ts';
import { KmsUnavailableError } from '#lib/kms-client/index.ts';
import type { CardMetadata } from '../cards/card-view.ts';
import { validateCard, type CardInput, type ValidCard } from '../cards/card-number.ts';
import { encryptField } from '../cards/pan-cipher.ts';
import type { Fingerprinter } from '../cards/fingerprints.ts';
import type { DataKeyRegistry } from '../data-keys/data-key-registry.ts';
import type { Merchant } from '../merchants/merchant.ts';
import { createGroupCommit } from './group-commit.ts';
import type { NewTokens, TokenStore } from './tokens.store.ts';
import type { TokenRow } from './token-view.ts';

/** A token (and its security code) can be used for this long after it was made; then it is purged. */
export const TOKEN_TTL_MS = 30 * 60_000;
export const TOKEN_AUDIT = { create: 'vault.token.create' } as const;

export type RequestContext = { ip?: string; requestId?: string };
type Item = { merchant: Merchant; card: ValidCard; ctx: RequestContext };
export type Tokenized = { token: TokenRow; card: CardMetadata };

export function unavailable(): Error {
  return httpError(503, 'service_unavailable', 'card data cannot be processed right now, try again shortly');
}

export function createTokenService(deps: {
  store: TokenStore; dataKeys: DataKeyRegistry; fingerprints: Fingerprinter;
  audit: Pick<Audit, 'prepareOutbox'>; now?: () => number; maxBatch?: number; maxInFlight?: number;
}) {
  const { store, dataKeys, fingerprints, audit } = deps;
  const now = deps.now ?? Date.now;

  async function writeBatch(items: Item[]): Promise<Tokenized[]> {
    const byAccount = new Map<string, number[]>();
    items.forEach((item, i) => byAccount.set(item.merchant.accountId, [...(byAccount.get(item.merchant.accountId) ?? []), i]));
    const pans = items.map((item) => Buffer.from(item.card.pan, 'ascii'));
    const codes = items.map((item) => (item.card.security_code === null ? null : Buffer.from(item.card.security_code, 'ascii')));
    try {
      const prints: string[] = new Array<string>(items.length);
      await Promise.all([...byAccount].map(async ([accountId, indexes]) => {
        const macs = await fingerprints.of(accountId, indexes.map((i) => pans[i]!));
        indexes.forEach((i, k) => { prints[i] = macs[k]!; });
      }));
      const createdAt = new Date(now());
      const expiresAt = new Date(createdAt.getTime() + TOKEN_TTL_MS);
      const rows: NewTokens = { cards: [], tokens: [], securityCodes: [] };
      const out: Tokenized[] = new Array<Tokenized>(items.length);
      for (const [accountId, indexes] of byAccount) {
        // Uses come from a block this instance reserved (one UPDATE per block, not per batch).
        const dek = await dataKeys.forEncryption(accountId, undefined, indexes.length);
        try {
          for (const i of indexes) {
            const { merchant, card } = items[i]!;
            const cardId = newId('card', merchant.livemode);
            const pan = encryptField(dek.key, pans[i]!, { recordId: cardId, merchantId: accountId, dekId: dek.id, purpose: 'pan' });
            const cardRow = {
              id: cardId, account_id: accountId, livemode: merchant.livemode, customer_id: null,
              brand: card.brand, last_digits: card.last_digits, name: card.name ?? '',
              expiration_month: card.expiration_month, expiration_year: card.expiration_year,
              country: (card.country ?? '').toLowerCase(), city: card.city, state: card.state, street1: card.street1, street2: card.street2,
              postal_code: card.postal_code, phone_number: card.phone_number,
              fingerprint: prints[i]!, security_code_check: true, created_at: createdAt, deleted_at: null,
            };
            rows.cards.push({ ...cardRow, dek_id: dek.id, pan_nonce: pan.nonce, pan_ciphertext: pan.ciphertext });
            const code = codes[i];
            if (code) {
              const sealed = encryptField(dek.key, code, { recordId: cardId, merchantId: accountId, dekId: dek.id, purpose: 'cvv' });
              rows.securityCodes.push({ card_id: cardId, dek_id: dek.id, nonce: sealed.nonce, ciphertext: sealed.ciphertext, expires_at: expiresAt });
            }
            const token = {
              id: newId('token', merchant.livemode), account_id: accountId, livemode: merchant.livemode, card_id: cardId,
              created_at: createdAt, expires_at: expiresAt, used_at: null, charge_status: 'unknown',
            };
            rows.tokens.push(token);
            out[i] = { token, card: cardRow };
          }
        } finally {
          dek.key.fill(0);
        }
      }
      const entries = audit.prepareOutbox(items.map((item, i) => ({
        actor: { type: 'api_key' as const, id: item.merchant.keyId },
        action: TOKEN_AUDIT.create,
        tenant: item.merchant.accountId,
        targets: [{ type: 'token', id: out[i]!.token.id }, { type: 'card', id: out[i]!.card.id }],
        outcome: { result: 'success' as const },
        origin: { ip: item.ctx.ip },
        requestId: item.ctx.requestId,
        metadata: { brand: item.card.brand, livemode: item.merchant.livemode, verification_value_held: codes[i] !== null },
      })));
      await store.insert(rows, entries);
      return out;
    } catch (error) {
      if (error instanceof KmsUnavailableError) throw unavailable();
      throw error;
    } finally {
      for (const buffer of [...pans, ...codes]) buffer?.fill(0);
    }
  }

  const queue = createGroupCommit<Item, Tokenized>({ run: writeBatch, maxBatch: deps.maxBatch ?? 256, maxInFlight: deps.maxInFlight ?? 2 });

  return {
    /** Validates and tokenizes one card for `merchant`; resolves once the token is durable. */
    async create(merchant: Merchant, input: CardInput, ctx: RequestContext): Promise<Tokenized> {
      const checked = validateCard(input, new Date(now()));
      if (!checked.ok) throw httpError(400, 'invalid_card', checked.message);
      if (!checked.card.name?.trim()) throw httpError(400, 'invalid_card', 'name cannot be blank');
      return queue.submit({ merchant, card: checked.card, ctx });
    },
    async find(merchant: Merchant, tokenId: string): Promise<Tokenized | undefined> {
      const found = await store.find(merchant.accountId, tokenId);
      return found && found.token.livemode === merchant.livemode ? found : undefined;
    },
    idle: () => queue.idle(),
  };
}

export type TokenService = ReturnType<typeof createTokenService>;
