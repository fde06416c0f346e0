// Password reset by emailed single-use link (1 hour, stored hashed). Asking for one answers the
// same for any address (an unknown one gets an email saying there is no account). Choosing the new
// password ends every session of the user and clears the sign-in lock; what follows is the
// afterPassword seam, so a reset never skips the second factor.
import { randomUUID } from 'node:crypto';
import type { Kysely } from '#lib/db/index.ts';
import type { Audit } from '#lib/audit/index.ts';
import type { DashboardDatabase } from '../db.ts';
import type { PolicyProfile } from '../policy-profiles.ts';
import type { Mailer } from '../mail/mailer.ts';
import { noAccountEmail, passwordChangedEmail, passwordResetEmail } from '../mail/messages.ts';
import type { ClientInfo } from '../sessions/client.ts';
import type { SessionService } from '../sessions/sessions.service.ts';
import { hashToken, isWellFormedToken, newToken } from '../sessions/tokens.ts';
import type { UserStore } from '../users/users.store.ts';
import type { AuditContext } from '../web/audit-context.ts';
import { formatTime } from '../web/format.ts';
import type { MfaEnrolled, PasswordVerifiedUser } from './after-password.ts';
import { isEmailAddress } from './email-address.ts';
import { mailChecks } from './mail-limits.ts';
import { createPasswordChange } from './password-change.ts';
import type { ThrottleStore } from './throttle.store.ts';

export const RESET_LINK_MINUTES = 60;

type Deps = {
  db: Kysely<DashboardDatabase>;
  audit: Audit;
  users: UserStore;
  throttle: ThrottleStore;
  mail: Mailer;
  sessions: SessionService;
  profile: PolicyProfile;
  origin: string;
  mfaEnrolled: MfaEnrolled;
  now?: () => Date;
};

export type ResetRequest = { kind: 'sent' } | { kind: 'invalid'; problems: string[] } | { kind: 'throttled'; retryAfterMs: number };
export type ResetChoice =
  | { kind: 'done'; user: PasswordVerifiedUser | null }
  | { kind: 'invalid_link' }
  | { kind: 'invalid'; problems: string[] };

export function createPasswordResetService(deps: Deps) {
  const { db, audit, users, throttle, mail } = deps;
  const now = deps.now ?? (() => new Date());
  const passwords = createPasswordChange({ users, profile: deps.profile, mfaEnrolled: deps.mfaEnrolled });

  async function pending(token: unknown) {
    if (!isWellFormedToken(token)) return undefined;
    return db.selectFrom('password_resets').innerJoin('users', 'users.id', 'password_resets.user_id')
      .select(['password_resets.id', 'password_resets.user_id', 'users.email'])
      .where('password_resets.token_hash', '=', hashToken(token))
      .where('password_resets.used_at', 'is', null).where('password_resets.expires_at', '>', now())
      .executeTakeFirst();
  }

  return {
    pending,

    async request(email: string, client: ClientInfo, context: AuditContext): Promise<ResetRequest> {
      if (!isEmailAddress(email)) return { kind: 'invalid', problems: ['Enter a valid email address.'] };
      const decision = await throttle.attempt(mailChecks(email, client.ip));
      if (!decision.allowed) return { kind: 'throttled', retryAfterMs: decision.retryAfterMs };
      const user = await users.findByEmail(email);
      const accountId = await users.homeAccount(user?.id ?? '');
      const id = randomUUID();
      const token = newToken();
      await db.transaction().execute(async (tx) => {
        if (user) {
          await tx.insertInto('password_resets').values({
            id, user_id: user.id, token_hash: hashToken(token), expires_at: new Date(now().getTime() + RESET_LINK_MINUTES * 60_000),
          }).execute();
        }
        await audit.record(tx, {
          ...context, action: 'user.password_reset_request', tenant: accountId,
          targets: user ? [{ type: 'user', id: user.id }, { type: 'password_reset', id }] : [],
          outcome: user ? { result: 'success' } : { result: 'failure', reason: 'unknown_user' },
        });
      });
      mail.sendLater(user ? passwordResetEmail(email, { origin: deps.origin, token }) : noAccountEmail(email, { origin: deps.origin }));
      return { kind: 'sent' };
    },

    async choose(input: { token: string; password: string }, client: ClientInfo, context: AuditContext): Promise<ResetChoice> {
      const reset = await pending(input.token);
      if (!reset) return { kind: 'invalid_link' };
      const vetted = await passwords.vet({ userId: reset.user_id, email: reset.email }, input.password);
      if (!vetted.ok) return { kind: 'invalid', problems: vetted.problems };
      const accountId = await users.homeAccount(reset.user_id);
      const at = now();
      const done = await db.transaction().execute(async (tx) => {
        const claimed = await tx.updateTable('password_resets').set({ used_at: at })
          .where('id', '=', reset.id).where('used_at', 'is', null).where('expires_at', '>', at).executeTakeFirst();
        if (claimed.numUpdatedRows === 0n) return false;
        // Every other link for this user dies with this one (passwords.apply).
        await passwords.apply(tx, reset.user_id, vetted.passwordHash, at);
        const ended = await deps.sessions.endAllOf(tx, reset.user_id, 'password_reset');
        await audit.record(tx, {
          ...context, actor: { type: 'user', id: reset.user_id }, action: 'user.password_reset', tenant: accountId,
          targets: [{ type: 'user', id: reset.user_id }, { type: 'password_reset', id: reset.id }],
          outcome: { result: 'success' }, metadata: { sessions_ended: ended.length },
        });
        return true;
      });
      if (!done) return { kind: 'invalid_link' };
      await throttle.clearAccount(reset.email);
      mail.sendLater(passwordChangedEmail(reset.email, { origin: deps.origin, when: formatTime(at), ip: client.ip }));
      return { kind: 'done', user: accountId === null ? null : { userId: reset.user_id, email: reset.email, accountId } };
    },
  };
}
export type PasswordResetService = ReturnType<typeof createPasswordResetService>;
