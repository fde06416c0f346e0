// Adding and removing a user's own second factors, each in one transaction with its audit entry,
// then an email to the user. The routes put step-up in front of every change; this file holds the
// rules: one TOTP at a time, confirmed by a first code; a factor the user's account or roles require
// is not removed when it is the last one; recovery codes exist only beside a real factor.
import type { Kysely, Transaction } from '#lib/db/index.ts';
import type { Audit } from '#lib/audit/index.ts';
import { KmsUnavailableError } from '#lib/kms-client/index.ts';
import type { DashboardDatabase } from '../db.ts';
import type { Mailer } from '../mail/mailer.ts';
import type { AuditContext } from '../web/audit-context.ts';
import { formatTime } from '../web/format.ts';
import { MFA_AUDIT } from './factor-check.ts';
import type { FactorStore } from './factors.store.ts';
import { factorChangedEmail, type FactorChange } from './mfa.mail.ts';
import { hasSecondFactor, type MfaPolicy } from './mfa-policy.ts';
import { hashRecoveryCode, newRecoveryCodes } from './recovery-codes.ts';
import type { SecretBox } from './secret-box.ts';
import { base32Of, keyUri, matchStep, newTotpSecret, normalizeCode } from './totp.ts';
import type { WebAuthn } from './webauthn.ts';

/** The user changing their own factors, in the account their session (or pending sign-in) is in. */
export type FactorActor = { userId: string; email: string; accountId: string; context: AuditContext; ip: string };

export const TOTP_ENROLMENT_MS = 15 * 60_000;

type Deps = {
  db: Kysely<DashboardDatabase>; audit: Audit; mail: Mailer; factors: FactorStore; secrets: SecretBox; webauthn: WebAuthn;
  policy: MfaPolicy; origin: string; now?: () => Date;
};

/** A credential name as shown on the security page: NFKC, no control characters, 1–60 characters. */
export function credentialName(input: string, fallback: string): string {
  const clean = input.normalize('NFKC').replace(/[\u0000-\u001f\u007f-\u009f]/g, '').trim().slice(0, 60);
  return clean === '' ? fallback : clean;
}

export function createFactorService(deps: Deps) {
  const { db, audit, factors } = deps;
  const now = deps.now ?? (() => new Date());

  async function changed(tx: Transaction<DashboardDatabase>, actor: FactorActor, action: string, targets: { type: string; id: string }[], metadata = {}) {
    await audit.record(tx, {
      ...actor.context, action, tenant: actor.accountId, targets: [{ type: 'user', id: actor.userId }, ...targets],
      outcome: { result: 'success' }, metadata,
    });
  }

  function tell(actor: FactorActor, change: FactorChange, detail?: string) {
    deps.mail.sendLater(factorChangedEmail(actor.email, { change, detail, when: formatTime(now()), ip: actor.ip, origin: deps.origin }));
  }

  /** Whether removing what `after` lacks would leave the user without a factor their account or roles require. */
  async function stillCompliant(actor: FactorActor, after: { totp: boolean; webauthn: number }): Promise<boolean> {
    const requirement = await deps.policy.requirementFor(actor.userId, actor.accountId);
    if (requirement.webauthnOnly && after.webauthn === 0) return false;
    return !requirement.accountRequiresMfa || hasSecondFactor({ ...after, recoveryCodesLeft: 0 });
  }

  return {
    async startTotp(actor: FactorActor): Promise<{ kind: 'started'; secret: string; uri: string } | { kind: 'exists' } | { kind: 'unavailable' }> {
      const secret = newTotpSecret();
      try {
        const sealed = await deps.secrets.seal(actor.userId, secret);
        const started = await db.transaction().execute((tx) => factors.startTotp(tx, actor.userId, sealed, now()));
        return started ? { kind: 'started', secret: base32Of(secret), uri: keyUri(secret, actor.email) } : { kind: 'exists' };
      } catch (error) {
        if (error instanceof KmsUnavailableError) return { kind: 'unavailable' };
        throw error;
      } finally {
        secret.fill(0);
      }
    },

    /** The first code turns the pending TOTP on (its step counts as used). */
    async confirmTotp(actor: FactorActor, input: string): Promise<'added' | 'wrong' | 'expired' | 'unavailable'> {
      const row = await factors.totp(actor.userId);
      if (!row || row.confirmed_at !== null || now().getTime() - row.created_at.getTime() > TOTP_ENROLMENT_MS) return 'expired';
      const code = normalizeCode(input);
      if (code === null) return 'wrong';
      let secret: Buffer;
      try {
        secret = await deps.secrets.open(actor.userId, row);
      } catch (error) {
        if (error instanceof KmsUnavailableError) return 'unavailable';
        throw error;
      }
      const step = matchStep(secret, code, now(), null);
      secret.fill(0);
      if (step === null) return 'wrong';
      const added = await db.transaction().execute(async (tx) => {
        if (!(await factors.useStep(tx, actor.userId, step, { at: now() }))) return false;
        await changed(tx, actor, MFA_AUDIT.totpAdd, []);
        return true;
      });
      if (!added) return 'expired';
      tell(actor, 'totp_added');
      return 'added';
    },

    async removeTotp(actor: FactorActor): Promise<'removed' | 'none' | 'required'> {
      const summary = await factors.summary(actor.userId);
      if (!summary.totp) return 'none';
      if (!(await stillCompliant(actor, { totp: false, webauthn: summary.webauthn }))) return 'required';
      const removed = await db.transaction().execute(async (tx) => {
        if (!(await factors.deleteTotp(tx, actor.userId))) return false;
        if (summary.webauthn === 0) await factors.deleteRecoveryCodes(tx, actor.userId);
        await changed(tx, actor, MFA_AUDIT.totpRemove, []);
        return true;
      });
      if (!removed) return 'none';
      tell(actor, 'totp_removed');
      return 'removed';
    },

    async addWebAuthn(actor: FactorActor, binding: string, response: unknown, name: string): Promise<'added' | 'refused' | 'duplicate'> {
      const result = await deps.webauthn.verifyRegistration(actor.userId, binding, response, name);
      if (!result.ok) return 'refused';
      const credential = { ...result.credential, name: credentialName(name, result.credential.device_type === 'multiDevice' ? 'Passkey' : 'Security key') };
      const added = await db.transaction().execute(async (tx) => {
        if (!(await factors.addCredential(tx, credential))) return false;
        await changed(tx, actor, MFA_AUDIT.webauthnAdd, [{ type: 'webauthn_credential', id: credential.id.slice(0, 200) }], {
          name: credential.name, device_type: credential.device_type, backed_up: credential.backed_up,
        });
        return true;
      });
      if (!added) return 'duplicate';
      tell(actor, 'webauthn_added', credential.name);
      return 'added';
    },

    /** Another user's credential id (or an unknown one) is 'not_found', exactly like a missing one. */
    async removeWebAuthn(actor: FactorActor, id: string): Promise<'removed' | 'not_found' | 'required'> {
      const summary = await factors.summary(actor.userId);
      const mine = (await factors.credentials(actor.userId)).find((c) => c.id === id);
      if (!mine) return 'not_found';
      if (!(await stillCompliant(actor, { totp: summary.totp, webauthn: summary.webauthn - 1 }))) return 'required';
      const removed = await db.transaction().execute(async (tx) => {
        const row = await factors.removeCredential(tx, actor.userId, id);
        if (!row) return undefined;
        if (!summary.totp && summary.webauthn === 1) await factors.deleteRecoveryCodes(tx, actor.userId);
        await changed(tx, actor, MFA_AUDIT.webauthnRemove, [{ type: 'webauthn_credential', id: id.slice(0, 200) }], { name: row.name });
        return row;
      });
      if (!removed) return 'not_found';
      tell(actor, 'webauthn_removed', removed.name);
      return 'removed';
    },

    /** A new batch of ten; the old ones stop working in the same transaction. Shown once: only hashes are kept. */
    async createRecoveryCodes(actor: FactorActor): Promise<string[] | 'no_factor'> {
      if (!hasSecondFactor(await factors.summary(actor.userId))) return 'no_factor';
      const codes = newRecoveryCodes();
      await db.transaction().execute(async (tx) => {
        const replaced = await factors.replaceRecoveryCodes(tx, actor.userId, codes.map((c) => hashRecoveryCode(actor.userId, c)), now());
        await changed(tx, actor, MFA_AUDIT.recoveryCodesCreate, [], { count: codes.length, replaced });
      });
      tell(actor, 'recovery_codes_created');
      return codes;
    },
  };
}
export type FactorService = ReturnType<typeof createFactorService>;
