// Authenticates API-host requests by secret key (HTTP Basic, key as user name, as the official
// `omise` clients send it). Public keys are refused here: they work only on the vault host.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { hashApiKey, keyFromAuthorization } from '#lib/contracts/index.ts';
import { httpError } from '#lib/http/index.ts';
import { sql, type Kysely } from '#lib/db/index.ts';
import type { ApiDatabase } from '../db.ts';
import { allowlistAddress } from '../keys/ip-allowlist.ts';

export type Merchant = { accountId: string; livemode: boolean; keyId: string };

declare module 'fastify' {
  interface FastifyRequest {
    merchant: Merchant | null;
  }
}

export function merchantOf(request: FastifyRequest): Merchant {
  if (!request.merchant) throw httpError(401, 'authentication_failure', 'authentication failed');
  return request.merchant;
}

/** Call inside the encapsulated scope of the routes that need a secret key. */
export function registerSecretKeyAuth(app: FastifyInstance, deps: { db: Kysely<ApiDatabase> }) {
  app.decorateRequest('merchant', null);
  app.addHook('onRequest', async (request) => {
    const key = keyFromAuthorization(request.headers.authorization);
    if (!key || !key.startsWith('skey_')) throw httpError(401, 'authentication_failure', 'authentication failed');
    const row = await deps.db.selectFrom('api_keys')
      .select(['id', 'account_id', 'livemode'])
      .select(sql<boolean>`(ip_allowlist IS NULL OR ${allowlistAddress(request.ip)}::inet <<= ANY (ip_allowlist))`.as('ip_allowed'))
      .where('secret_hash', '=', hashApiKey(key))
      .where((eb) => eb.or([eb('expires_at', 'is', null), eb('expires_at', '>', new Date())]))
      .executeTakeFirst();
    if (!row) throw httpError(401, 'authentication_failure', 'authentication failed');
    if (!row.ip_allowed) throw httpError(401, 'authentication_failure', 'authentication failed: address not allowed for this key');
    request.merchant = { accountId: row.account_id, livemode: row.livemode, keyId: row.id };
    // Last-used bookkeeping is best effort and at most once a minute per key; never on the hot path.
    void deps.db.updateTable('api_keys').set({ last_used_at: new Date(), last_used_ip: request.ip })
      .where('id', '=', row.id)
      .where((eb) => eb.or([eb('last_used_at', 'is', null), eb('last_used_at', '<', sql<Date>`now() - interval '1 minute'`)]))
      .execute().catch((error: unknown) => request.log.warn({ err: error }, 'could not record key use'));
  });
}
