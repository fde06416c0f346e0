// Queries on webhook_endpoints: one row per account and mode, or none when the merchant has no endpoint.
import type { Kysely, Selectable, Transaction } from '#lib/db/index.ts';
import type { ApiDatabase } from '../db.ts';
import type { SealedSecret } from './secrets/webhook-secrets.ts';

type Db = Kysely<ApiDatabase> | Transaction<ApiDatabase>;
export type EndpointRow = Selectable<ApiDatabase['webhook_endpoints']>;

export function createEndpointStore(db: Kysely<ApiDatabase>) {
  return {
    find: (accountId: string, livemode: boolean, tx: Db = db) =>
      tx.selectFrom('webhook_endpoints').selectAll().where('account_id', '=', accountId).where('livemode', '=', livemode).executeTakeFirst(),

    /** The secret arrives sealed (secrets/webhook-secrets.ts): this store never sees it in clear. */
    put: (tx: Transaction<ApiDatabase>, row: { account_id: string; livemode: boolean; uri: string } & SealedSecret, at: Date) =>
      tx.insertInto('webhook_endpoints').values({ ...row, created_at: at, updated_at: at })
        .onConflict((conflict) => conflict.columns(['account_id', 'livemode']).doUpdateSet({
          uri: row.uri, secret_wrapped_key: row.secret_wrapped_key, secret_ciphertext: row.secret_ciphertext, updated_at: at,
        }))
        .execute(),

    remove: (tx: Transaction<ApiDatabase>, accountId: string, livemode: boolean) =>
      tx.deleteFrom('webhook_endpoints').where('account_id', '=', accountId).where('livemode', '=', livemode).executeTakeFirst(),
  };
}

export type EndpointStore = ReturnType<typeof createEndpointStore>;
