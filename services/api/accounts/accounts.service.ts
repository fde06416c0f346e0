// Merchant accounts and their key pairs (test and live). A secret key is returned once, at creation,
// and then only its hash exists.
import { newId } from '#lib/contracts/index.ts';
import type { Kysely } from '#lib/db/index.ts';
import type { Audit } from '#lib/audit/index.ts';
import type { ApiDatabase } from '../db.ts';
import type { AccountStore } from './accounts.store.ts';
import { ACCOUNT_AUDIT } from './accounts.audit.ts';
import { issueKey } from '../keys/new-key.ts';

export type Actor = { type: 'user' | 'api_key' | 'service' | 'system'; id: string; display?: string };

export function createAccountService(deps: { db: Kysely<ApiDatabase>; store: AccountStore; audit: Audit; onKeysChanged?: () => void }) {
  const { db, store, audit } = deps;
  return {
    /**
     * Creates an account with a test-mode and a live-mode key pair; returns the keys in clear this one
     * time (`publicKey`/`secretKey` are the test pair, `live` the live one). Keys are managed afterwards
     * through services/api/keys/.
     */
    async createAccount(input: { email: string; name: string }, actor: Actor) {
      const accountId = newId('account');
      const issued = [issueKey(accountId, 'public', false), issueKey(accountId, 'secret', false), issueKey(accountId, 'public', true), issueKey(accountId, 'secret', true)];
      await db.transaction().execute(async (tx) => {
        await store.insertAccount(tx, { id: accountId, email: input.email, name: input.name });
        for (const { row } of issued) {
          await store.insertKey(tx, row);
          await audit.record(tx, {
            actor, action: ACCOUNT_AUDIT.keyCreated, tenant: accountId,
            targets: [{ type: 'api_key', id: row.id }], outcome: { result: 'success' },
            metadata: { kind: row.kind, livemode: row.livemode, hint: row.hint },
          });
        }
        await audit.record(tx, {
          actor, action: ACCOUNT_AUDIT.created, tenant: accountId,
          targets: [{ type: 'account', id: accountId }], outcome: { result: 'success' },
        });
      });
      // The vault learns the new public keys from the sync job (services/api/vault/).
      deps.onKeysChanged?.();
      const [testPublic, testSecret, livePublic, liveSecret] = issued.map((key) => key.value);
      return { accountId, publicKey: testPublic!, secretKey: testSecret!, live: { publicKey: livePublic!, secretKey: liveSecret! } };
    },
    findAccount: store.findAccount,
  };
}
export type AccountService = ReturnType<typeof createAccountService>;
