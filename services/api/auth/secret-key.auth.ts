// Authenticates API-host requests by secret key (HTTP Basic, key as user name, as the official
// `omise` clients send it). Public keys are refused here: they work only on the vault host.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { keyFromAuthorization } from '#lib/contracts/index.ts';
import { httpError } from '#lib/http/index.ts';
import { sql, type Kysely } from '#lib/db/index.ts';
import type { ApiDatabase } from '../db.ts';
import { findKey } from './find-key.ts';

/**
 * Whose request this is. On the public API: the secret key's account, mode and key id. On the internal
 * listener (services/api/dashboard-payments): `keyId` is the calling service's identity and `actor` the
 * person it acts for, whom audit entries then name (auth/audit-actor.ts).
 */
export type Merchant = KeyHolder & { actor?: { type: 'user'; id: string } };
/** What the secret-key hook sets. The vault declares the same request property: the shapes must stay equal. */
type KeyHolder = { accountId: string; livemode: boolean; keyId: string };

declare module 'fastify' {
  interface FastifyRequest {
    merchant: KeyHolder | null;
  }
}

export function merchantOf(request: FastifyRequest): Merchant {
  if (!request.merchant) throw httpError(401, 'authentication_failure', 'authentication failed');
  return request.merchant;
}

/** Call inside the encapsulated scope of the routes that need a secret key. */
export function registerSecretKeyAuth(app: FastifyInstance, deps: { db: Kysely<ApiDatabase> }) {
  app.decorateRequest('merchant', null);
  // When this process last recorded each key's use: within a minute the update below would change nothing,
  // so it is not sent (one round trip and one pooled connection less per request).
  const recorded = new Map<string, number>();
  app.addHook('onRequest', async (request) => {
    const row = await findKey(deps.db, keyFromAuthorization(request.headers.authorization), request.ip, ['secret']);
    request.merchant = { accountId: row.accountId, livemode: row.livemode, keyId: row.id };
    const at = Date.now();
    if (at - (recorded.get(row.id) ?? 0) < 60_000) return;
    if (recorded.size >= 10_000) recorded.clear();
    recorded.set(row.id, at);
    // Last-used bookkeeping is best effort and at most once a minute per key; never on the hot path.
    void deps.db.updateTable('api_keys').set({ last_used_at: new Date(), last_used_ip: request.ip })
      .where('id', '=', row.id)
      .where((eb) => eb.or([eb('last_used_at', 'is', null), eb('last_used_at', '<', sql<Date>`now() - interval '1 minute'`)]))
      .execute().catch((error: unknown) => request.log.warn({ err: error }, 'could not record key use'));
  });
}
