// Queries on webhook_deliveries: one row per attempt, written by the delivery worker, read with events.
import type { Insertable, Kysely, Selectable } from '#lib/db/index.ts';
import type { ApiDatabase } from '../db.ts';

export type DeliveryRow = Selectable<ApiDatabase['webhook_deliveries']>;

export function createDeliveryStore(db: Kysely<ApiDatabase>) {
  return {
    insert: (row: Insertable<ApiDatabase['webhook_deliveries']>) => db.insertInto('webhook_deliveries').values(row).execute(),

    /** The attempts of these events of one merchant, oldest first, grouped by event. */
    async forEvents(accountId: string, livemode: boolean, eventIds: readonly string[]): Promise<Map<string, DeliveryRow[]>> {
      const byEvent = new Map<string, DeliveryRow[]>();
      if (eventIds.length === 0) return byEvent;
      const rows = await db.selectFrom('webhook_deliveries').selectAll()
        .where('account_id', '=', accountId).where('livemode', '=', livemode).where('event_id', 'in', [...eventIds])
        .orderBy('created_at', 'asc').orderBy('id', 'asc').execute();
      for (const row of rows) byEvent.set(row.event_id, [...(byEvent.get(row.event_id) ?? []), row]);
      return byEvent;
    },
  };
}

export type DeliveryStore = ReturnType<typeof createDeliveryStore>;
