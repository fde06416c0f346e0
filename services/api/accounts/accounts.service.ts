// Merchant accounts and their key pairs. A secret key is returned once, at creation, and then only
// its hash exists.
import { hashApiKey, newApiKey, newId } from '#lib/contracts/index.ts';
import type { Kysely } from '#lib/db/index.ts';
import type { Audit } from '#lib/audit/index.ts';
import type { ApiDatabase } from '../db.ts';
import type { AccountStore } from './accounts.store.ts';
import { ACCOUNT_AUDIT } from './accounts.audit.ts';

export type Actor = { type: 'user' | 'api_key' | 'service' | 'system'; id: string; display?: string };

export function createAccountService(deps: { db: Kysely<ApiDatabase>; store: AccountStore; audit: Audit; onKeysChanged?: () => void }) {
  const { db, store, audit } = deps;
  return {
    /** Creates an account with a test-mode key pair; returns the keys in clear this one time. */
    async createAccount(input: { email: string; name: string }, actor: Actor) {
      const accountId = newId('account');
      const publicKey = newApiKey('public', false);
      const secretKey = newApiKey('secret', false);
      await db.transaction().execute(async (tx) => {
        await store.insertAccount(tx, { id: accountId, email: input.email, name: input.name });
        const keys = [
          { id: newId('key'), kind: 'public' as const, public_value: publicKey, secret_hash: null, hint: publicKey.slice(-4) },
          { id: newId('key'), kind: 'secret' as const, public_value: null, secret_hash: hashApiKey(secretKey), hint: secretKey.slice(-4) },
        ];
        for (const key of keys) {
          await store.insertKey(tx, { ...key, account_id: accountId, livemode: false });
          await audit.record(tx, {
            actor, action: ACCOUNT_AUDIT.keyCreated, tenant: accountId,
            targets: [{ type: 'api_key', id: key.id }], outcome: { result: 'success' },
            metadata: { kind: key.kind, livemode: false, hint: key.hint },
          });
        }
        await audit.record(tx, {
          actor, action: ACCOUNT_AUDIT.created, tenant: accountId,
          targets: [{ type: 'account', id: accountId }], outcome: { result: 'success' },
        });
      });
      // The vault learns the new public key from the sync job (services/api/vault/).
      deps.onKeysChanged?.();
      return { accountId, publicKey, secretKey };
    },
    findAccount: store.findAccount,
  };
}
export type AccountService = ReturnType<typeof createAccountService>;
