// Checking one proof of identity for a known user, at sign-in (second factor) or step-up: a TOTP
// code (window ±1 step, never a step already used), a recovery code (single use), a WebAuthn
// assertion, or, for step-up by a user with no second factor, the password. Every attempt is
// counted first (mfa-throttle.ts) and audited; sign-in failures go to the login history too.
import type { Kysely } from '#lib/db/index.ts';
import type { Audit } from '#lib/audit/index.ts';
import { KmsUnavailableError } from '#lib/kms-client/index.ts';
import type { DashboardDatabase, SessionFactor } from '../db.ts';
import type { LoginHistoryStore } from '../auth/login-history.store.ts';
import type { Mailer } from '../mail/mailer.ts';
import type { ClientInfo } from '../sessions/client.ts';
import type { UserStore } from '../users/users.store.ts';
import { verifyPassword } from '../users/passwords.ts';
import type { AuditContext } from '../web/audit-context.ts';
import { formatTime } from '../web/format.ts';
import type { FactorStore } from './factors.store.ts';
import { factorChangedEmail, mfaLockedEmail } from './mfa.mail.ts';
import type { FactorKind } from './mfa-policy.ts';
import { MFA_LOCKOUT, type MfaThrottle } from './mfa-throttle.ts';
import { hashRecoveryCode, normalizeRecoveryCode } from './recovery-codes.ts';
import type { SecretBox } from './secret-box.ts';
import { matchStep, normalizeCode } from './totp.ts';
import type { WebAuthn } from './webauthn.ts';

export type FactorProof =
  | { kind: 'totp'; code: string }
  | { kind: 'recovery_code'; code: string }
  | { kind: 'webauthn'; purpose: 'second_factor' | 'step_up'; binding: string; response: unknown }
  | { kind: 'password'; password: string };

export type CheckOutcome =
  | { ok: true; factor: SessionFactor }
  | { ok: false; reason: 'wrong' | 'not_allowed' | 'unavailable' }
  | { ok: false; reason: 'throttled'; retryAfterMs: number };

export type CheckContext = {
  purpose: 'sign_in' | 'step_up';
  user: { userId: string; email: string; accountId: string };
  allowed: ReadonlySet<FactorKind>;
  client: ClientInfo;
  context: AuditContext;
};

export const MFA_AUDIT = {
  verify: 'mfa.verify',
  totpAdd: 'mfa.totp.add',
  totpRemove: 'mfa.totp.remove',
  webauthnAdd: 'mfa.webauthn.add',
  webauthnRemove: 'mfa.webauthn.remove',
  recoveryCodesCreate: 'mfa.recovery_codes.create',
  stepUp: 'mfa.step_up',
} as const;

type Deps = {
  db: Kysely<DashboardDatabase>; audit: Audit; mail: Mailer; factors: FactorStore; secrets: SecretBox; webauthn: WebAuthn;
  throttle: MfaThrottle; history: LoginHistoryStore; users: UserStore; origin: string; now?: () => Date;
};

export function createFactorCheck(deps: Deps) {
  const { db, audit, factors } = deps;
  const now = deps.now ?? (() => new Date());

  async function totpRight(userId: string, input: string): Promise<boolean | 'unavailable'> {
    const code = normalizeCode(input);
    const row = await factors.totp(userId);
    if (code === null || !row || row.confirmed_at === null) return false;
    let secret: Buffer;
    try {
      secret = await deps.secrets.open(userId, row);
    } catch (error) {
      if (error instanceof KmsUnavailableError) return 'unavailable';
      throw error;
    }
    try {
      const step = matchStep(secret, code, now(), row.last_step);
      // The UPDATE is the real replay check: of two requests with one code, one changes nothing.
      return step !== null && (await factors.useStep(db, userId, step, null));
    } finally {
      secret.fill(0);
    }
  }

  async function right(proof: FactorProof, userId: string): Promise<boolean | 'unavailable'> {
    switch (proof.kind) {
      case 'totp': return totpRight(userId, proof.code);
      case 'recovery_code': {
        if (normalizeRecoveryCode(proof.code) === null) return false;
        return factors.useRecoveryCode(db, userId, hashRecoveryCode(userId, proof.code), now());
      }
      case 'webauthn': return (await deps.webauthn.verifyAuthentication(proof.purpose, userId, proof.binding, proof.response)).ok;
      case 'password': {
        const user = await deps.users.findById(userId);
        return user !== undefined && (await verifyPassword(user.password_hash, proof.password));
      }
    }
  }

  async function record(check: CheckContext, factor: FactorKind, outcome: { result: 'success' } | { result: 'failure'; reason: string }) {
    const { user } = check;
    await db.transaction().execute(async (tx) => {
      if (check.purpose === 'sign_in' && outcome.result === 'failure') {
        await deps.history.record(tx, { userId: user.userId, accountId: user.accountId, outcome: 'failure', reason: outcome.reason, factor, client: check.client });
      }
      await audit.record(tx, {
        ...check.context, action: MFA_AUDIT.verify, tenant: user.accountId, targets: [{ type: 'user', id: user.userId }],
        outcome, metadata: { factor, purpose: check.purpose },
      });
    });
  }

  return {
    async check(proof: FactorProof, check: CheckContext): Promise<CheckOutcome> {
      const { user, client } = check;
      if (!check.allowed.has(proof.kind)) {
        await record(check, proof.kind, { result: 'failure', reason: 'factor_not_allowed' });
        return { ok: false, reason: 'not_allowed' };
      }
      const attempt = await deps.throttle.attempt(user.userId);
      if (!attempt.allowed) {
        await record(check, proof.kind, { result: 'failure', reason: attempt.locked ? 'locked' : 'throttled' });
        return { ok: false, reason: 'throttled', retryAfterMs: attempt.retryAfterMs };
      }
      const verdict = await right(proof, user.userId);
      if (verdict === 'unavailable') {
        await record(check, proof.kind, { result: 'failure', reason: 'kms_unavailable' });
        return { ok: false, reason: 'unavailable' };
      }
      if (!verdict) {
        await record(check, proof.kind, { result: 'failure', reason: `wrong_${proof.kind}` });
        if (attempt.lockedNow) {
          deps.mail.sendLater(mfaLockedEmail(user.email, { when: formatTime(now()), ip: client.ip, origin: deps.origin, minutes: MFA_LOCKOUT.lockMs / 60_000 }));
        }
        return { ok: false, reason: 'wrong' };
      }
      await deps.throttle.succeeded(user.userId);
      await record(check, proof.kind, { result: 'success' });
      if (proof.kind === 'recovery_code') {
        deps.mail.sendLater(factorChangedEmail(user.email, { change: 'recovery_code_used', when: formatTime(now()), ip: client.ip, origin: deps.origin }));
      }
      return { ok: true, factor: proof.kind };
    },
  };
}
export type FactorCheck = ReturnType<typeof createFactorCheck>;
