// Switching accounts: a user who belongs to several merchant accounts moves their sign-in to another
// one. Only a member of the target may. The session they hold ends and a new one (new token) starts
// in the target with the same factor, `mfaVerifiedAt` and sign-in time (so switching back and forth
// never extends the absolute timeout), audited in both accounts in one transaction.
//
// MFA requirements (account "require MFA", WebAuthn-only roles) are enforced when a session starts
// (the afterPassword seam), not on each request, so the switch checks them itself: a session whose
// factor does not meet what the target asks of this member must go through that seam (prove a
// factor, or enrol one) instead (`reprove`); the route asks for a fresh step-up first.
import type { Audit } from '#lib/audit/index.ts';
import { idPattern } from '#lib/contracts/index.ts';
import type { Kysely } from '#lib/db/index.ts';
import type { DashboardDatabase, SessionFactor } from '../db.ts';
import type { MfaPolicy, MfaRequirement } from '../mfa/mfa-policy.ts';
import type { ClientInfo } from '../sessions/client.ts';
import type { Session, SessionService } from '../sessions/sessions.service.ts';
import type { AccessStore } from '../team/access.store.ts';
import type { AuditContext } from '../web/audit-context.ts';

export const SWITCH_ACTION = 'session.switch_account';
const ACCOUNT_ID = idPattern('account');

export type SwitchPlan = { kind: 'not_member' } | { kind: 'same' } | { kind: 'carry' } | { kind: 'reprove' };

/** Whether a session proved with `factor` meets what the target account asks of the member at sign-in. */
export function factorMeets(factor: SessionFactor, requirement: MfaRequirement): boolean {
  if (requirement.webauthnOnly) return factor === 'webauthn';
  if (requirement.accountRequiresMfa) return factor !== 'password';
  return true;
}

type Deps = {
  db: Kysely<DashboardDatabase>;
  audit: Pick<Audit, 'record' | 'recordStandalone'>;
  sessions: SessionService;
  access: Pick<AccessStore, 'memberAccess'>;
  policy: Pick<MfaPolicy, 'requirementFor'>;
};

export function createAccountSwitchService(deps: Deps) {
  const { db, audit, sessions } = deps;

  /**
   * One entry in each account's trail: the account left sees the member leave, the account entered sees
   * them arrive. Neither names the other account: its auditors must not learn which other merchants
   * the member works for (the member's own sessions page and the platform operator still can).
   */
  function entries(session: Session, to: string, context: AuditContext, targets: Array<{ type: string; id: string }>, metadata: Record<string, string | boolean>) {
    const base = { ...context, action: SWITCH_ACTION, outcome: { result: 'success' as const } };
    return [
      { ...base, tenant: session.accountId, targets, metadata: { direction: 'left', ...metadata } },
      { ...base, tenant: to, targets, metadata: { direction: 'arrived', ...metadata } },
    ];
  }

  return {
    async plan(session: Session, accountId: string): Promise<SwitchPlan> {
      if (!ACCOUNT_ID.test(accountId)) return { kind: 'not_member' };
      if (accountId === session.accountId) return { kind: 'same' };
      if ((await deps.access.memberAccess(session.userId, accountId)) === null) return { kind: 'not_member' };
      const requirement = await deps.policy.requirementFor(session.userId, accountId);
      return factorMeets(session.factor, requirement) ? { kind: 'carry' } : { kind: 'reprove' };
    },

    /** A refused switch (not a member), in the current account's trail. */
    async refuse(session: Session, accountId: string, context: AuditContext): Promise<void> {
      await audit.recordStandalone({
        ...context, action: SWITCH_ACTION, tenant: session.accountId,
        targets: [{ type: 'session', id: session.id }, ...(ACCOUNT_ID.test(accountId) ? [{ type: 'account', id: accountId }] : [])],
        outcome: { result: 'failure', reason: 'not_a_member' },
      });
    },

    /** Ends the session and starts its successor in `accountId`; the new token, or null if the session had ended meanwhile. */
    async switchTo(session: Session, accountId: string, client: ClientInfo, context: AuditContext): Promise<string | null> {
      return db.transaction().execute(async (tx) => {
        if (!(await sessions.endWithin(tx, session, 'switch_account'))) return null;
        const next = await sessions.start(tx, {
          userId: session.userId, accountId, factor: session.factor, mfaVerifiedAt: session.mfaVerifiedAt, client, createdAt: session.createdAt,
        });
        for (const entry of entries(session, accountId, context, [{ type: 'session', id: session.id }, { type: 'session', id: next.id }], { factor: session.factor })) {
          await audit.record(tx, entry);
        }
        return next.token;
      });
    },

    /** Ends the session before the target's second-factor gate starts a new one; false if it had ended meanwhile. */
    async leave(session: Session, accountId: string, context: AuditContext): Promise<boolean> {
      return db.transaction().execute(async (tx) => {
        if (!(await sessions.endWithin(tx, session, 'switch_account'))) return false;
        for (const entry of entries(session, accountId, context, [{ type: 'session', id: session.id }], { factor: session.factor, second_factor_required: true })) {
          await audit.record(tx, entry);
        }
        return true;
      });
    },
  };
}
export type AccountSwitchService = ReturnType<typeof createAccountSwitchService>;
