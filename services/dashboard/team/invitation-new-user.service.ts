// Joining from an invitation as a brand-new user: the holder of the link (the 256-bit token is the
// capability; only its SHA-256 is stored) chooses a password. The user (email verified: the link
// reached that inbox) and the membership are created in ONE transaction with their audit entries,
// through the same acceptance rules as a signed-in accept (`acceptWithin`): open, unexpired, not
// revoked, the inviter still holding what it grants. Attempts are counted per network and per
// invitation before anything is checked, as the other public forms are.
import type { Audit, AuditRecord } from '#lib/audit/index.ts';
import { newId } from '#lib/contracts/index.ts';
import type { Kysely } from '#lib/db/index.ts';
import { isHttpError } from '#lib/http/index.ts';
import type { PasswordVerifiedUser } from '../auth/after-password.ts';
import { checkNewPassword } from '../auth/password-policy.ts';
import { networkKey, type ThrottleCheck, type ThrottleStore } from '../auth/throttle.store.ts';
import type { DashboardDatabase } from '../db.ts';
import type { DelayRule, PolicyProfile } from '../policy-profiles.ts';
import { hashPassword } from '../users/passwords.ts';
import type { UserStore } from '../users/users.store.ts';
import type { RequestOrigin } from './team.audit.ts';
import type { Team } from './team.ts';

/** Per invitation: five free tries (a typo, a weak password), then 1 s doubling to a minute. */
export const INVITATION_ATTEMPTS: DelayRule = { freeFailures: 5, baseDelayMs: 1_000, maxDelayMs: 60_000, forgetAfterMs: 60 * 60_000 };

export type NewUserOutcome =
  | { kind: 'created'; user: PasswordVerifiedUser; roles: string[] }
  | { kind: 'invalid_invitation' }
  | { kind: 'invalid_password'; problems: string[] }
  | { kind: 'user_exists' }
  | { kind: 'throttled'; retryAfterMs: number }
  /** The acceptance rules refused (the inviter lost a permission it grants, a role is gone). */
  | { kind: 'refused'; status: number; message: string };

type Deps = {
  db: Kysely<DashboardDatabase>;
  audit: Pick<Audit, 'record' | 'recordStandalone'>;
  users: UserStore;
  throttle: ThrottleStore;
  profile: PolicyProfile;
  team: Pick<Team, 'invitations' | 'acceptance' | 'notices'>;
};

export function createInvitationNewUserService(deps: Deps) {
  const { db, audit, users, throttle, profile, team } = deps;

  const signUpRecord = (origin: RequestOrigin, record: Pick<AuditRecord, 'actor' | 'tenant' | 'targets' | 'outcome' | 'metadata'>): AuditRecord => ({
    ...record, action: 'user.sign_up', origin: { ip: origin.ip, userAgent: origin.userAgent }, requestId: origin.requestId,
  });

  /** A refused attempt at a real invitation, in that account's trail (the visitor has no user yet). */
  async function recordRefusal(invitation: { id: string; accountId: string }, reason: string, origin: RequestOrigin): Promise<void> {
    await audit.recordStandalone(signUpRecord(origin, {
      actor: { type: 'system', id: 'anonymous' }, tenant: invitation.accountId, targets: [{ type: 'invitation', id: invitation.id }],
      outcome: { result: 'failure', reason }, metadata: { via: 'invitation' },
    }));
  }

  return {
    async create(input: { token: string; password: string }, origin: RequestOrigin): Promise<NewUserOutcome> {
      const invitation = await team.invitations.peek(input.token);
      const checks: ThrottleCheck[] = [{ scope: 'ip', key: networkKey(origin.ip), rule: profile.throttle.ip }];
      if (invitation) checks.push({ scope: 'invitation', key: invitation.id, rule: INVITATION_ATTEMPTS });
      const decision = await throttle.attempt(checks);
      if (!decision.allowed) {
        if (invitation) await recordRefusal(invitation, 'throttled', origin);
        return { kind: 'throttled', retryAfterMs: decision.retryAfterMs };
      }
      if (!invitation) return { kind: 'invalid_invitation' };
      // Saying "this address has an account" is no enumeration: only the invitee holds the token
      // (it was mailed to that address), and they know whether they have an account.
      if (await users.findByEmail(invitation.email)) {
        await recordRefusal(invitation, 'user_exists', origin);
        return { kind: 'user_exists' };
      }
      // The account id is the only name of the account the dashboard holds: a known word as well.
      const verdict = checkNewPassword(input.password, profile, { email: invitation.email, businessName: invitation.accountId, mfaEnrolled: false });
      if (!verdict.ok) return { kind: 'invalid_password', problems: verdict.problems };

      const passwordHash = await hashPassword(input.password);
      const userId = newId('user');
      let joined;
      try {
        joined = await db.transaction().execute(async (tx) => {
          await users.insertUser(tx, { id: userId, email: invitation.email, passwordHash, emailVerified: true });
          const accepted = await team.acceptance.acceptWithin(tx, { userId, origin }, input.token);
          await audit.record(tx, signUpRecord(origin, {
            actor: { type: 'user', id: userId }, tenant: accepted.accountId,
            targets: [{ type: 'user', id: userId }, { type: 'account', id: accepted.accountId }, { type: 'invitation', id: invitation.id }],
            outcome: { result: 'success' }, metadata: { via: 'invitation', roles: accepted.roles, email_verified: true },
          }));
          return accepted;
        });
      } catch (error) {
        // The address got a user in between: a second submit of this link (whose invitation is used
        // now: the unique email waited for the first to commit), or a sign-up elsewhere.
        if ((error as { code?: string }).code === '23505') {
          if (await team.invitations.peek(input.token)) {
            await recordRefusal(invitation, 'user_exists', origin);
            return { kind: 'user_exists' };
          }
          await recordRefusal(invitation, 'invitation_used', origin);
          return { kind: 'invalid_invitation' };
        }
        if (!isHttpError(error)) throw error;
        await recordRefusal(invitation, error.message.slice(0, 200), origin);
        return error.statusCode === 404 ? { kind: 'invalid_invitation' } : { kind: 'refused', status: error.statusCode, message: error.message };
      }
      // After the commit: the user exists and has joined whatever happens next, so nothing here may
      // turn the answer into a refusal (the catch above is for the transaction only).
      await throttle.succeeded(checks);
      await team.notices.memberJoined({ accountId: joined.accountId, userId });
      return { kind: 'created', user: { userId, email: invitation.email, accountId: joined.accountId }, roles: joined.roles };
    },
  };
}
export type InvitationNewUserService = ReturnType<typeof createInvitationNewUserService>;
