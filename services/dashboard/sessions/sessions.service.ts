// Sessions: start (at every sign-in), resolve (every request: timeouts, roles, last seen), rotate
// (step-up), end and revoke. Roles and permissions are read on every request, never kept in the
// cookie or the row, so a removed member or role loses access at the next request.
import { newId } from '#lib/contracts/index.ts';
import type { Kysely, Transaction } from '#lib/db/index.ts';
import type { Audit } from '#lib/audit/index.ts';
import type { DashboardDatabase, SessionFactor } from '../db.ts';
import type { SessionLimits } from '../policy-profiles.ts';
import type { AuditContext } from '../web/audit-context.ts';
import type { ClientInfo } from './client.ts';
import type { SessionStore } from './sessions.store.ts';
import { hashToken, isWellFormedToken, newToken } from './tokens.ts';

/** `request.session` (DESIGN.md). `permissions` holds team/permissions.ts `Permission` strings. */
export type Session = {
  id: string;
  userId: string;
  accountId: string;
  email: string;
  roles: string[];
  permissions: ReadonlySet<string>;
  createdAt: Date;
  lastSeenAt: Date;
  mfaVerifiedAt: Date | null;
  factor: SessionFactor;
  /** Synchronizer token for this session's forms (web/csrf.ts). */
  csrfToken: string;
};

/** A member's roles and permissions in an account, read per request; null when not (or no longer) a member. */
export type MemberAccess = (userId: string, accountId: string) => Promise<{ roles: string[]; permissions: ReadonlySet<string> } | null>;

/** Seam for stricter limits (privileged roles, per-account profile): gets the freshly loaded roles. */
export type SessionPolicyFor = (session: { userId: string; accountId: string; roles: readonly string[]; permissions: ReadonlySet<string>; factor: SessionFactor }) => SessionLimits;

export const TOUCH_EVERY_MS = 60_000;

type Deps = {
  db: Kysely<DashboardDatabase>;
  store: SessionStore;
  audit: Audit;
  memberAccess: MemberAccess;
  policyFor: SessionPolicyFor;
  now?: () => Date;
};

export function createSessionService(deps: Deps) {
  const { db, store, audit } = deps;
  const now = deps.now ?? (() => new Date());

  async function expire(id: string, accountId: string, reason: 'idle_timeout' | 'absolute_timeout', at: Date): Promise<void> {
    await db.transaction().execute(async (tx) => {
      if (!(await store.end(tx, { id }, reason, at))) return;
      await audit.record(tx, {
        actor: { type: 'system', id: 'session-policy' }, action: 'session.expire', tenant: accountId,
        targets: [{ type: 'session', id }], outcome: { result: 'success', reason },
      });
    });
  }

  return {
    /** A new session and its token (inside the sign-in's transaction, with its audit entry). */
    async start(tx: Transaction<DashboardDatabase>, input: {
      userId: string; accountId: string; factor: SessionFactor; mfaVerifiedAt: Date | null; client: ClientInfo;
      /** An account switch keeps the sign-in time, so switching never extends the absolute timeout. */
      createdAt?: Date;
    }) {
      const token = newToken();
      const id = newId('session');
      const at = now();
      await store.insert(tx, {
        id, token_hash: hashToken(token), user_id: input.userId, account_id: input.accountId, factor: input.factor,
        mfa_verified_at: input.mfaVerifiedAt, csrf_token: newToken(), ip: input.client.ip, country: input.client.country,
        device: input.client.device, created_at: input.createdAt ?? at, last_seen_at: at,
      });
      return { id, token };
    },

    /** The session a cookie names, or null (unknown, ended, or timed out: then ended here). */
    async resolve(token: string): Promise<Session | null> {
      if (!isWellFormedToken(token)) return null;
      const row = await store.findLive(hashToken(token));
      if (!row) return null;
      const access = await deps.memberAccess(row.user_id, row.account_id);
      const roles = access?.roles ?? [];
      const limits = deps.policyFor({ userId: row.user_id, accountId: row.account_id, roles, permissions: access?.permissions ?? new Set(), factor: row.factor });
      const at = now();
      if (at.getTime() - row.created_at.getTime() >= limits.absoluteMs) {
        await expire(row.id, row.account_id, 'absolute_timeout', at);
        return null;
      }
      if (at.getTime() - row.last_seen_at.getTime() >= limits.idleMs) {
        await expire(row.id, row.account_id, 'idle_timeout', at);
        return null;
      }
      let lastSeenAt = row.last_seen_at;
      if (at.getTime() - lastSeenAt.getTime() >= TOUCH_EVERY_MS) {
        await store.touch(row.id, at, new Date(at.getTime() - TOUCH_EVERY_MS));
        lastSeenAt = at;
      }
      return {
        id: row.id, userId: row.user_id, accountId: row.account_id, email: row.email, roles,
        permissions: access?.permissions ?? new Set<string>(), createdAt: row.created_at, lastSeenAt,
        mfaVerifiedAt: row.mfa_verified_at, factor: row.factor, csrfToken: row.csrf_token,
      };
    },

    /** Step-up or a finished second factor: same session, new token (the old one stops working). */
    async rotate(session: Session, change: { factor?: SessionFactor; mfaVerifiedAt?: Date | null }, context: AuditContext): Promise<string | null> {
      const token = newToken();
      const rotated = await db.transaction().execute(async (tx) => {
        const ok = await store.rotate(tx, session.id, {
          token_hash: hashToken(token), rotated_at: now(),
          ...(change.factor ? { factor: change.factor } : {}),
          ...(change.mfaVerifiedAt !== undefined ? { mfa_verified_at: change.mfaVerifiedAt } : {}),
        });
        if (!ok) return false;
        await audit.record(tx, {
          ...context, action: 'session.rotate', tenant: session.accountId, targets: [{ type: 'session', id: session.id }],
          outcome: { result: 'success' }, metadata: change.factor ? { factor: change.factor } : {},
        });
        return true;
      });
      return rotated ? token : null;
    },

    /** Sign-out: ends the caller's own session. */
    async signOut(session: Session, context: AuditContext): Promise<void> {
      await db.transaction().execute(async (tx) => {
        if (!(await store.end(tx, { id: session.id }, 'sign_out', now()))) return;
        await audit.record(tx, {
          ...context, action: 'user.sign_out', tenant: session.accountId, targets: [{ type: 'session', id: session.id }],
          outcome: { result: 'success' },
        });
      });
    },

    /** Revokes one of the user's own live sessions; false when there is no such session of theirs. */
    async revoke(session: Session, sessionId: string, context: AuditContext): Promise<boolean> {
      return db.transaction().execute(async (tx) => {
        if (!(await store.end(tx, { id: sessionId, userId: session.userId }, 'revoked', now()))) return false;
        await audit.record(tx, {
          ...context, action: 'session.revoke', tenant: session.accountId, targets: [{ type: 'session', id: sessionId }],
          outcome: { result: 'success' }, metadata: { own: sessionId === session.id },
        });
        return true;
      });
    },

    /** Revokes every other live session of the user; returns how many. */
    async revokeOthers(session: Session, context: AuditContext): Promise<number> {
      return db.transaction().execute(async (tx) => {
        const ended = await store.endAllOf(tx, session.userId, 'revoked', now(), session.id);
        await audit.record(tx, {
          ...context, action: 'session.revoke_others', tenant: session.accountId,
          targets: ended.slice(0, 20).map((id) => ({ type: 'session', id })), outcome: { result: 'success' },
          metadata: { count: ended.length },
        });
        return ended.length;
      });
    },

    /** Ends one live session of the user inside the caller's transaction (account switch); false when it was not live. */
    endWithin: (tx: Transaction<DashboardDatabase>, session: { id: string; userId: string }, reason: string) =>
      store.end(tx, { id: session.id, userId: session.userId }, reason, now()),

    /** Ends every live session of a user (but `keep`) inside the caller's transaction (password reset, profile changes). */
    endAllOf: (tx: Transaction<DashboardDatabase>, userId: string, reason: string, keep?: string) => store.endAllOf(tx, userId, reason, now(), keep),

    /** A new token for a live session inside the caller's transaction, which audits the change (profile changes); null when it ended. */
    async rotateWithin(tx: Transaction<DashboardDatabase>, sessionId: string): Promise<string | null> {
      const token = newToken();
      return (await store.rotate(tx, sessionId, { token_hash: hashToken(token), rotated_at: now() })) ? token : null;
    },

    list: (userId: string) => store.listLive(userId),
  };
}
export type SessionService = ReturnType<typeof createSessionService>;

/** Default access read: the membership's roles, and what `permissionsFor` grants them. */
export function membershipAccess(store: SessionStore, permissionsFor: (roles: readonly string[], accountId: string) => ReadonlySet<string> | Promise<ReadonlySet<string>>): MemberAccess {
  return async (userId, accountId) => {
    const roles = await store.membershipRoles(userId, accountId);
    return roles === null ? null : { roles, permissions: await permissionsFor(roles, accountId) };
  };
}
