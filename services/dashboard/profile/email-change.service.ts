// Changing one's sign-in email. Asking (after the step-up the route demands) needs the current
// password and a valid address no other user has; it emails a 24-hour single-use link to the NEW
// address (proving the mailbox; only the token's SHA-256 is kept) and a notice to the OLD one. The
// link works only for the user who asked, signed in; confirming switches users.email (UNIQUE: a
// sign-up or another change that took the address meanwhile is refused, nothing written), ends every
// other session, gives this one a new token, voids open reset links (they went to the old address),
// is audited, and tells both addresses. Emails go after the commit.
import { randomUUID } from 'node:crypto';
import type { Kysely } from '#lib/db/index.ts';
import type { Audit } from '#lib/audit/index.ts';
import { isEmailAddress, normalizeEmail } from '../auth/email-address.ts';
import { mailChecks } from '../auth/mail-limits.ts';
import type { ThrottleStore } from '../auth/throttle.store.ts';
import type { DashboardDatabase } from '../db.ts';
import type { Mailer } from '../mail/mailer.ts';
import type { Session, SessionService } from '../sessions/sessions.service.ts';
import { hashToken, isWellFormedToken, newToken } from '../sessions/tokens.ts';
import type { UserStore } from '../users/users.store.ts';
import type { AuditContext } from '../web/audit-context.ts';
import { formatTime } from '../web/format.ts';
import type { CheckCurrentPassword } from './current-password.ts';
import type { EmailChangeStore } from './email-changes.store.ts';
import { emailChangedEmail, emailChangeLinkEmail, emailChangeRequestedEmail } from './profile.mail.ts';
import { PROFILE_AUDIT } from './profile.audit.ts';

export const EMAIL_CHANGE_HOURS = 24;

export type EmailChangeRequest =
  | { kind: 'sent'; email: string }
  | { kind: 'wrong_password' }
  | { kind: 'throttled'; retryAfterMs: number }
  | { kind: 'invalid'; problems: string[] }
  | { kind: 'taken' };

export type EmailChangeConfirm = { kind: 'changed'; token: string } | { kind: 'invalid_link' } | { kind: 'taken' } | { kind: 'ended' };

type Deps = {
  db: Kysely<DashboardDatabase>;
  audit: Pick<Audit, 'record' | 'recordStandalone'>;
  users: Pick<UserStore, 'findByEmail' | 'setEmail'>;
  store: EmailChangeStore;
  sessions: Pick<SessionService, 'endAllOf' | 'rotateWithin'>;
  throttle: Pick<ThrottleStore, 'attempt'>;
  checkCurrentPassword: CheckCurrentPassword;
  mail: Pick<Mailer, 'sendLater'>;
  origin: string;
  now?: () => Date;
};

/** Thrown inside the confirming transaction to roll it back; mapped to its answer outside. */
function refused(kind: 'invalid_link' | 'taken' | 'ended'): Error {
  return Object.assign(new Error(`email change refused: ${kind}`), { refusal: kind });
}

export function createEmailChangeService(deps: Deps) {
  const { db, audit, store, users } = deps;
  const now = deps.now ?? (() => new Date());

  return {
    pending: (userId: string) => store.pending(userId, now()),

    /** The link's change, when it is this user's, open and unexpired (the confirm page). */
    peek: async (session: Session, token: unknown) => (isWellFormedToken(token) ? store.open(session.userId, hashToken(token), now()) : undefined),

    async request(session: Session, input: { current: string; email: string }, context: AuditContext): Promise<EmailChangeRequest> {
      const ip = context.origin.ip ?? '';
      const current = await deps.checkCurrentPassword({ userId: session.userId, email: session.email }, input.current, ip);
      if (current.kind !== 'ok') {
        await audit.recordStandalone({
          ...context, action: PROFILE_AUDIT.emailChangeRequest, tenant: session.accountId, targets: [{ type: 'user', id: session.userId }],
          outcome: { result: 'failure', reason: current.kind === 'wrong' ? 'wrong_current_password' : 'throttled' },
        });
        return current.kind === 'wrong' ? { kind: 'wrong_password' } : current;
      }
      const email = normalizeEmail(input.email);
      if (!isEmailAddress(email)) return { kind: 'invalid', problems: ['Enter a valid email address.'] };
      if (email === session.email) return { kind: 'invalid', problems: ['That is already your sign-in email.'] };
      // Links to any address the user types: limited per address and network, as sign-up's are.
      const decision = await deps.throttle.attempt(mailChecks(email, ip));
      if (!decision.allowed) return { kind: 'throttled', retryAfterMs: decision.retryAfterMs };
      if (await users.findByEmail(email)) return { kind: 'taken' };
      const id = randomUUID();
      const token = newToken();
      const at = now();
      await db.transaction().execute(async (tx) => {
        await store.voidOpen(tx, session.userId, at);
        await store.insert(tx, {
          id, user_id: session.userId, old_email: session.email, new_email: email, token_hash: hashToken(token),
          expires_at: new Date(at.getTime() + EMAIL_CHANGE_HOURS * 3_600_000),
        });
        await audit.record(tx, {
          ...context, action: PROFILE_AUDIT.emailChangeRequest, tenant: session.accountId,
          targets: [{ type: 'user', id: session.userId }, { type: 'email_change', id }], outcome: { result: 'success' }, metadata: { to: email },
        });
      });
      deps.mail.sendLater(emailChangeLinkEmail(email, { origin: deps.origin, token, hours: EMAIL_CHANGE_HOURS }));
      deps.mail.sendLater(emailChangeRequestedEmail(session.email, { origin: deps.origin, newEmail: email, when: formatTime(at), ip }));
      return { kind: 'sent', email };
    },

    async confirm(session: Session, token: string, context: AuditContext): Promise<EmailChangeConfirm> {
      if (!isWellFormedToken(token)) return { kind: 'invalid_link' };
      const at = now();
      let done: { change: { old_email: string; new_email: string }; rotated: string };
      try {
        done = await db.transaction().execute(async (tx) => {
          const row = await store.open(session.userId, hashToken(token), at, tx);
          if (!row) throw refused('invalid_link');
          if (await users.findByEmail(row.new_email, tx)) throw refused('taken');
          // Only while the address is still the one the link was made for (no other change won meanwhile).
          if (!(await users.setEmail(tx, session.userId, row.old_email, row.new_email))) throw refused('invalid_link');
          const fresh = await deps.sessions.rotateWithin(tx, session.id);
          if (fresh === null) throw refused('ended');
          await store.voidOpen(tx, session.userId, at);
          await tx.updateTable('password_resets').set({ used_at: at }).where('user_id', '=', session.userId).where('used_at', 'is', null).execute();
          const ended = await deps.sessions.endAllOf(tx, session.userId, 'email_change', session.id);
          await audit.record(tx, {
            ...context, action: PROFILE_AUDIT.emailChange, tenant: session.accountId,
            targets: [{ type: 'user', id: session.userId }, { type: 'email_change', id: row.id }, { type: 'session', id: session.id }],
            outcome: { result: 'success' }, metadata: { from: row.old_email, to: row.new_email, other_sessions_ended: ended.length, session_rotated: true },
          });
          return { change: row, rotated: fresh };
        });
      } catch (error) {
        const refusal = (error as { refusal?: unknown }).refusal;
        // users.email is UNIQUE: a sign-up (or another user's change) took the address after the check.
        const taken = refusal === 'taken' || (error as { code?: string }).code === '23505';
        if (taken) {
          await audit.recordStandalone({
            ...context, action: PROFILE_AUDIT.emailChange, tenant: session.accountId, targets: [{ type: 'user', id: session.userId }],
            outcome: { result: 'failure', reason: 'address_taken' },
          });
          return { kind: 'taken' };
        }
        if (refusal === 'invalid_link' || refusal === 'ended') return { kind: refusal };
        throw error;
      }
      const { change } = done;
      const facts = { origin: deps.origin, oldEmail: change.old_email, newEmail: change.new_email, when: formatTime(at), ip: context.origin.ip ?? '' };
      deps.mail.sendLater(emailChangedEmail(change.old_email, facts));
      deps.mail.sendLater(emailChangedEmail(change.new_email, facts));
      return { kind: 'changed', token: done.rotated };
    },
  };
}
export type EmailChangeService = ReturnType<typeof createEmailChangeService>;
