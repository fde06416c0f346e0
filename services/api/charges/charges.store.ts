// Queries on the api's charges table. Every read is scoped by account and mode (another merchant's
// charge is simply not found) and sees only charges the vault answered.
import type { OutboxRow } from '#lib/audit/index.ts';
import { sql, type Insertable, type Kysely, type Selectable, type Transaction } from '#lib/db/index.ts';
import type { ApiDatabase, ChargeStatus } from '../db.ts';
import type { ListParams } from '../lists/list-params.ts';

type Db = Kysely<ApiDatabase> | Transaction<ApiDatabase>;
export type ChargeRow = Selectable<ApiDatabase['charges']>;

/** A charge's state after a vault answer. Amounts only grow (a late answer never undoes a newer one). */
export type AuthorizationChange = {
  status: ChargeStatus; authorization_id: string; authorized: boolean;
  authorized_amount: number; captured_amount: number; refunded_amount: number;
  failure_code: string | null; failure_message: string | null; card: Record<string, unknown> | null; authorize_uri: string | null;
};

/** `INSERT INTO audit_outbox …` for rows from audit.prepareOutbox, to write with a change in one statement. */
function outboxInsert(audit: readonly OutboxRow[]) {
  const entries = audit.map((entry) => sql`(${entry.stream}, ${entry.entry}::jsonb, ${entry.created_at}::timestamptz)`);
  return sql`INSERT INTO audit_outbox (stream, entry, created_at) VALUES ${sql.join(entries)}`;
}

export function createChargeStore(db: Kysely<ApiDatabase>) {
  const scoped = (tx: Db, accountId: string, livemode: boolean) =>
    tx.selectFrom('charges').where('account_id', '=', accountId).where('livemode', '=', livemode).where('exchange', '=', 'answered');

  return {
    /**
     * A new charge and its audit entries in ONE statement (a data-modifying CTE): as atomic as a
     * transaction, committed (and flushed) when it returns, in one round trip instead of four.
     */
    async insertAudited(row: Insertable<ApiDatabase['charges']>, audit: readonly OutboxRow[]): Promise<void> {
      if (audit.length === 0) throw new Error('a charge is written with its audit entry');
      await sql`WITH charge AS (${db.insertInto('charges').values(row)}) ${outboxInsert(audit)}`.execute(db);
    },

    find: (accountId: string, livemode: boolean, id: string, tx: Db = db) =>
      scoped(tx, accountId, livemode).selectAll().where('id', '=', id).executeTakeFirst(),

    async list(accountId: string, livemode: boolean, params: ListParams): Promise<{ rows: ChargeRow[]; total: number }> {
      const window = scoped(db, accountId, livemode).where('created_at', '>=', params.from).where('created_at', '<=', params.to);
      const direction = params.order === 'chronological' ? 'asc' : 'desc';
      const [rows, count] = await Promise.all([
        window.selectAll().orderBy('created_at', direction).orderBy('id', direction).limit(params.limit).offset(params.offset).execute(),
        window.select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow(),
      ]);
      return { rows, total: Number(count.n) };
    },

    /**
     * The vault answered the authorization (approved, declined or waiting for 3-D Secure). With `audit`,
     * the entries are written by the same statement (a data-modifying CTE): one round trip less.
     */
    async applyAuthorization(tx: Transaction<ApiDatabase>, id: string, change: AuthorizationChange, at: Date, audit: readonly OutboxRow[] = []): Promise<ChargeRow> {
      const update = tx.updateTable('charges').set({
        exchange: 'answered',
        status: change.status,
        authorization_id: change.authorization_id,
        authorized: change.authorized,
        authorized_amount: sql<number>`GREATEST(authorized_amount, ${change.authorized_amount}::bigint)`,
        captured_amount: sql<number>`GREATEST(captured_amount, ${change.captured_amount}::bigint)`,
        refunded_amount: sql<number>`GREATEST(refunded_amount, ${change.refunded_amount}::bigint)`,
        failure_code: change.failure_code,
        failure_message: change.failure_message,
        card: change.card === null ? sql<string>`card` : JSON.stringify(change.card),
        card_id: change.card === null ? sql<string>`card_id` : String(change.card.id),
        authorize_uri: change.authorize_uri,
        authorized_at: sql<Date>`COALESCE(authorized_at, ${change.authorized ? at : null}::timestamptz)`,
        paid_at: sql<Date>`COALESCE(paid_at, ${change.captured_amount > 0 ? at : null}::timestamptz)`,
        reversed_at: sql<Date>`COALESCE(reversed_at, ${change.status === 'reversed' ? at : null}::timestamptz)`,
        updated_at: at,
      }).where('id', '=', id).returningAll();
      if (audit.length === 0) return update.executeTakeFirstOrThrow();
      const { rows } = await sql<ChargeRow>`WITH changed AS (${update}), audit AS (${outboxInsert(audit)}) SELECT * FROM changed`.execute(tx);
      if (!rows[0]) throw new Error(`charge ${id} was not found`);
      return rows[0];
    },

    /** The vault refused the request (bad token, unknown card, …): nothing happened, the charge is never shown. */
    markRefused: (tx: Transaction<ApiDatabase>, id: string, code: string, at: Date) =>
      tx.updateTable('charges').set({ exchange: 'refused', failure_code: code, updated_at: at })
        .where('id', '=', id).where('exchange', '=', 'requested').execute(),

    update: (tx: Transaction<ApiDatabase>, id: string, change: { description?: string | null; metadata?: string }, at: Date) =>
      tx.updateTable('charges').set({ ...change, updated_at: at }).where('id', '=', id).returningAll().executeTakeFirstOrThrow(),

    expire: (tx: Transaction<ApiDatabase>, id: string, at: Date) =>
      tx.updateTable('charges').set({ status: 'expired', expired_at: at, updated_at: at })
        .where('id', '=', id).where('status', '=', 'pending').where('authorized', '=', false)
        .returningAll().executeTakeFirst(),
  };
}

export type ChargeStore = ReturnType<typeof createChargeStore>;
