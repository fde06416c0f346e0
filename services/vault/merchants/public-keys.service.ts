// The api pushes each account's current public keys here (it owns accounts and keys; the vault keeps
// only their hashes, to authenticate tokenization). Every change is audited with the calling identity.
import type { Audit } from '#lib/audit/index.ts';
import type { Kysely } from '#lib/db/index.ts';
import type { VaultDatabase } from '../db.ts';
import type { PublicKeyResolver } from './public-key.auth.ts';
import type { PublicKeyEntry, PublicKeyStore } from './public-keys.store.ts';

export const PUBLIC_KEY_AUDIT = { sync: 'vault.public_keys.sync' } as const;

export function createPublicKeyService(deps: { db: Kysely<VaultDatabase>; store: PublicKeyStore; resolver: PublicKeyResolver; audit: Pick<Audit, 'record'> }) {
  const { db, store, resolver, audit } = deps;
  return {
    async replace(accountId: string, keys: readonly PublicKeyEntry[], ctx: { caller: string; requestId?: string }) {
      const change = await db.transaction().execute(async (tx) => {
        const result = await store.replace(tx, accountId, keys);
        if (result.added.length + result.removed.length > 0) {
          await audit.record(tx, {
            actor: { type: 'service', id: ctx.caller }, action: PUBLIC_KEY_AUDIT.sync, tenant: accountId,
            targets: [{ type: 'account', id: accountId }, ...[...result.added, ...result.removed].slice(0, 19).map((id) => ({ type: 'api_key', id }))],
            outcome: { result: 'success' }, origin: { certIdentity: ctx.caller }, requestId: ctx.requestId,
            metadata: { added: result.added.length, removed: result.removed.length },
          });
        }
        return result;
      });
      resolver.clear();
      return { account_id: accountId, keys: keys.length, ...change };
    },
  };
}

export type PublicKeyService = ReturnType<typeof createPublicKeyService>;
