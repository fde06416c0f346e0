// The one key lookup of the API host: the secret-key hook (secret-key.auth.ts) and GET /capability
// (which also takes a public key) both authenticate through it. A key is found when it is of a kind the
// route takes (its prefix says which), unexpired (a rolled key within its grace period still works),
// and used from an address its IP allow-list allows (a secret key's; public keys have none).
// Anything else is 401 `authentication_failure` (docs/omise-compat.md §2).
import { hashApiKey } from '#lib/contracts/index.ts';
import { httpError } from '#lib/http/index.ts';
import { sql, type Kysely } from '#lib/db/index.ts';
import type { ApiDatabase } from '../db.ts';
import { allowlistAddress } from '../keys/ip-allowlist.ts';

export type KeyKind = 'public' | 'secret';
export type FoundKey = { id: string; accountId: string; livemode: boolean; kind: KeyKind };

const PREFIXES: Readonly<Record<KeyKind, string>> = { public: 'pkey_', secret: 'skey_' };

const refused = () => httpError(401, 'authentication_failure', 'authentication failed');

/** The key `key` (from the Authorization header; null when there was none) used from `ip`, or a 401. */
export async function findKey(db: Kysely<ApiDatabase>, key: string | null | undefined, ip: string, kinds: readonly KeyKind[]): Promise<FoundKey> {
  const kind = kinds.find((k) => key?.startsWith(PREFIXES[k]));
  if (!key || kind === undefined) throw refused();
  const keys = db.selectFrom('api_keys')
    .select(['id', 'account_id', 'livemode'])
    .select(sql<boolean>`(ip_allowlist IS NULL OR ${allowlistAddress(ip)}::inet <<= ANY (ip_allowlist))`.as('ip_allowed'))
    .where('kind', '=', kind)
    .where((eb) => eb.or([eb('expires_at', 'is', null), eb('expires_at', '>', new Date())]));
  const row = kind === 'public'
    ? await keys.where('public_value', '=', key).executeTakeFirst()
    : await keys.where('secret_hash', '=', hashApiKey(key)).executeTakeFirst();
  if (!row) throw refused();
  if (!row.ip_allowed) throw httpError(401, 'authentication_failure', 'authentication failed: address not allowed for this key');
  return { id: row.id, accountId: row.account_id, livemode: row.livemode, kind };
}
