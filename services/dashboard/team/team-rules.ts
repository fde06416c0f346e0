// The rules every team change obeys, in one place: it runs in one transaction holding the account's
// team lock, with the actor's permissions read fresh inside it (not from the session); the actor
// grants only permissions it holds, never acts on a member who holds more than it does, and never
// changes its own roles; unknown roles are refused. Refusals are audited as failures.
import { AUDIT_ERROR_CODES, isAuditError, type Audit, type AuditRecord } from '#lib/audit/index.ts';
import type { Kysely, Transaction } from '#lib/db/index.ts';
import { httpError, isHttpError } from '#lib/http/index.ts';
import type { DashboardDatabase } from '../db.ts';
import type { Permission } from './permissions.ts';
import { isPredefinedRole, missingFrom, OWNER_ROLE, rolePermissions, type CustomRoleGrant } from './roles.ts';
import type { CustomRoleRow, TeamStore } from './team.store.ts';
import { teamAuditRecord, type TeamActor, type TeamAuditAction } from './team.audit.ts';

export const MAX_ROLES_PER_MEMBER = 8;

export type TeamContext = {
  tx: Transaction<DashboardDatabase>;
  /** Every member of the account and their roles, locked. */
  members: ReadonlyMap<string, readonly string[]>;
  customRoles: readonly CustomRoleRow[];
  actorPermissions: ReadonlySet<Permission>;
  permissionsOf(roles: readonly string[]): ReadonlySet<Permission>;
  /** The actor must hold `permission` now (the route checked the session; this re-checks under the lock). */
  require(permission: Permission): void;
  /** Refuses a grant of roles carrying permissions the actor does not hold. */
  checkGrant(roles: readonly string[]): void;
  /** Refuses putting permissions the actor does not hold into a (custom) role. */
  checkGrantable(permissions: Iterable<Permission>): void;
  /** Refuses acting on a member (or role) that holds permissions the actor does not. */
  checkOutranks(roles: readonly string[], what: string): void;
  /** Normalizes and checks a role list: predefined keys or this account's custom role ids, 1–8 of them. */
  validRoles(roles: readonly string[]): string[];
  owners(): string[];
};

export function refusal(message: string): Error {
  return httpError(403, 'forbidden', message);
}

export function grantsOf(rows: readonly CustomRoleRow[]): CustomRoleGrant[] {
  return rows.map((r) => ({ id: r.id, permissions: r.permissions, phishingResistantMfa: r.phishing_resistant_mfa }));
}

export function createTeamRules(deps: { db: Kysely<DashboardDatabase>; audit: Pick<Audit, 'record' | 'recordStandalone'>; team: TeamStore }) {
  const { db, audit, team } = deps;

  async function context(tx: Transaction<DashboardDatabase>, actor: TeamActor): Promise<TeamContext> {
    const locked = await team.lockTeam(tx, actor.accountId);
    const members = new Map(locked.map((m) => [m.user_id, m.roles]));
    const customRoles = await team.customRoles(actor.accountId, tx);
    const grants = grantsOf(customRoles);
    const permissionsOf = (roles: readonly string[]) => rolePermissions(roles, grants);
    const actorRoles = members.get(actor.userId);
    if (!actorRoles) throw refusal('you are not a member of this account');
    const actorPermissions = permissionsOf(actorRoles);
    const checkGrantable = (permissions: Iterable<Permission>) => {
      const missing = missingFrom(actorPermissions, new Set(permissions));
      if (missing.length > 0) throw refusal(`you can grant only permissions you hold; you lack ${missing.join(', ')}`);
    };
    return {
      tx, members, customRoles, actorPermissions, permissionsOf,
      require(permission) {
        if (!actorPermissions.has(permission)) throw refusal(`your role does not allow this (needs ${permission})`);
      },
      checkGrant: (roles) => checkGrantable(permissionsOf(roles)),
      checkGrantable,
      checkOutranks(roles, what) {
        const missing = missingFrom(actorPermissions, permissionsOf(roles));
        if (missing.length > 0) throw refusal(`${what} holds permissions you do not (${missing.join(', ')})`);
      },
      validRoles(roles) {
        const unique = [...new Set(roles)];
        if (unique.length === 0 || unique.length > MAX_ROLES_PER_MEMBER) {
          throw httpError(400, 'bad_request', `roles must name between 1 and ${MAX_ROLES_PER_MEMBER} roles`);
        }
        const custom = new Set(customRoles.map((r) => r.id));
        for (const key of unique) {
          if (!isPredefinedRole(key) && !custom.has(key)) throw httpError(400, 'bad_request', `roles: ${key.slice(0, 40)} is not a role of this account`);
        }
        return unique.sort();
      },
      owners: () => [...members].filter(([, roles]) => roles.includes(OWNER_ROLE)).map(([id]) => id),
    };
  }

  return {
    /**
     * Runs `work` in one transaction under the team lock. A refusal (403, or 409 such as the last
     * Owner) is audited as a failure of `action` after the rollback, then rethrown.
     */
    async change<T>(actor: TeamActor, action: TeamAuditAction, targets: AuditRecord['targets'], work: (ctx: TeamContext) => Promise<T>): Promise<T> {
      try {
        return await db.transaction().execute(async (tx) => work(await context(tx, actor)));
      } catch (error) {
        // The audit guard refuses card numbers and secrets in any field: input carrying one is the
        // caller's mistake (a 400), and it is stored nowhere.
        if (isAuditError(error) && error.code === AUDIT_ERROR_CODES.refused) {
          throw httpError(400, 'bad_request', 'this input looks like a card number or a secret, which is never stored; change it');
        }
        if (isHttpError(error) && (error.statusCode === 403 || error.statusCode === 409)) {
          await audit.recordStandalone(teamAuditRecord(actor, action, targets, {}, { result: 'failure', reason: error.message.slice(0, 500) }));
        }
        throw error;
      }
    },
    record: (tx: Transaction<DashboardDatabase>, entry: AuditRecord) => audit.record(tx, entry),
  };
}
export type TeamRules = ReturnType<typeof createTeamRules>;
