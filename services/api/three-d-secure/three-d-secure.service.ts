// The payer's side of 3-D Secure (docs/omise-compat.md §10.4). No API key: the page key in the address
// is the capability (it must belong to the charge named in the path), and the page shows only the
// merchant's name, the amount and the currency.
//
// POST: in one transaction, the charge row and then the page row are locked, the page must be unused,
// the charge still waiting (pending, not authorized, not past expires_at) and the form value right;
// then the vault completes 3-D Secure and its answer settles the charge (authentication-outcome.ts).
// The vault is called while the charge row is locked, so the merchant's expire, the expiry job and a
// second POST wait for the outcome instead of racing it. A refused POST changes nothing but the audit.
import type { Audit, AuditRecord } from '#lib/audit/index.ts';
import type { Kysely } from '#lib/db/index.ts';
import type { ApiDatabase } from '../db.ts';
import type { RequestOrigin } from '../customers/customers.service.ts';
import { expiresAt } from '../charges/charge-view.ts';
import type { ChargeRow } from '../charges/charges.store.ts';
import { ask, isOutage } from '../charges/vault-answers.ts';
import type { VaultAuthorization, VaultClient } from '../vault/vault-client.ts';
import { isSettled, type AuthenticationOutcome } from './authentication-outcome.ts';
import { authorizePage, pageCsp, resultPage } from './authorize-page.html.ts';
import { isFormValue, isPageKey, secretHash } from './page-secret.ts';
import { pageRefusal, type RefusalReason } from './page-refusal.ts';
import { payerEntry } from './three-d-secure.audit.ts';
import type { PageRow, ThreeDSecureStore } from './three-d-secure.store.ts';

export type PageAnswer = { kind: 'page'; html: string; csp: string } | { kind: 'redirect'; location: string };

type Closed = Exclude<RefusalReason, 'unknown' | 'choice'>;

/** The charge when its page is open (unused, the charge still waiting for the payer), else why not. */
export function openCharge(page: Pick<PageRow, 'used_at'>, charge: ChargeRow | undefined, at: Date): ChargeRow | Closed {
  if (page.used_at !== null) return 'used';
  if (!charge) return 'closed';
  if (charge.status === 'expired' || at >= expiresAt(charge)) return 'expired';
  if (charge.status !== 'pending' || charge.authorized || charge.authorization_id === null) return 'closed';
  return charge;
}

export function createThreeDSecureService(deps: {
  db: Kysely<ApiDatabase>; store: ThreeDSecureStore; vault: Pick<VaultClient, 'authenticate' | 'getAuthorization'>;
  outcome: AuthenticationOutcome; audit: Pick<Audit, 'record'>; now?: () => Date;
}) {
  const { db, store, vault, outcome, audit } = deps;
  const now = deps.now ?? (() => new Date());

  /** The page a key opens, if it is the page of `chargeId`; the same refusal whichever part is wrong. */
  async function pageOf(chargeId: string, key: unknown): Promise<PageRow> {
    const page = isPageKey(key) ? await store.findPage(secretHash(key)) : undefined;
    if (!page || page.charge_id !== chargeId) throw pageRefusal('unknown');
    return page;
  }

  /**
   * Completes 3-D Secure at the vault. When the vault says it is no longer waiting (a completion whose
   * answer was lost: timeout, crash), its current state is the answer.
   */
  async function complete(charge: ChargeRow, authenticated: boolean, requestId: string): Promise<VaultAuthorization | 'unavailable' | 'closed'> {
    const id = charge.authorization_id!;
    const answer = await ask(() => vault.authenticate(charge.account_id, charge.livemode, id, authenticated, requestId));
    if (answer.ok) return isSettled(answer.body) ? answer.body : 'closed';
    if (isOutage(answer)) return 'unavailable';
    const current = await ask(() => vault.getAuthorization(charge.account_id, charge.livemode, id));
    if (current.ok) return isSettled(current.body) ? current.body : 'closed';
    return isOutage(current) ? 'unavailable' : 'closed';
  }

  return {
    async show(chargeId: string, key: unknown): Promise<PageAnswer> {
      const page = await pageOf(chargeId, key);
      const charge = openCharge(page, await store.findCharge(page.charge_id), now());
      if (typeof charge === 'string') throw pageRefusal(charge);
      const merchant = await store.merchantName(charge.account_id);
      return {
        kind: 'page', csp: pageCsp(charge.return_uri),
        html: authorizePage({ merchant, amount: charge.amount, currency: charge.currency, formValue: page.form_value }),
      };
    },

    async submit(chargeId: string, key: unknown, form: unknown, origin: RequestOrigin): Promise<PageAnswer> {
      const page = await pageOf(chargeId, key);
      const fields = (form !== null && typeof form === 'object' ? form : {}) as Record<string, unknown>;
      if (fields.result !== 'success' && fields.result !== 'failure') throw pageRefusal('choice');
      const authenticated = fields.result === 'success';
      const done = await db.transaction().execute(async (tx): Promise<{ refused: Closed } | { charge: ChargeRow }> => {
        const row = await store.lockCharge(tx, page.charge_id);
        const locked = await store.lockPage(tx, page.charge_id);
        const refuse = async (reason: Closed) => {
          if (row) await audit.record(tx, payerEntry(row, origin, { result: 'failure', reason }, { result: fields.result as string }));
          return { refused: reason };
        };
        const at = now();
        if (!locked) return refuse('used');
        const charge = openCharge(locked, row, at);
        if (typeof charge === 'string') return refuse(charge);
        if (!isFormValue(fields.form_value, locked.form_value)) return refuse('form');
        const authorization = await complete(charge, authenticated, origin.requestId);
        if (typeof authorization === 'string') return refuse(authorization);
        const entry = (after: ChargeRow): AuditRecord => payerEntry(after, origin,
          after.status === 'failed' ? { result: 'failure', reason: after.failure_code ?? 'declined' } : { result: 'success' },
          { result: fields.result as string, status: after.status, failure_code: after.failure_code });
        return { charge: await outcome.settle(tx, charge, authorization, entry, at) };
      });
      if ('refused' in done) throw pageRefusal(done.refused);
      const { charge } = done;
      // Normalized by the URL parser: the Location header never carries what the parser would drop.
      if (charge.return_uri !== null) return { kind: 'redirect', location: new URL(charge.return_uri).href };
      const shown = charge.status === 'successful' ? 'successful' : charge.status === 'pending' && charge.authorized ? 'authorized' : 'failed';
      return { kind: 'page', csp: pageCsp(), html: resultPage(shown, await store.merchantName(charge.account_id)) };
    },
  };
}

export type ThreeDSecureService = ReturnType<typeof createThreeDSecureService>;
