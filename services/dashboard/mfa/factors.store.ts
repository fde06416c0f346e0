// The rows of a user's second factors: their TOTP (sealed secret, last accepted step), WebAuthn
// credentials and recovery codes. Every query names the user, so one user never reaches another's.
import type { Insertable, Kysely, Selectable, Transaction } from '#lib/db/index.ts';
import type { DashboardDatabase } from '../db.ts';
import type { SealedTotpSecret } from './secret-box.ts';

type Db = Kysely<DashboardDatabase> | Transaction<DashboardDatabase>;

export type CredentialRow = Selectable<DashboardDatabase['webauthn_credentials']>;
export type NewCredential = Omit<Insertable<DashboardDatabase['webauthn_credentials']>, 'created_at' | 'last_used_at'>;

/** What a user has: the facts every decision (sign-in, step-up, pages) starts from. */
export type FactorSummary = { totp: boolean; webauthn: number; recoveryCodesLeft: number };

export function createFactorStore(db: Kysely<DashboardDatabase>) {
  return {
    async summary(userId: string, tx: Db = db): Promise<FactorSummary> {
      const [totp, webauthn, codes] = await Promise.all([
        tx.selectFrom('mfa_totp').select('user_id').where('user_id', '=', userId).where('confirmed_at', 'is not', null).executeTakeFirst(),
        tx.selectFrom('webauthn_credentials').select((eb) => eb.fn.countAll<string>().as('n')).where('user_id', '=', userId).executeTakeFirstOrThrow(),
        tx.selectFrom('recovery_codes').select((eb) => eb.fn.countAll<string>().as('n')).where('user_id', '=', userId).where('used_at', 'is', null).executeTakeFirstOrThrow(),
      ]);
      return { totp: totp !== undefined, webauthn: Number(webauthn.n), recoveryCodesLeft: Number(codes.n) };
    },

    // ---- TOTP
    totp: (userId: string, tx: Db = db) =>
      tx.selectFrom('mfa_totp').select(['user_id', 'secret_wrapped_key', 'secret_ciphertext', 'confirmed_at', 'last_step', 'created_at'])
        .where('user_id', '=', userId).executeTakeFirst(),

    /** A new pending enrolment, replacing an earlier pending one; never a confirmed one (false then). */
    async startTotp(tx: Transaction<DashboardDatabase>, userId: string, sealed: SealedTotpSecret, at: Date): Promise<boolean> {
      // This user's unfinished enrolment, and anyone's abandoned a day ago, go (sealed, but of no use).
      await tx.deleteFrom('mfa_totp').where('confirmed_at', 'is', null)
        .where((eb) => eb.or([eb('user_id', '=', userId), eb('created_at', '<', new Date(at.getTime() - 86_400_000))])).execute();
      const inserted = await tx.insertInto('mfa_totp').values({ user_id: userId, ...sealed, created_at: at })
        .onConflict((oc) => oc.column('user_id').doNothing()).returning('user_id').executeTakeFirst();
      return inserted !== undefined;
    },

    /**
     * Records `step` as used, only if it is later than every step used before (replay protection:
     * two requests with one code race here, and one of them updates nothing). `confirm` also turns a
     * pending enrolment into a confirmed one.
     */
    async useStep(tx: Db, userId: string, step: number, confirm: { at: Date } | null): Promise<boolean> {
      let query = tx.updateTable('mfa_totp')
        .set(confirm ? { last_step: step, confirmed_at: confirm.at } : { last_step: step })
        .where('user_id', '=', userId)
        .where((eb) => eb.or([eb('last_step', 'is', null), eb('last_step', '<', step)]));
      query = confirm ? query.where('confirmed_at', 'is', null) : query.where('confirmed_at', 'is not', null);
      return (await query.executeTakeFirst()).numUpdatedRows > 0n;
    },

    async deleteTotp(tx: Transaction<DashboardDatabase>, userId: string): Promise<boolean> {
      const result = await tx.deleteFrom('mfa_totp').where('user_id', '=', userId).where('confirmed_at', 'is not', null).executeTakeFirst();
      return result.numDeletedRows > 0n;
    },

    // ---- WebAuthn credentials
    credentials: (userId: string, tx: Db = db): Promise<CredentialRow[]> =>
      tx.selectFrom('webauthn_credentials').selectAll().where('user_id', '=', userId).orderBy('created_at').execute(),

    /** Any user's credential by id (passkey sign-in learns the user from it). */
    credential: (id: string, tx: Db = db): Promise<CredentialRow | undefined> =>
      tx.selectFrom('webauthn_credentials').selectAll().where('id', '=', id).executeTakeFirst(),

    addCredential: (tx: Transaction<DashboardDatabase>, row: NewCredential) =>
      tx.insertInto('webauthn_credentials').values(row).onConflict((oc) => oc.column('id').doNothing()).returning('id').executeTakeFirst()
        .then((r) => r !== undefined),

    /**
     * The signature counter moves forward only (a clone would replay an old one): the update matches
     * only while the stored counter is still the one the check read. Authenticators that keep no
     * counter (always 0) stay at 0.
     */
    async advanceCounter(row: { id: string; userId: string; from: number; to: number; backedUp: boolean; at: Date }, tx: Db = db): Promise<boolean> {
      if (!(row.to > row.from || (row.to === 0 && row.from === 0))) return false;
      const result = await tx.updateTable('webauthn_credentials').set({ counter: row.to, backed_up: row.backedUp, last_used_at: row.at })
        .where('id', '=', row.id).where('user_id', '=', row.userId).where('counter', '=', row.from)
        .executeTakeFirst();
      return result.numUpdatedRows > 0n;
    },

    async removeCredential(tx: Transaction<DashboardDatabase>, userId: string, id: string): Promise<{ name: string } | undefined> {
      return tx.deleteFrom('webauthn_credentials').where('user_id', '=', userId).where('id', '=', id).returning('name').executeTakeFirst();
    },

    // ---- Recovery codes
    async replaceRecoveryCodes(tx: Transaction<DashboardDatabase>, userId: string, hashes: Buffer[], at: Date): Promise<number> {
      const removed = await tx.deleteFrom('recovery_codes').where('user_id', '=', userId).executeTakeFirst();
      await tx.insertInto('recovery_codes').values(hashes.map((code_hash) => ({ user_id: userId, code_hash, created_at: at }))).execute();
      return Number(removed.numDeletedRows);
    },

    /** Claims an unused code; false when there is none (wrong, or used already). */
    async useRecoveryCode(tx: Db, userId: string, hash: Buffer, at: Date): Promise<boolean> {
      const result = await tx.updateTable('recovery_codes').set({ used_at: at })
        .where('user_id', '=', userId).where('code_hash', '=', hash).where('used_at', 'is', null).executeTakeFirst();
      return result.numUpdatedRows > 0n;
    },

    deleteRecoveryCodes: (tx: Transaction<DashboardDatabase>, userId: string) =>
      tx.deleteFrom('recovery_codes').where('user_id', '=', userId).execute(),
  };
}
export type FactorStore = ReturnType<typeof createFactorStore>;
