// Who calls GET /capability. The official client sends the PUBLIC key there (omise/lib/resources/
// Capability.js), and Omise accepts a secret key too (docs/omise-compat.md §8.6, §13 item 2), so this
// one route takes either, with the same rules as the secret-key hook: an unexpired key of the kind
// its prefix says, from an allowed address. Nothing it answers is secret or names another object.
import type { FastifyRequest } from 'fastify';
import { hashApiKey, keyFromAuthorization } from '#lib/contracts/index.ts';
import { httpError } from '#lib/http/index.ts';
import { sql, type Kysely } from '#lib/db/index.ts';
import type { ApiDatabase } from '../db.ts';

export type CapabilityCaller = { accountId: string; livemode: boolean };

export async function capabilityCaller(db: Kysely<ApiDatabase>, request: FastifyRequest): Promise<CapabilityCaller> {
  const key = keyFromAuthorization(request.headers.authorization);
  if (!key) throw httpError(401, 'authentication_failure', 'authentication failed');
  const keys = db.selectFrom('api_keys')
    .select(['account_id', 'livemode'])
    .select(sql<boolean>`(ip_allowlist IS NULL OR ${request.ip}::inet <<= ANY (ip_allowlist))`.as('ip_allowed'))
    .where((eb) => eb.or([eb('expires_at', 'is', null), eb('expires_at', '>', new Date())]));
  const row = key.startsWith('pkey_')
    ? await keys.where('kind', '=', 'public').where('public_value', '=', key).executeTakeFirst()
    : await keys.where('kind', '=', 'secret').where('secret_hash', '=', hashApiKey(key)).executeTakeFirst();
  if (!row) throw httpError(401, 'authentication_failure', 'authentication failed');
  if (!row.ip_allowed) throw httpError(401, 'authentication_failure', 'authentication failed: address not allowed for this key');
  return { accountId: row.account_id, livemode: row.livemode };
}
