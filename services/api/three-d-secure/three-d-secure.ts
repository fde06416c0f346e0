// Assembly of the 3-D Secure flow for server.ts, in two steps because the charge service and this
// flow need each other: the charge service opens pages (`pages`), and completing a page announces
// through the charge service (`connect(announce)`).
import type { Audit } from '#lib/audit/index.ts';
import type { ListenerConfig } from '#lib/config/index.ts';
import type { Kysely } from '#lib/db/index.ts';
import type { ApiDatabase } from '../db.ts';
import type { ChargeStore } from '../charges/charges.store.ts';
import type { VaultClient } from '../vault/vault-client.ts';
import { createAuthenticationOutcome, type Announce } from './authentication-outcome.ts';
import { createAuthenticationPages } from './authentication-pages.ts';
import { createThreeDSecureService } from './three-d-secure.service.ts';
import { createThreeDSecureStore } from './three-d-secure.store.ts';

/** The api's public base URL from its config (`extra.publicUrl`, written by the supervisor), else its listener on localhost. */
export function apiPublicUrl(config: { extra?: Record<string, unknown>; public?: ListenerConfig }): string {
  const configured = config.extra?.publicUrl;
  return typeof configured === 'string' ? configured : `https://localhost:${config.public?.port ?? 443}`;
}

export function createThreeDSecure(deps: {
  db: Kysely<ApiDatabase>; vault: Pick<VaultClient, 'authenticate' | 'getAuthorization'>; audit: Pick<Audit, 'record'>;
  charges: Pick<ChargeStore, 'applyAuthorization'>; publicUrl: string; now?: () => Date;
}) {
  const { db, vault, audit, charges } = deps;
  const store = createThreeDSecureStore(db);
  const pages = createAuthenticationPages({ store, publicUrl: deps.publicUrl });
  return {
    pages,
    connect(announce: Announce) {
      const outcome = createAuthenticationOutcome({ charges, store, audit, announce });
      return { outcome, service: createThreeDSecureService({ db, store, vault, outcome, audit, now: deps.now }) };
    },
  };
}
