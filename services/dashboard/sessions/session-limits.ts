// How long a session may live: the policy profile's limits, made stricter for a member who holds a
// privileged permission (who can change the team, ownership, roles, API keys, webhooks or account
// settings, or move money back with a refund).
// Those sessions are what an attacker wants most, so they idle out after 15 minutes and end after
// 8 hours whatever the profile (NIST SP 800-63B's AAL3 reauthentication bounds are 15 min / 12 h;
// PCI DSS 8.2.8 asks for 15 min idle). Permissions are the ones loaded at this request, so a
// promotion tightens the limits of a live session at its next request.
import type { SessionLimits } from '../policy-profiles.ts';
import type { SessionPolicyFor } from './sessions.service.ts';

const MINUTE = 60_000;
export const PRIVILEGED_PERMISSIONS: readonly string[] = Object.freeze([
  'owners.manage', 'team.manage', 'roles.manage', 'keys.manage', 'account.manage', 'charges.refund', 'webhooks.manage',
]);
export const PRIVILEGED_LIMITS: SessionLimits = Object.freeze({ idleMs: 15 * MINUTE, absoluteMs: 8 * 60 * MINUTE });

export function sessionLimitsFor(profile: SessionLimits): SessionPolicyFor {
  const privileged: SessionLimits = Object.freeze({
    idleMs: Math.min(profile.idleMs, PRIVILEGED_LIMITS.idleMs),
    absoluteMs: Math.min(profile.absoluteMs, PRIVILEGED_LIMITS.absoluteMs),
  });
  return ({ permissions }) => (PRIVILEGED_PERMISSIONS.some((p) => permissions.has(p)) ? privileged : profile);
}
