// Queries on vault_authorizations. Amounts, statuses and references only: no card data here.
import type { OutboxRow } from '#lib/audit/index.ts';
import { sql, type Insertable, type Kysely, type Selectable, type Transaction, type Updateable } from '#lib/db/index.ts';
import type { VaultDatabase } from '../db.ts';

type Db = Kysely<VaultDatabase> | Transaction<VaultDatabase>;
export type AuthorizationRow = Selectable<VaultDatabase['vault_authorizations']>;
type NewAuthorization = Insertable<VaultDatabase['vault_authorizations']>;

const INSERT_COLUMNS = [
  'id', 'account_id', 'livemode', 'charge_id', 'card_id', 'amount', 'currency', 'status', 'acquirer_reference',
  'failure_code', 'failure_message', 'authorized_amount', 'captured_amount',
] as const satisfies readonly (keyof NewAuthorization)[];

/** Everything an acquirer's answer to a new authorization writes. */
export type AnsweredAuthorization = {
  row: NewAuthorization;
  /** The token the charge used, which now shows the charge's status. */
  token: { id: string; chargeStatus: string } | null;
  /** The acquirer found the security code wrong: the card says so from now on. */
  securityCodeFailed: boolean;
  audit: readonly OutboxRow[];
};

export function createAuthorizationStore(db: Kysely<VaultDatabase>) {
  return {
    async findByCharge(accountId: string, chargeId: string, tx: Db = db): Promise<AuthorizationRow | undefined> {
      return tx.selectFrom('vault_authorizations').selectAll().where('account_id', '=', accountId).where('charge_id', '=', chargeId).executeTakeFirst();
    },
    /** Locked for the caller's transaction (one operation at a time per authorization). */
    async lock(tx: Transaction<VaultDatabase>, accountId: string, id: string): Promise<AuthorizationRow | undefined> {
      return tx.selectFrom('vault_authorizations').selectAll().where('account_id', '=', accountId).where('id', '=', id).forUpdate().executeTakeFirst();
    },
    async find(accountId: string, id: string): Promise<AuthorizationRow | undefined> {
      return db.selectFrom('vault_authorizations').selectAll().where('account_id', '=', accountId).where('id', '=', id).executeTakeFirst();
    },
    async insert(tx: Transaction<VaultDatabase>, row: Insertable<VaultDatabase['vault_authorizations']>): Promise<AuthorizationRow> {
      return tx.insertInto('vault_authorizations').values(row).returningAll().executeTakeFirstOrThrow();
    },
    /**
     * The answered authorization, the token's charge status, the destroyed security code of its card, a
     * failed code check and the audit entries, in ONE statement (data-modifying CTEs) in `tx`: one round
     * trip instead of five, as atomic as the transaction around it.
     */
    async recordAnswer(tx: Transaction<VaultDatabase>, answer: AnsweredAuthorization): Promise<AuthorizationRow> {
      const { row } = answer;
      const values = sql.join(INSERT_COLUMNS.map((column) => sql`${row[column] ?? null}`));
      const parts = [
        sql`inserted AS (INSERT INTO vault_authorizations (${sql.join(INSERT_COLUMNS.map((column) => sql.ref(column)))}) VALUES (${values}) RETURNING *)`,
        sql`code AS (DELETE FROM vault_security_codes WHERE card_id = ${row.card_id})`,
      ];
      if (answer.token) parts.push(sql`token AS (UPDATE vault_tokens SET charge_status = ${answer.token.chargeStatus} WHERE id = ${answer.token.id})`);
      if (answer.securityCodeFailed) parts.push(sql`code_check AS (UPDATE vault_cards SET security_code_check = false WHERE id = ${row.card_id})`);
      if (answer.audit.length > 0) {
        const entries = answer.audit.map((entry) => sql`(${entry.stream}, ${entry.entry}::jsonb, ${entry.created_at}::timestamptz)`);
        parts.push(sql`audit AS (INSERT INTO audit_outbox (stream, entry, created_at) VALUES ${sql.join(entries)})`);
      }
      const result = await sql<AuthorizationRow>`WITH ${sql.join(parts)} SELECT * FROM inserted`.execute(tx);
      const inserted = result.rows[0];
      if (!inserted) throw new Error('the authorization was not recorded');
      return inserted;
    },
    async update(tx: Transaction<VaultDatabase>, id: string, change: Updateable<VaultDatabase['vault_authorizations']>): Promise<AuthorizationRow> {
      return tx.updateTable('vault_authorizations').set({ ...change, updated_at: new Date() }).where('id', '=', id).returningAll().executeTakeFirstOrThrow();
    },
  };
}

export type AuthorizationStore = ReturnType<typeof createAuthorizationStore>;
