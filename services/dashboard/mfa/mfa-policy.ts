// What a member must have to sign in: any second factor when their account requires MFA for every
// member (account/), and WebAuthn only (a security key or passkey: phishing-resistant) when one of
// their roles requires it (team/roles.ts: Owner and Administrator in production, and custom roles
// marked so). Read at every sign-in, step-up and factor removal, never cached.
import type { Kysely } from '#lib/db/index.ts';
import type { DashboardDatabase } from '../db.ts';
import { readRequireMfa } from '../account/account-settings.store.ts';
import { createAccessStore } from '../team/access.store.ts';
import { requiresPhishingResistantMfa } from '../team/roles.ts';
import type { FactorSummary } from './factors.store.ts';

export type MfaRequirement = {
  /** The account requires a second factor of every member. */
  accountRequiresMfa: boolean;
  /** A role of theirs requires WebAuthn (TOTP and recovery codes are not enough). */
  webauthnOnly: boolean;
};

export type FactorKind = 'totp' | 'webauthn' | 'recovery_code' | 'password';

export function createMfaPolicy(deps: { db: Kysely<DashboardDatabase>; production: boolean }) {
  const access = createAccessStore(deps.db);
  return {
    async requirementFor(userId: string, accountId: string): Promise<MfaRequirement> {
      const [member, accountRequiresMfa] = await Promise.all([access.memberAccess(userId, accountId), readRequireMfa(deps.db, accountId)]);
      const webauthnOnly = member !== null &&
        requiresPhishingResistantMfa(member.roles, { production: deps.production, customRoles: member.phishingResistantCustomRoles });
      return { accountRequiresMfa, webauthnOnly };
    },
  };
}
export type MfaPolicy = ReturnType<typeof createMfaPolicy>;

export function hasSecondFactor(summary: FactorSummary): boolean {
  return summary.totp || summary.webauthn > 0;
}

/**
 * The factors that may prove this user now. WebAuthn-only users who already have a credential may
 * use nothing else; one who has none yet may use TOTP or a recovery code once, and must then enrol
 * a credential before getting a session (pending-sign-in.ts). A user with no second factor at all
 * proves themselves with the password (step-up only: sign-in has just checked it).
 */
export function allowedFactors(summary: FactorSummary, requirement: MfaRequirement): Set<FactorKind> {
  const allowed = new Set<FactorKind>();
  if (!hasSecondFactor(summary)) return new Set(['password']);
  if (summary.webauthn > 0) allowed.add('webauthn');
  if (requirement.webauthnOnly && summary.webauthn > 0) return allowed;
  if (summary.totp) allowed.add('totp');
  if (summary.recoveryCodesLeft > 0) allowed.add('recovery_code');
  return allowed;
}
