// Sign-in with email and password. The same answer, status and work for an unknown email, a wrong
// password and (after the check) a known one: the unknown email still costs an Argon2id verify
// and counts against its own throttle row. What follows a right password is the afterPassword seam.
import type { Kysely } from '#lib/db/index.ts';
import type { Audit } from '#lib/audit/index.ts';
import type { DashboardDatabase, SessionFactor } from '../db.ts';
import type { Mailer } from '../mail/mailer.ts';
import { newDeviceSignInEmail } from '../mail/messages.ts';
import type { PolicyProfile } from '../policy-profiles.ts';
import type { ClientInfo } from '../sessions/client.ts';
import type { SessionService } from '../sessions/sessions.service.ts';
import type { AuditContext } from '../web/audit-context.ts';
import { formatTime } from '../web/format.ts';
import type { UserStore } from '../users/users.store.ts';
import { verifyAgainstDummy, verifyPassword } from '../users/passwords.ts';
import type { PasswordVerifiedUser } from './after-password.ts';
import type { LoginHistoryStore } from './login-history.store.ts';
import { signInNovelty } from './new-device.ts';
import { emailKey, networkKey, type ThrottleCheck, type ThrottleStore } from './throttle.store.ts';

export const MAX_SIGN_IN_PASSWORD = 1024;

export type PasswordCheck =
  | { kind: 'ok'; user: PasswordVerifiedUser }
  | { kind: 'failed' }
  | { kind: 'throttled'; retryAfterMs: number; locked: boolean }
  /** The password was right, so these may say what is wrong. */
  | { kind: 'unverified' }
  | { kind: 'no_account' };

type Deps = {
  db: Kysely<DashboardDatabase>;
  audit: Audit;
  users: UserStore;
  sessions: SessionService;
  throttle: ThrottleStore;
  history: LoginHistoryStore;
  profile: PolicyProfile;
  /** The new-device email, after the sign-in commits. */
  mail: Pick<Mailer, 'sendLater'>;
  origin: string;
};

export function createSignInService(deps: Deps) {
  const { db, audit, users, history, profile } = deps;

  function throttleChecks(email: string, ip: string): ThrottleCheck[] {
    return [
      { scope: 'account', key: emailKey(email), rule: profile.throttle.account, lockout: profile.lockout },
      { scope: 'ip', key: networkKey(ip), rule: profile.throttle.ip },
    ];
  }

  async function recordFailure(user: { id: string } | undefined, reason: string, client: ClientInfo, context: AuditContext): Promise<void> {
    // The same queries whether or not the user exists (an empty id finds nothing): no timing tell.
    const accountId = await users.homeAccount(user?.id ?? '');
    await db.transaction().execute(async (tx) => {
      if (user) await history.record(tx, { userId: user.id, accountId, outcome: 'failure', reason, factor: 'password', client });
      await audit.record(tx, {
        ...context, actor: user ? { type: 'user', id: user.id } : { type: 'system', id: 'anonymous' },
        action: 'user.sign_in', tenant: accountId, targets: user ? [{ type: 'user', id: user.id }] : [],
        outcome: { result: 'failure', reason: user ? reason : 'unknown_user' }, metadata: { factor: 'password' },
      });
    });
  }

  return {
    throttleChecks,

    /** Throttle, then Argon2id; never says which of email and password was wrong. */
    async checkPassword(input: { email: string; password: string }, client: ClientInfo, context: AuditContext): Promise<PasswordCheck> {
      const user = await users.findByEmail(input.email);
      const checks = throttleChecks(input.email, client.ip);
      const decision = await deps.throttle.attempt(checks);
      if (!decision.allowed) {
        await recordFailure(user, decision.locked ? 'locked' : 'throttled', client, context);
        return { kind: 'throttled', retryAfterMs: decision.retryAfterMs, locked: decision.locked };
      }
      const right = user ? await verifyPassword(user.password_hash, input.password) : await verifyAgainstDummy(input.password);
      if (!user || !right) {
        await recordFailure(user, 'wrong_password', client, context);
        return { kind: 'failed' };
      }
      await deps.throttle.succeeded(checks);
      if (!user.email_verified) return { kind: 'unverified' };
      const accountId = await users.homeAccount(user.id);
      if (accountId === null) {
        await recordFailure(user, 'no_membership', client, context);
        return { kind: 'no_account' };
      }
      return { kind: 'ok', user: { userId: user.id, email: user.email, accountId } };
    },

    /**
     * Signs the user in: a new session (never a reused token), a login event and an audit entry,
     * together; then, once committed, an email if the device and country are new (new-device.ts).
     */
    async complete(input: { user: PasswordVerifiedUser; factor: SessionFactor; mfaVerifiedAt: Date | null; client: ClientInfo; context: AuditContext }) {
      const { user, client } = input;
      const at = new Date();
      const { session, novelty } = await db.transaction().execute(async (tx) => {
        const novelty = await signInNovelty(tx, history, user.userId, client);
        const session = await deps.sessions.start(tx, { userId: user.userId, accountId: user.accountId, factor: input.factor, mfaVerifiedAt: input.mfaVerifiedAt, client });
        await history.record(tx, { userId: user.userId, accountId: user.accountId, outcome: 'success', reason: null, factor: input.factor, client });
        await audit.record(tx, {
          ...input.context, actor: { type: 'user', id: user.userId, sessionId: session.id },
          action: 'user.sign_in', tenant: user.accountId, targets: [{ type: 'user', id: user.userId }, { type: 'session', id: session.id }],
          outcome: { result: 'success' }, metadata: { factor: input.factor, country: client.country, device: client.device, new_device: novelty === 'new' },
        });
        return { session, novelty };
      });
      if (novelty === 'new') {
        deps.mail.sendLater(newDeviceSignInEmail(user.email, { origin: deps.origin, when: formatTime(at), device: client.device, ip: client.ip, country: client.country }));
      }
      return session;
    },
  };
}
export type SignInService = ReturnType<typeof createSignInService>;
