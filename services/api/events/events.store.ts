// Queries on the api's events table. Merchant reads are scoped by account and mode (another merchant's
// event is simply not found); events are only ever inserted, never changed.
import type { Insertable, Kysely, Selectable, Transaction } from '#lib/db/index.ts';
import type { ApiDatabase } from '../db.ts';
import type { ListParams } from '../lists/list-params.ts';

type Db = Kysely<ApiDatabase> | Transaction<ApiDatabase>;
export type EventRow = Selectable<ApiDatabase['events']>;

export function createEventStore(db: Kysely<ApiDatabase>) {
  const scoped = (accountId: string, livemode: boolean) =>
    db.selectFrom('events').where('account_id', '=', accountId).where('livemode', '=', livemode);

  return {
    insert: (tx: Transaction<ApiDatabase>, row: Insertable<ApiDatabase['events']>) =>
      tx.insertInto('events').values(row).execute(),

    find: (accountId: string, livemode: boolean, id: string) =>
      scoped(accountId, livemode).selectAll().where('id', '=', id).executeTakeFirst(),

    /** For the delivery worker only: the job names its event, which carries its own account and mode. */
    findForDelivery: (id: string, tx: Db = db) => tx.selectFrom('events').selectAll().where('id', '=', id).executeTakeFirst(),

    async list(accountId: string, livemode: boolean, params: ListParams): Promise<{ rows: EventRow[]; total: number }> {
      const window = scoped(accountId, livemode).where('created_at', '>=', params.from).where('created_at', '<=', params.to);
      const direction = params.order === 'chronological' ? 'asc' : 'desc';
      const [rows, count] = await Promise.all([
        window.selectAll().orderBy('created_at', direction).orderBy('id', direction).limit(params.limit).offset(params.offset).execute(),
        window.select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow(),
      ]);
      return { rows, total: Number(count.n) };
    },
  };
}

export type EventStore = ReturnType<typeof createEventStore>;
