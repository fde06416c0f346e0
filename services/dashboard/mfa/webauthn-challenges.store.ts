// WebAuthn challenges: 256 random bits, single use, expiring. Each is issued for one purpose and one
// binding (the session, the pending sign-in, or the signed-out browser's form cookie) and, but for
// usernameless sign-in, one user. Redeeming deletes the row in the same statement that finds it, so
// two requests can never both redeem one challenge; an expired one is never found.
import { randomBytes } from 'node:crypto';
import type { Kysely } from '#lib/db/index.ts';
import type { DashboardDatabase } from '../db.ts';

export type ChallengePurpose = DashboardDatabase['webauthn_challenges']['purpose'];
export const CHALLENGE_TTL_MS = 5 * 60_000;
const CHALLENGE = /^[A-Za-z0-9_-]{43}$/;

export function createChallengeStore(db: Kysely<DashboardDatabase>, now: () => Date = () => new Date()) {
  return {
    async issue(input: { purpose: ChallengePurpose; userId: string | null; binding: string }): Promise<string> {
      const challenge = randomBytes(32).toString('base64url');
      const at = now();
      // Expired rows go as new ones come: the table holds only the last few minutes' ceremonies.
      await db.deleteFrom('webauthn_challenges').where('expires_at', '<', at).execute();
      await db.insertInto('webauthn_challenges').values({
        challenge, purpose: input.purpose, user_id: input.userId, binding: input.binding, created_at: at,
        expires_at: new Date(at.getTime() + CHALLENGE_TTL_MS),
      }).execute();
      return challenge;
    },

    /** Consumes the challenge if it is live and was issued for this purpose and binding; returns its user (null: usernameless). */
    async redeem(challenge: unknown, expected: { purpose: ChallengePurpose; binding: string }): Promise<{ userId: string | null } | null> {
      if (typeof challenge !== 'string' || !CHALLENGE.test(challenge)) return null;
      const row = await db.deleteFrom('webauthn_challenges')
        .where('challenge', '=', challenge).where('purpose', '=', expected.purpose).where('binding', '=', expected.binding)
        .where('expires_at', '>', now())
        .returning('user_id').executeTakeFirst();
      return row ? { userId: row.user_id } : null;
    },
  };
}
export type ChallengeStore = ReturnType<typeof createChallengeStore>;

/** The challenge a response answers, read from its clientDataJSON (verified again by the library). */
export function challengeOf(response: unknown): string | null {
  const data = (response as { response?: { clientDataJSON?: unknown } } | null)?.response?.clientDataJSON;
  if (typeof data !== 'string' || data.length > 4096) return null;
  try {
    const parsed = JSON.parse(Buffer.from(data, 'base64url').toString('utf8')) as { challenge?: unknown };
    return typeof parsed.challenge === 'string' ? parsed.challenge : null;
  } catch {
    return null;
  }
}
