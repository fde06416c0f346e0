// Opens the 3-D Secure page of a charge the vault answered with `authentication_required`:
// `authorize_uri` becomes `<api public URL>/payments/<charge id>/authorize?key=<page key>`: the key is
// random, only its hash is kept (page-secret.ts), and it sits in the query string, which request logs
// leave out (the charge id in the path keeps the logs useful). The page stands in for the card issuer, so it exists in
// test mode only: a live charge keeps the acquirer's own authentication address (the vault's
// `authentication_uri`), and no live connector ships with Strongroom.
import type { Transaction } from '#lib/db/index.ts';
import type { ApiDatabase } from '../db.ts';
import type { ChargeRow } from '../charges/charges.store.ts';
import { newFormValue, newPageKey, secretHash } from './page-secret.ts';
import type { ThreeDSecureStore } from './three-d-secure.store.ts';

/** The api host's public base URL, checked once: https, no path, query or credentials. */
export function readPublicUrl(value: string): string {
  const url = new URL(value);
  if (url.protocol !== 'https:' || url.username !== '' || url.password !== '' || url.search !== '' || url.hash !== '' || url.pathname !== '/') {
    throw new Error(`the api public URL must be https://host[:port] only, got ${JSON.stringify(value)}`);
  }
  return url.origin;
}

export function createAuthenticationPages(deps: { store: Pick<ThreeDSecureStore, 'insertPage' | 'setAuthorizeUri'>; publicUrl: string }) {
  const publicUrl = readPublicUrl(deps.publicUrl);
  return {
    /** In the caller's transaction: the page exists exactly when the charge shows its address. */
    async open(tx: Transaction<ApiDatabase>, charge: ChargeRow, at: Date): Promise<ChargeRow> {
      if (charge.livemode) return charge;
      const key = newPageKey();
      await deps.store.insertPage(tx, {
        charge_id: charge.id, account_id: charge.account_id, livemode: charge.livemode, secret_hash: secretHash(key), form_value: newFormValue(),
      });
      return deps.store.setAuthorizeUri(tx, charge.id, `${publicUrl}/payments/${charge.id}/authorize?key=${key}`, at);
    },
  };
}

export type AuthenticationPages = ReturnType<typeof createAuthenticationPages>;
