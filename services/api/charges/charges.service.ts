// Charges of a merchant (docs/omise-compat.md §7.3, §8.3, §8.4). The api never sees card data: the
// vault authorizes, captures and reverses, and answers with amounts, statuses and card metadata.
// Create: the charge row is written first (so its id exists for the vault's one-authorization-per-
// charge rule), then the vault is asked, then the row takes the answer, each step atomic with its
// audit entry (one statement, or one transaction).
import { idPattern, newId } from '#lib/contracts/index.ts';
import { httpError } from '#lib/http/index.ts';
import type { Audit, AuditRecord } from '#lib/audit/index.ts';
import type { Kysely, Transaction } from '#lib/db/index.ts';
import type { ApiDatabase } from '../db.ts';
import type { Merchant } from '../auth/secret-key.auth.ts';
import { auditActorOf, auditCallerOf } from '../auth/audit-actor.ts';
import type { CustomerStore } from '../customers/customers.store.ts';
import type { RequestOrigin } from '../customers/customers.service.ts';
import type { VaultClient } from '../vault/vault-client.ts';
import type { RefundStore } from '../refunds/refunds.store.ts';
import { listObject, parseListParams } from '../lists/list-params.ts';
import { CHARGE_AUDIT } from './charges.audit.ts';
import { readAmount, readChargeInput, type ChargeSource } from './charge-input.ts';
import { expiresAt, isCapturable, presentCharge } from './charge-view.ts';
import type { ChargeRow, ChargeStore } from './charges.store.ts';
import type { CaptureBody, CreateChargeBody, UpdateChargeBody } from './charges.schemas.ts';
import { DEFAULT_CARD_FEES, type FeeRates } from './fees.ts';
import { ask, changeFrom, isOutage, passThrough, type Refusal } from './vault-answers.ts';
import { IGNORE_CHANGES, type ChangeKey, type ChangeRecorder } from '../changes/changes.ts';
import { readMetadata } from '../metadata/metadata.ts';

export type ChargeVault = Pick<VaultClient, 'authorize' | 'capture' | 'reverse' | 'refund'>;
type Outcome = AuditRecord['outcome'];

const CHARGE_ID = idPattern('charge');
const SUCCESS: Outcome = { result: 'success' };
const failure = (reason: string): Outcome => ({ result: 'failure', reason });

export function chargeNotFound(id: string) {
  // Only an id of the right shape is echoed: the message never carries arbitrary input.
  return httpError(404, 'not_found', CHARGE_ID.test(id) ? `charge ${id} was not found` : 'charge was not found');
}

/** The audit entry of a merchant's request: who (the key's id, never the key, or the person a caller acts for), what, from where. */
export function chargeEntry(merchant: Merchant, origin: RequestOrigin, action: string, targets: AuditRecord['targets'],
  outcome: Outcome, metadata: Record<string, unknown> = {}): AuditRecord {
  return {
    actor: auditActorOf(merchant), action, tenant: merchant.accountId, targets, outcome,
    origin: { ip: origin.ip, userAgent: origin.userAgent }, requestId: origin.requestId,
    metadata: { livemode: merchant.livemode, ...auditCallerOf(merchant), ...metadata },
  };
}

export function createChargeService(deps: {
  db: Kysely<ApiDatabase>; charges: ChargeStore; refunds: RefundStore; customers: Pick<CustomerStore, 'find'>;
  vault: ChargeVault; audit: Pick<Audit, 'record' | 'prepareOutbox'>; changes?: ChangeRecorder; fees?: FeeRates; now?: () => Date;
  /** Opens the payer's 3-D Secure page of a charge waiting for it (services/api/three-d-secure). */
  authenticationPages?: { open(tx: Transaction<ApiDatabase>, row: ChargeRow, at: Date): Promise<ChargeRow> };
}) {
  const { db, charges, refunds, customers, vault, audit } = deps;
  const changes = deps.changes ?? IGNORE_CHANGES;
  const now = deps.now ?? (() => new Date());
  const fees = deps.fees ?? DEFAULT_CARD_FEES;
  const inTransaction = <T>(run: (tx: Transaction<ApiDatabase>) => Promise<T>) => db.transaction().execute(run);

  async function mustFind(merchant: Merchant, id: string): Promise<ChargeRow> {
    const row = CHARGE_ID.test(id) ? await charges.find(merchant.accountId, merchant.livemode, id) : undefined;
    if (!row) throw chargeNotFound(id);
    return row;
  }

  async function present(merchant: Pick<Merchant, 'accountId' | 'livemode'>, row: ChargeRow, at: Date = now(), tx?: Transaction<ApiDatabase>) {
    const embedded = await refunds.forCharges(merchant.accountId, merchant.livemode, [row.id], tx);
    return presentCharge(row, embedded.get(row.id) ?? [], at);
  }

  /** Announces a change inside its transaction (events, webhooks, ledger) with the charge as the merchant now sees it. */
  async function announce(tx: Transaction<ApiDatabase>, merchant: Pick<Merchant, 'accountId' | 'livemode'>, key: ChangeKey, row: ChargeRow) {
    const at = now();
    // Read in `tx`: a second pooled connection per open transaction deadlocks the pool under load.
    await changes.record(tx, { merchant, key, data: await present(merchant, row, at, tx), at });
  }

  /** What the vault charges: a token, or a saved card of a customer of this merchant (the default one if unnamed). */
  async function resolve(merchant: Merchant, source: ChargeSource): Promise<{ token?: string; card?: string; customer?: string }> {
    if (source.kind === 'token') return { token: source.token };
    const customer = await customers.find(merchant.accountId, merchant.livemode, source.customer);
    if (!customer || customer.deleted) throw httpError(404, 'not_found', `customer ${source.customer} was not found`);
    const card = source.kind === 'card' ? source.card : customer.default_card;
    if (!card) throw httpError(400, 'missing_card', `customer ${source.customer} has no card to charge`);
    return { card, customer: customer.id };
  }

  /** A refused or unanswered vault call on an existing charge: audited as a failure, then passed through. */
  async function refused(merchant: Merchant, origin: RequestOrigin, action: string, row: ChargeRow, answer: Refusal): Promise<never> {
    const error = passThrough(answer);
    await inTransaction((tx) => audit.record(tx, chargeEntry(merchant, origin, action, [{ type: 'charge', id: row.id }], failure(error.code))));
    throw error;
  }

  return {
    async create(merchant: Merchant, body: CreateChargeBody, origin: RequestOrigin) {
      const input = readChargeInput(body);
      const source = await resolve(merchant, input.source);
      const id = newId('charge', merchant.livemode);
      const target = [{ type: 'charge', id }];
      // The charge and its audit entry in one statement: atomic and committed on return, one round trip.
      await charges.insertAudited({
        id, account_id: merchant.accountId, livemode: merchant.livemode, amount: input.amount, currency: input.currency,
        description: input.description, metadata: JSON.stringify(input.metadata), capture: input.capture,
        authorization_type: input.authorizationType, customer_id: source.customer ?? null, token_id: source.token ?? null,
        card_id: source.card ?? null, return_uri: input.returnUri, ip: input.ip, fee_rate_bp: fees.feeRateBp, vat_rate_bp: fees.vatRateBp,
        transaction_id: newId('transaction', merchant.livemode), // the ledger credit's id, named by the charge once paid
      }, audit.prepareOutbox([chargeEntry(merchant, origin, CHARGE_AUDIT.requested, target, SUCCESS,
        { amount: input.amount, currency: input.currency, capture: input.capture })]));
      const answer = await ask(() => vault.authorize(merchant.accountId, {
        livemode: merchant.livemode, charge_id: id, amount: input.amount, currency: input.currency, capture: input.capture, ...source,
        three_d_secure: input.threeDSecure,
      }, origin.requestId));
      const at = now();
      if (!answer.ok) {
        const error = passThrough(answer);
        await inTransaction(async (tx) => {
          // Unanswered, the charge stays `requested`: whether the acquirer saw it is not known here.
          if (!isOutage(answer)) await charges.markRefused(tx, id, error.code, at);
          await audit.record(tx, chargeEntry(merchant, origin, CHARGE_AUDIT.created, target, failure(error.code)));
        });
        throw error;
      }
      const row = await inTransaction(async (tx) => {
        const change = changeFrom(answer.body);
        // The entry names what the update writes (the answer's status and failure code, the amount as
        // inserted), so both go in one statement.
        const applied = await charges.applyAuthorization(tx, id, change, at, audit.prepareOutbox([chargeEntry(merchant, origin, CHARGE_AUDIT.created,
          [...target, { type: 'authorization', id: answer.body.id }],
          change.status === 'failed' ? failure(change.failure_code ?? 'declined') : SUCCESS,
          { status: change.status, amount: input.amount, currency: input.currency, failure_code: change.failure_code })]));
        const pages = deps.authenticationPages;
        const updated = answer.body.status === 'authentication_required' && pages ? await pages.open(tx, applied, at) : applied;
        await announce(tx, merchant, 'charge.create', updated);
        return updated;
      });
      return presentCharge(row, [], at);
    },

    async retrieve(merchant: Merchant, id: string) {
      return present(merchant, await mustFind(merchant, id));
    },

    async list(merchant: Merchant, query: unknown) {
      const params = parseListParams(query, now());
      const { rows, total } = await charges.list(merchant.accountId, merchant.livemode, params);
      const embedded = await refunds.forCharges(merchant.accountId, merchant.livemode, rows.map((row) => row.id));
      return listObject(params, '/charges', rows.map((row) => presentCharge(row, embedded.get(row.id) ?? [], params.to)), total);
    },

    async update(merchant: Merchant, id: string, body: UpdateChargeBody, origin: RequestOrigin) {
      const found = await mustFind(merchant, id);
      const change = {
        ...(body.description === undefined ? {} : { description: body.description }),
        ...(body.metadata === undefined ? {} : { metadata: JSON.stringify(readMetadata(body.metadata)) }),
      };
      const row = await inTransaction(async (tx) => {
        const updated = await charges.update(tx, found.id, change, now());
        await audit.record(tx, chargeEntry(merchant, origin, CHARGE_AUDIT.updated, [{ type: 'charge', id: found.id }], SUCCESS,
          { fields: Object.keys(change) }));
        await announce(tx, merchant, 'charge.update', updated);
        return updated;
      });
      return present(merchant, row);
    },

    async capture(merchant: Merchant, id: string, body: CaptureBody, origin: RequestOrigin) {
      const row = await mustFind(merchant, id);
      if (!isCapturable(row, now())) {
        if (row.status === 'pending' && row.authorized && now() >= expiresAt(row)) throw httpError(400, 'expired_charge', 'charge expired');
        throw httpError(400, 'failed_capture', row.captured_amount > 0 ? 'charge was already captured' : 'charge is not authorized');
      }
      // An explicit null is not "the full amount": capturing more than meant cannot be undone.
      if (body.capture_amount === null) throw httpError(400, 'invalid_amount', 'capture_amount cannot be null: send an amount, or leave it out to capture the full amount');
      let amount: number | undefined;
      if (body.capture_amount !== undefined && body.capture_amount !== '') {
        const parsed = readAmount(body.capture_amount, 'capture_amount');
        if (!parsed.ok) throw httpError(400, 'invalid_amount', parsed.problem);
        if (parsed.value > row.authorized_amount) throw httpError(400, 'invalid_amount', `capture_amount must be at most the authorized amount (${row.authorized_amount})`);
        amount = parsed.value;
      }
      const answer = await ask(() => vault.capture(merchant.accountId, merchant.livemode, row.authorization_id!, amount, origin.requestId));
      if (!answer.ok) return refused(merchant, origin, CHARGE_AUDIT.captured, row, answer);
      const updated = await inTransaction(async (tx) => {
        const after = await charges.applyAuthorization(tx, row.id, changeFrom(answer.body), now());
        await audit.record(tx, chargeEntry(merchant, origin, CHARGE_AUDIT.captured, [{ type: 'charge', id: row.id }], SUCCESS,
          { amount: after.captured_amount, currency: after.currency }));
        await announce(tx, merchant, 'charge.capture', after);
        return after;
      });
      return present(merchant, updated);
    },

    async reverse(merchant: Merchant, id: string, origin: RequestOrigin) {
      const row = await mustFind(merchant, id);
      if (!isCapturable(row, now())) {
        if (row.status === 'pending' && row.authorized && now() >= expiresAt(row)) throw httpError(400, 'expired_charge', 'charge expired');
        throw httpError(400, 'failed_reverse', row.status === 'reversed' ? 'charge was already reversed' : 'charge cannot be reversed');
      }
      const answer = await ask(() => vault.reverse(merchant.accountId, merchant.livemode, row.authorization_id!, origin.requestId));
      if (!answer.ok) return refused(merchant, origin, CHARGE_AUDIT.reversed, row, answer);
      const updated = await inTransaction(async (tx) => {
        const after = await charges.applyAuthorization(tx, row.id, changeFrom(answer.body), now());
        await audit.record(tx, chargeEntry(merchant, origin, CHARGE_AUDIT.reversed, [{ type: 'charge', id: row.id }], SUCCESS,
          { amount: after.authorized_amount, currency: after.currency }));
        await announce(tx, merchant, 'charge.reverse', after);
        return after;
      });
      return present(merchant, updated);
    },

    /** Only a charge still waiting for the payer (not authorized) can be expired; the vault holds nothing to release. */
    async expire(merchant: Merchant, id: string, origin: RequestOrigin) {
      const row = await mustFind(merchant, id);
      const updated = await inTransaction(async (tx) => {
        const after = row.status === 'pending' && !row.authorized ? await charges.expire(tx, row.id, now()) : undefined;
        if (!after) throw httpError(400, 'failed_expire', 'expire failed: only a charge that is pending and not authorized can be expired');
        await audit.record(tx, chargeEntry(merchant, origin, CHARGE_AUDIT.expired, [{ type: 'charge', id: row.id }], SUCCESS));
        await announce(tx, merchant, 'charge.expire', after);
        return after;
      });
      return present(merchant, updated);
    },

    mustFind,
    announce,
  };
}

export type ChargeService = ReturnType<typeof createChargeService>;
