// The end of 3-D Secure, wherever it is learned (the payer's POST, or the expiry job finding the vault
// already settled): the vault's answer becomes the charge's state, the page is spent, the change is
// audited and announced as `charge.complete`, all in the caller's transaction.
import type { Audit, AuditRecord } from '#lib/audit/index.ts';
import type { Transaction } from '#lib/db/index.ts';
import type { ApiDatabase } from '../db.ts';
import type { ChangeKey } from '../changes/changes.ts';
import type { ChargeRow, ChargeStore } from '../charges/charges.store.ts';
import { changeFrom } from '../charges/vault-answers.ts';
import type { VaultAuthorization } from '../vault/vault-client.ts';
import type { ThreeDSecureStore } from './three-d-secure.store.ts';

export type Announce = (tx: Transaction<ApiDatabase>, merchant: { accountId: string; livemode: boolean }, key: ChangeKey, row: ChargeRow) => Promise<void>;

/** Whether the vault's authorization is past 3-D Secure (approved, declined or reversed). */
export const isSettled = (authorization: Pick<VaultAuthorization, 'status'>) => authorization.status !== 'authentication_required';

export function createAuthenticationOutcome(deps: {
  charges: Pick<ChargeStore, 'applyAuthorization'>; store: Pick<ThreeDSecureStore, 'markUsed' | 'setAuthenticatedBy'>;
  audit: Pick<Audit, 'record'>; announce: Announce;
}) {
  const { charges, store, audit, announce } = deps;
  return {
    /** `charge` must be locked by the caller and `authorization` settled. `entry` is built from the charge after the change. */
    async settle(tx: Transaction<ApiDatabase>, charge: ChargeRow, authorization: VaultAuthorization, entry: (after: ChargeRow) => AuditRecord, at: Date) {
      // The charge keeps its authorize_uri after 3-D Secure, as Omise's do.
      let after = await charges.applyAuthorization(tx, charge.id, { ...changeFrom(authorization), authorize_uri: charge.authorize_uri }, at);
      if (authorization.status === 'approved') after = await store.setAuthenticatedBy(tx, charge.id, '3DS', at);
      await store.markUsed(tx, charge.id, at);
      await audit.record(tx, entry(after));
      await announce(tx, { accountId: after.account_id, livemode: after.livemode }, 'charge.complete', after);
      return after;
    },
  };
}

export type AuthenticationOutcome = ReturnType<typeof createAuthenticationOutcome>;
