// Predefined roles as permission sets (least privilege: each holds only what its job needs), custom
// roles from the same catalogue, and the arithmetic on them: a member's permissions are the union of
// their roles'; an actor may grant only what it holds.
import { ALL_PERMISSIONS, BASELINE_PERMISSIONS, type Permission } from './permissions.ts';

export type PredefinedRole = {
  key: string;
  name: string;
  /** Why the role exists, in one line (shown on the roles page). */
  why: string;
  permissions: ReadonlySet<Permission>;
  /** WebAuthn-only sign-in for holders, in production, unless the operator turns it off. */
  phishingResistantMfa: boolean;
};

const READ_PAYMENTS: Permission[] = ['charges.read', 'refunds.read', 'customers.read', 'cards.read_masked'];

function role(key: string, name: string, why: string, permissions: readonly Permission[], phishingResistantMfa = false): PredefinedRole {
  return Object.freeze({ key, name, why, permissions: new Set<Permission>([...BASELINE_PERMISSIONS, ...permissions]), phishingResistantMfa });
}

export const PREDEFINED_ROLES: readonly PredefinedRole[] = Object.freeze([
  role('owner', 'Owner', 'Answers for the account: everything, and the only role that can make or unmake owners.', ALL_PERMISSIONS, true),
  role('administrator', 'Administrator', 'Runs the account day to day: everything except ownership.',
    ALL_PERMISSIONS.filter((p) => p !== 'owners.manage'), true),
  role('iam_administrator', 'IAM Administrator', 'Manages who is in the team and what they may do, with no access to money or payment data.',
    ['team.read', 'team.manage', 'roles.manage', 'audit.read']),
  role('developer', 'Developer', 'Integrates the API: keys, webhooks and logs, without payment data.',
    ['keys.read', 'keys.manage', 'webhooks.read', 'webhooks.manage', 'logs.read']),
  role('analyst', 'Analyst', 'Reports on the business: reads and exports payments, changes nothing.', [...READ_PAYMENTS, 'data.export']),
  role('refund_analyst', 'Refund Analyst', 'Handles refunds: sees charges and refunds and may refund, nothing else.',
    ['charges.read', 'refunds.read', 'cards.read_masked', 'charges.refund']),
  role('support_specialist', 'Support Specialist', 'Helps the merchant\'s customers: reads payments (cards masked) and talks to support.',
    [...READ_PAYMENTS, 'support.use']),
  role('view_only', 'View Only', 'Looks but never touches: the payments pages, read only.', READ_PAYMENTS),
]);

const BY_KEY: ReadonlyMap<string, PredefinedRole> = new Map(PREDEFINED_ROLES.map((r) => [r.key, r]));

export function predefinedRole(key: string): PredefinedRole | undefined {
  return BY_KEY.get(key);
}

export function isPredefinedRole(key: string): boolean {
  return BY_KEY.has(key);
}

export const OWNER_ROLE = 'owner';

/** A custom role as the access query returns it: its id and permission set. */
export type CustomRoleGrant = { id: string; permissions: readonly string[]; phishingResistantMfa: boolean };

/**
 * Union of the permissions of `roles` in one account. Predefined keys resolve here; custom role ids
 * resolve through `custom` (the account's own rows, loaded by team.store.ts `memberAccess` or `permissionsFor`).
 * Unknown names grant nothing (a deleted custom role simply stops granting).
 */
export function rolePermissions(roles: readonly string[], custom: readonly CustomRoleGrant[] = []): ReadonlySet<Permission> {
  const byId = new Map(custom.map((c) => [c.id, c]));
  const out = new Set<Permission>();
  for (const key of roles) {
    const predefined = BY_KEY.get(key);
    if (predefined) for (const p of predefined.permissions) out.add(p);
    const own = byId.get(key);
    if (own) for (const p of own.permissions) if ((ALL_PERMISSIONS as readonly string[]).includes(p)) out.add(p as Permission);
  }
  return out;
}

/** Permissions in `wanted` that `held` lacks (empty when the grant is allowed). */
export function missingFrom(held: ReadonlySet<Permission>, wanted: ReadonlySet<Permission>): Permission[] {
  return [...wanted].filter((p) => !held.has(p)).sort();
}

export type MfaPolicy = {
  /** Production turns on the predefined roles' phishing-resistant default (Owner, Administrator). */
  production: boolean;
  /** Operator switch for that default; on unless turned off explicitly. */
  predefinedDefault?: boolean;
  /** Custom roles of the account that require WebAuthn (their ids). */
  customRoles?: readonly string[];
};

/** Whether a member holding `roles` must sign in with WebAuthn (security key or passkey) only. */
export function requiresPhishingResistantMfa(roles: readonly string[], policy: MfaPolicy): boolean {
  const custom = new Set(policy.customRoles ?? []);
  const defaults = policy.production && policy.predefinedDefault !== false;
  return roles.some((key) => custom.has(key) || (defaults && BY_KEY.get(key)?.phishingResistantMfa === true));
}
