// Changing one's own password from the profile page (after the step-up the route demands): the
// current password again, then the same rules as a reset (auth/password-change.ts: policy profile,
// history). In one transaction: the session gets a new token, every OTHER session of the user ends,
// the hash is replaced (open reset links voided) and the change is audited. The email goes after
// the commit.
import type { Kysely } from '#lib/db/index.ts';
import type { Audit } from '#lib/audit/index.ts';
import type { PasswordChange } from '../auth/password-change.ts';
import type { DashboardDatabase } from '../db.ts';
import type { Mailer } from '../mail/mailer.ts';
import { passwordChangedEmail } from '../mail/messages.ts';
import type { Session, SessionService } from '../sessions/sessions.service.ts';
import type { AuditContext } from '../web/audit-context.ts';
import { formatTime } from '../web/format.ts';
import type { CheckCurrentPassword } from './current-password.ts';
import { PROFILE_AUDIT } from './profile.audit.ts';

export type PasswordChangeResult =
  | { kind: 'changed'; token: string }
  | { kind: 'wrong_password' }
  | { kind: 'throttled'; retryAfterMs: number }
  | { kind: 'invalid'; problems: string[] }
  /** The session ended meanwhile (revoked elsewhere): nothing changed. */
  | { kind: 'ended' };

type Deps = {
  db: Kysely<DashboardDatabase>;
  audit: Pick<Audit, 'record' | 'recordStandalone'>;
  sessions: Pick<SessionService, 'endAllOf' | 'rotateWithin'>;
  passwords: PasswordChange;
  checkCurrentPassword: CheckCurrentPassword;
  mail: Pick<Mailer, 'sendLater'>;
  origin: string;
  now?: () => Date;
};

export function createProfilePasswordService(deps: Deps) {
  const { db, audit } = deps;
  const now = deps.now ?? (() => new Date());

  return {
    async change(session: Session, input: { current: string; password: string }, context: AuditContext): Promise<PasswordChangeResult> {
      const user = { userId: session.userId, email: session.email };
      const ip = context.origin.ip ?? '';
      const current = await deps.checkCurrentPassword(user, input.current, ip);
      if (current.kind !== 'ok') {
        await audit.recordStandalone({
          ...context, action: PROFILE_AUDIT.passwordChange, tenant: session.accountId, targets: [{ type: 'user', id: session.userId }],
          outcome: { result: 'failure', reason: current.kind === 'wrong' ? 'wrong_current_password' : 'throttled' },
        });
        return current.kind === 'wrong' ? { kind: 'wrong_password' } : current;
      }
      const vetted = await deps.passwords.vet(user, input.password);
      if (!vetted.ok) return { kind: 'invalid', problems: vetted.problems };
      const at = now();
      const renewed = await db.transaction().execute(async (tx) => {
        // First: a session that ended meanwhile changes nothing.
        const rotated = await deps.sessions.rotateWithin(tx, session.id);
        if (rotated === null) return null;
        await deps.passwords.apply(tx, session.userId, vetted.passwordHash, at);
        const ended = await deps.sessions.endAllOf(tx, session.userId, 'password_change', session.id);
        await audit.record(tx, {
          ...context, action: PROFILE_AUDIT.passwordChange, tenant: session.accountId,
          targets: [{ type: 'user', id: session.userId }, { type: 'session', id: session.id }],
          outcome: { result: 'success' }, metadata: { other_sessions_ended: ended.length, session_rotated: true },
        });
        return rotated;
      });
      if (renewed === null) return { kind: 'ended' };
      deps.mail.sendLater(passwordChangedEmail(session.email, { origin: deps.origin, when: formatTime(at), ip }));
      return { kind: 'changed', token: renewed };
    },
  };
}
export type ProfilePasswordService = ReturnType<typeof createProfilePasswordService>;
