// A sign-in between "the password was right" and "signed in": its second factor (stage `verify`) or
// a forced enrolment (stage `enrol`) is still to come. The browser holds a 256-bit token in its own
// `__Host-` cookie (HttpOnly, SameSite=Strict); the row keeps its SHA-256, the user and where to go
// next, for 10 minutes. No session exists until the row is finished (and deleted).
import { randomUUID } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Kysely, Selectable } from '#lib/db/index.ts';
import type { DashboardDatabase } from '../db.ts';
import { COOKIE_OPTIONS } from '../sessions/cookie.ts';
import { hashToken, isWellFormedToken, newToken } from '../sessions/tokens.ts';

export const PENDING_COOKIE = '__Host-strongroom_mfa';
export const PENDING_TTL_MS = 10 * 60_000;

export type PendingSignIn = Omit<Selectable<DashboardDatabase['mfa_pending_sign_ins']>, 'token_hash'>;
type NewPending = Pick<PendingSignIn, 'user_id' | 'account_id' | 'purpose' | 'next' | 'stage' | 'webauthn_only'>;

export function createPendingSignIns(db: Kysely<DashboardDatabase>, now: () => Date = () => new Date()) {
  const columns = ['id', 'user_id', 'account_id', 'purpose', 'next', 'stage', 'webauthn_only', 'verified_factor', 'created_at', 'expires_at'] as const;
  return {
    /** Starts one (the user's earlier unfinished ones end) and sets its cookie. */
    async start(reply: FastifyReply, input: NewPending): Promise<PendingSignIn> {
      const token = newToken();
      const at = now();
      const row = await db.transaction().execute(async (tx) => {
        await tx.deleteFrom('mfa_pending_sign_ins').where((eb) => eb.or([eb('user_id', '=', input.user_id), eb('expires_at', '<', at)])).execute();
        return tx.insertInto('mfa_pending_sign_ins').values({
          id: randomUUID(), token_hash: hashToken(token), ...input, verified_factor: null, created_at: at,
          expires_at: new Date(at.getTime() + PENDING_TTL_MS),
        }).returning(columns).executeTakeFirstOrThrow();
      });
      reply.setCookie(PENDING_COOKIE, token, COOKIE_OPTIONS);
      return row;
    },

    /** The live pending sign-in this browser's cookie names, or null. */
    async current(request: FastifyRequest): Promise<PendingSignIn | null> {
      const token = request.cookies[PENDING_COOKIE];
      if (!isWellFormedToken(token)) return null;
      const row = await db.selectFrom('mfa_pending_sign_ins').select(columns)
        .where('token_hash', '=', hashToken(token)).where('expires_at', '>', now()).executeTakeFirst();
      return row ?? null;
    },

    /** The second factor was right but a WebAuthn credential must be enrolled before the session. */
    async requireEnrolment(id: string, verifiedFactor: 'totp' | 'recovery_code'): Promise<void> {
      await db.updateTable('mfa_pending_sign_ins').set({ stage: 'enrol', verified_factor: verifiedFactor }).where('id', '=', id).execute();
    },

    /** Ends it (single use: false when another request finished it first) and clears the cookie. */
    async finish(reply: FastifyReply, id: string): Promise<boolean> {
      reply.clearCookie(PENDING_COOKIE, COOKIE_OPTIONS);
      const result = await db.deleteFrom('mfa_pending_sign_ins').where('id', '=', id).where('expires_at', '>', now()).executeTakeFirst();
      return result.numDeletedRows > 0n;
    },
  };
}
export type PendingSignIns = ReturnType<typeof createPendingSignIns>;
