// Idempotency-Key rows (migrations/0007_idempotency.sql). A claim is one upsert: it inserts the row, or
// takes over a row whose 24 hours are over; a live row held by another request makes it return null.
import { sql, type Kysely, type Selectable } from '#lib/db/index.ts';
import type { ApiDatabase } from '../db.ts';

export type IdempotencyRow = Selectable<ApiDatabase['idempotency_keys']>;
export type IdempotencyClaim = {
  accountId: string; livemode: boolean; keyHash: string; apiKeyId: string;
  method: string; path: string; fingerprint: string; requestId: string;
};

const PURGE_BATCH = 1000;

export function createIdempotencyStore(db: Kysely<ApiDatabase>, options: { ttlMs: number }) {
  return {
    /** The claimed row's id, or null when a live row already holds the key. */
    async claim(claim: IdempotencyClaim, now: Date): Promise<string | null> {
      const row = await db.insertInto('idempotency_keys')
        .values({
          account_id: claim.accountId, livemode: claim.livemode, key_hash: claim.keyHash, api_key_id: claim.apiKeyId,
          method: claim.method, path: claim.path, fingerprint: claim.fingerprint, request_id: claim.requestId,
          status: null, body: null, created_at: now, expires_at: new Date(now.getTime() + options.ttlMs),
        })
        .onConflict((conflict) => conflict.columns(['account_id', 'livemode', 'key_hash'])
          .doUpdateSet((eb) => ({
            id: sql<string>`gen_random_uuid()`, api_key_id: eb.ref('excluded.api_key_id'), method: eb.ref('excluded.method'),
            path: eb.ref('excluded.path'), fingerprint: eb.ref('excluded.fingerprint'), request_id: eb.ref('excluded.request_id'),
            state: 'running', status: null, body: null, created_at: eb.ref('excluded.created_at'), expires_at: eb.ref('excluded.expires_at'),
          }))
          .where('idempotency_keys.expires_at', '<=', now))
        .returning('id')
        .executeTakeFirst();
      return row?.id ?? null;
    },

    find: (accountId: string, livemode: boolean, keyHash: string): Promise<IdempotencyRow | undefined> =>
      db.selectFrom('idempotency_keys').selectAll()
        .where('account_id', '=', accountId).where('livemode', '=', livemode).where('key_hash', '=', keyHash)
        .executeTakeFirst(),

    /** Keeps the answer the merchant got (null body: not to be replayed). */
    async complete(id: string, status: number, body: string | null): Promise<void> {
      await db.updateTable('idempotency_keys').set({ state: 'done', status, body })
        .where('id', '=', id).where('state', '=', 'running').execute();
    },

    /** Frees the key for a retry (the request failed on our side). */
    async release(id: string): Promise<void> {
      await db.deleteFrom('idempotency_keys').where('id', '=', id).where('state', '=', 'running').execute();
    },

    /** Deletes rows whose 24 hours are over, in batches; returns how many went. */
    async purgeExpired(now: Date): Promise<number> {
      let total = 0;
      for (;;) {
        const batch = db.selectFrom('idempotency_keys').select('id').where('expires_at', '<=', now).limit(PURGE_BATCH);
        const result = await db.deleteFrom('idempotency_keys').where('id', 'in', batch).executeTakeFirst();
        const deleted = Number(result.numDeletedRows);
        total += deleted;
        if (deleted < PURGE_BATCH) return total;
      }
    },
  };
}
export type IdempotencyStore = ReturnType<typeof createIdempotencyStore>;
