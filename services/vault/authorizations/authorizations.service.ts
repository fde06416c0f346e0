// Authorizations for the api's charges: the one place a PAN leaves its seal, inside the vault process,
// to go to the acquirer connector. Then capture, reverse, refund and 3-D Secure completion, by the
// acquirer's reference (no card data). Rules:
//  - one authorization per charge id (a retried call returns the first answer);
//  - a token is used in the same transaction as the authorization, so it is used exactly once;
//  - the security code is destroyed once the acquirer answers (approved or declined) and kept when it
//    never answered (AcquirerTransportError: the transaction rolls back, the token stays unused, the
//    charge can be retried).
import type { Audit, AuditRecord } from '#lib/audit/index.ts';
import { newId } from '#lib/contracts/index.ts';
import type { Kysely, Transaction } from '#lib/db/index.ts';
import { httpError } from '#lib/http/index.ts';
import { KmsUnavailableError } from '#lib/kms-client/index.ts';
import type { VaultDatabase } from '../db.ts';
import { AcquirerRequestError, AcquirerTransportError, type Acquirer, type AuthorizationResult } from '../acquirer/acquirer.ts';
import { CARD_METADATA_COLUMNS, cardView, type CardMetadata } from '../cards/card-view.ts';
import type { CardStore, SealedCard, SealedCode } from '../cards/cards.store.ts';
import { tokenRefusal, type InternalContext } from '../cards/cards.service.ts';
import type { DataKeyRegistry } from '../data-keys/data-key-registry.ts';
import type { TokenStore } from '../tokens/tokens.store.ts';
import { unavailable } from '../tokens/tokens.service.ts';
import type { Acquirers } from './acquirers.ts';
import type { AuthorizationRow, AuthorizationStore } from './authorizations.store.ts';
import { openPan, openSecurityCode } from './card-opener.ts';

export const AUTHORIZATION_AUDIT = {
  create: 'vault.authorization.create', authenticate: 'vault.authorization.authenticate', capture: 'vault.authorization.capture',
  reverse: 'vault.authorization.reverse', refund: 'vault.authorization.refund',
} as const;

export type AuthorizeInput = {
  charge_id: string; amount: number; currency: string; capture: boolean;
  token?: string; card?: string; customer?: string; three_d_secure?: boolean;
};

type Status = AuthorizationRow['status'];
const STATUS: Record<AuthorizationResult['outcome'], Status> = { approved: 'approved', declined: 'declined', authentication_required: 'authentication_required' };

function chargeStatusOf(row: Pick<AuthorizationRow, 'status' | 'captured_amount'>): string {
  if (row.status === 'declined') return 'failed';
  if (row.status === 'reversed') return 'reversed';
  if (row.status === 'approved' && row.captured_amount > 0) return 'successful';
  return 'pending';
}

/** The metadata columns of a sealed card, without the sealed PAN. */
const metadataOf = (card: SealedCard): CardMetadata => Object.fromEntries(CARD_METADATA_COLUMNS.map((column) => [column, card[column]])) as CardMetadata;

export function authorizationView(row: AuthorizationRow, card: CardMetadata | undefined, extra: { authentication_uri?: string | null } = {}) {
  return {
    object: 'authorization' as const, id: row.id, charge_id: row.charge_id, livemode: row.livemode, status: row.status,
    charge_status: chargeStatusOf(row), amount: row.amount, currency: row.currency,
    authorized_amount: row.authorized_amount, captured_amount: row.captured_amount, refunded_amount: row.refunded_amount,
    failure_code: row.failure_code, failure_message: row.failure_message,
    card: card ? cardView(card) : null, ...extra,
  };
}

export function createAuthorizationService(deps: {
  db: Kysely<VaultDatabase>; store: AuthorizationStore; cards: CardStore; tokens: TokenStore; dataKeys: DataKeyRegistry;
  acquirers: Acquirers; audit: Pick<Audit, 'record' | 'prepareOutbox'>; now?: () => number;
}) {
  const { db, store, cards, tokens, dataKeys, acquirers, audit } = deps;
  const now = deps.now ?? Date.now;

  const acquirerFor = (livemode: boolean): Acquirer => {
    const acquirer = livemode ? acquirers.live : acquirers.test;
    if (!acquirer) throw httpError(503, 'service_unavailable', 'no live acquirer is configured for this platform');
    return acquirer;
  };
  const entry = (ctx: InternalContext, action: string, row: Pick<AuthorizationRow, 'id' | 'charge_id' | 'card_id'>, metadata: Record<string, unknown>, ok = true): AuditRecord => ({
    actor: { type: 'service', id: ctx.caller }, action, tenant: ctx.accountId,
    targets: [{ type: 'authorization', id: row.id }, { type: 'charge', id: row.charge_id }, { type: 'card', id: row.card_id }],
    outcome: ok ? { result: 'success' } : { result: 'failure', reason: String(metadata.failure_code ?? 'declined') },
    origin: { certIdentity: ctx.caller }, requestId: ctx.requestId, metadata,
  });

  /** Maps what cannot be answered now to 503 (retry-safe); a connector's refusal is our own bug: 500. */
  async function guarded<T>(run: () => Promise<T>): Promise<T> {
    try {
      return await run();
    } catch (error) {
      if (error instanceof KmsUnavailableError) throw unavailable();
      if (error instanceof AcquirerTransportError) {
        throw httpError(503, 'service_unavailable', 'the acquirer did not answer; nothing was charged for certain, and the request may be retried');
      }
      if (error instanceof AcquirerRequestError) throw new Error(`acquirer refused the request: ${error.code}`);
      throw error;
    }
  }

  /** The card to charge, locked, with its sealed security code, and the token used for it (in `tx`). */
  async function cardToCharge(tx: Transaction<VaultDatabase>, ctx: InternalContext, input: AuthorizeInput, at: Date) {
    if (input.token) {
      const token = await tokens.use(tx, ctx.accountId, input.token, at);
      if (typeof token === 'string') throw tokenRefusal(token);
      if (token.livemode !== ctx.livemode) throw tokenRefusal('missing');
      const sealed = await cards.sealed(tx, ctx.accountId, token.card_id, at);
      if (!sealed) throw tokenRefusal('missing');
      return { ...sealed, tokenId: token.id };
    }
    const sealed = input.card ? await cards.sealed(tx, ctx.accountId, input.card, at) : undefined;
    const card = sealed?.card;
    if (!sealed || !card || card.livemode !== ctx.livemode || card.customer_id === null || card.customer_id !== input.customer) {
      throw httpError(404, 'not_found', 'card was not found');
    }
    return { ...sealed, tokenId: null };
  }

  async function askAcquirer(tx: Transaction<VaultDatabase>, ctx: InternalContext, id: string, card: SealedCard, sealedCode: SealedCode | undefined, input: AuthorizeInput) {
    const pan = await openPan(dataKeys, card, tx);
    let code: Buffer | null = null;
    try {
      code = sealedCode ? await openSecurityCode(dataKeys, card, sealedCode, tx) : null;
      return await acquirerFor(ctx.livemode).authorize({
        reference: id, pan, securityCode: code, expirationMonth: card.expiration_month, expirationYear: card.expiration_year,
        amount: input.amount, currency: input.currency, capture: input.capture, livemode: ctx.livemode, threeDSecure: input.three_d_secure ?? false,
      });
    } finally {
      pan.fill(0);
      code?.fill(0);
    }
  }

  /**
   * After an answer the security code is destroyed. (A card only a used token holds is removed with the
   * token when it expires: the retention job.)
   */
  async function minimize(tx: Transaction<VaultDatabase>, card: CardMetadata) {
    await cards.destroySecurityCode(tx, card.id);
  }

  return {
    async authorize(ctx: InternalContext, input: AuthorizeInput) {
      const replay = await store.findByCharge(ctx.accountId, input.charge_id);
      if (replay) return authorizationView(replay, await cards.find(ctx.accountId, replay.card_id));
      if (Boolean(input.token) === Boolean(input.card)) throw httpError(400, 'missing_card', 'request contains no card parameters');
      const id = newId('authorization', ctx.livemode);
      const at = new Date(now());
      return guarded(() => db.transaction().execute(async (tx) => {
        const { card, code, tokenId } = await cardToCharge(tx, ctx, input, at);
        const result = await askAcquirer(tx, ctx, id, card, code, input);
        const failureCode = result.outcome === 'declined' ? result.failureCode : null;
        const planned = {
          id, account_id: ctx.accountId, livemode: ctx.livemode, charge_id: input.charge_id, card_id: card.id,
          amount: input.amount, currency: input.currency, status: STATUS[result.outcome], acquirer_reference: result.acquirerReference,
          failure_code: failureCode, failure_message: result.outcome === 'declined' ? result.failureMessage : null,
          authorized_amount: result.outcome === 'approved' ? result.authorizedAmount : 0,
          captured_amount: result.outcome === 'approved' ? result.capturedAmount : 0,
        };
        const securityCodeFailed = result.outcome === 'declined' && !result.securityCodeCheck;
        // Every outcome is an answer, so the security code is destroyed with it (recordAnswer): 3-D Secure
        // completion goes by the acquirer's reference, without card data.
        const row = await store.recordAnswer(tx, {
          row: planned, token: tokenId ? { id: tokenId, chargeStatus: chargeStatusOf(planned) } : null, securityCodeFailed,
          audit: audit.prepareOutbox([entry(ctx, AUTHORIZATION_AUDIT.create, planned, {
            outcome: result.outcome, amount: input.amount, currency: input.currency, capture: input.capture, token: tokenId,
            failure_code: failureCode,
          }, result.outcome !== 'declined')]),
        });
        // The card as it is now: the row locked above, with the code check this answer wrote.
        const after = { ...metadataOf(card), ...(securityCodeFailed ? { security_code_check: false } : {}) };
        return authorizationView(row, after, result.outcome === 'authentication_required' ? { authentication_uri: result.authenticationUri } : {});
      }));
    },

    async get(ctx: InternalContext, id: string) {
      const row = await store.find(ctx.accountId, id);
      if (!row || row.livemode !== ctx.livemode) throw httpError(404, 'not_found', 'authorization was not found');
      return authorizationView(row, await cards.find(ctx.accountId, row.card_id));
    },

    /** The payer finished (or failed) 3-D Secure: the issuer's answer, then the card data goes as after any answer. */
    authenticate: (ctx: InternalContext, id: string, authenticated: boolean) => operate(ctx, id, AUTHORIZATION_AUDIT.authenticate, async (tx, row) => {
      if (row.status !== 'authentication_required') throw httpError(400, 'invalid_charge', 'this charge is not waiting for 3-D Secure');
      const result = await acquirerFor(ctx.livemode).completeAuthentication({ acquirerReference: row.acquirer_reference!, authenticated });
      const card = await cards.find(ctx.accountId, row.card_id, tx);
      if (card) await minimize(tx, card);
      if (result.outcome === 'declined' && !result.securityCodeCheck) await cards.setSecurityCodeCheck(tx, row.card_id, false);
      return {
        change: result.outcome === 'approved'
          ? { status: 'approved' as const, authorized_amount: result.authorizedAmount, captured_amount: result.capturedAmount }
          : { status: 'declined' as const, failure_code: result.failureCode, failure_message: result.failureMessage },
        metadata: { outcome: result.outcome, failure_code: result.outcome === 'declined' ? result.failureCode : null },
        ok: result.outcome === 'approved',
      };
    }),

    capture: (ctx: InternalContext, id: string, amount?: number) => operate(ctx, id, AUTHORIZATION_AUDIT.capture, async (_tx, row) => {
      const wanted = amount ?? row.authorized_amount;
      const result = await acquirerFor(ctx.livemode).capture({ acquirerReference: row.acquirer_reference ?? '', amount: wanted });
      if (result.outcome === 'declined') throw httpError(400, 'failed_capture', result.failureMessage);
      return { change: { captured_amount: result.capturedAmount }, metadata: { amount: result.capturedAmount }, ok: true };
    }),

    reverse: (ctx: InternalContext, id: string) => operate(ctx, id, AUTHORIZATION_AUDIT.reverse, async (_tx, row) => {
      const result = await acquirerFor(ctx.livemode).reverse({ acquirerReference: row.acquirer_reference ?? '' });
      if (result.outcome === 'declined') throw httpError(400, 'invalid_charge', result.failureMessage);
      return { change: { status: 'reversed' as const }, metadata: { amount: result.reversedAmount }, ok: true };
    }),

    refund: (ctx: InternalContext, id: string, amount: number, refundId: string) => operate(ctx, id, AUTHORIZATION_AUDIT.refund, async (_tx, row) => {
      const result = await acquirerFor(ctx.livemode).refund({ acquirerReference: row.acquirer_reference ?? '', amount, reference: refundId });
      if (result.outcome === 'declined') throw httpError(400, 'failed_refund', result.failureMessage);
      // A replayed refund id answers with the running total as it was then: never move the total back.
      return { change: { refunded_amount: Math.max(row.refunded_amount, result.refundedAmount) }, metadata: { amount: result.amount, refund: refundId }, ok: true };
    }),
  };

  /** One operation on an existing authorization: locked, sent to the acquirer, updated and audited together. */
  async function operate(ctx: InternalContext, id: string, action: string,
    run: (tx: Transaction<VaultDatabase>, row: AuthorizationRow) => Promise<{ change: Parameters<AuthorizationStore['update']>[2]; metadata: Record<string, unknown>; ok: boolean }>) {
    return guarded(() => db.transaction().execute(async (tx) => {
      const row = await store.lock(tx, ctx.accountId, id);
      if (!row || row.livemode !== ctx.livemode) throw httpError(404, 'not_found', 'authorization was not found');
      if (row.acquirer_reference === null) throw httpError(400, 'invalid_charge', 'this charge was declined and has nothing to operate on');
      const { change, metadata, ok } = await run(tx, row);
      const updated = await store.update(tx, id, change);
      await audit.record(tx, entry(ctx, action, updated, metadata, ok));
      return authorizationView(updated, await cards.find(ctx.accountId, updated.card_id, tx));
    }));
  }
}

export type AuthorizationService = ReturnType<typeof createAuthorizationService>;
