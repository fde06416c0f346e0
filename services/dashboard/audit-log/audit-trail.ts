// One page of an account's audit trail from either source: the dashboard's own entries (this
// database, lib/audit `listEntries`) or the api's (over mTLS). Always the session's account: the
// tenant is never taken from the request. Rows come back in one shape for the page and the CSV.
import { listEntries, type AuditEntry } from '#lib/audit/index.ts';
import type { Kysely } from '#lib/db/index.ts';
import type { DashboardDatabase } from '../db.ts';
import type { AuditApi } from './audit-api.ts';
import type { AuditQuery } from './audit-query.ts';

export type AuditRow = {
  seq: number;
  hash: string;
  time: Date;
  service: string;
  actorType: string;
  actorId: string;
  /** The user's email when the actor is a dashboard user. */
  actorEmail: string | null;
  action: string;
  targets: string;
  result: 'success' | 'failure';
  reason: string | null;
  ip: string | null;
  userAgent: string | null;
  via: string | null;
  requestId: string | null;
  metadata: string;
};
export type AuditRowPage = { rows: AuditRow[]; nextBefore: number | null };

export function createAuditTrail(deps: { db: Kysely<DashboardDatabase>; api: AuditApi }) {
  const { db, api } = deps;

  /** An email filter becomes the user's id (no such user: nothing matches). */
  async function actorId(actor: string | undefined): Promise<string | null | undefined> {
    if (actor === undefined || !actor.includes('@')) return actor;
    const user = await db.selectFrom('users').select('id').where('email', '=', actor.toLowerCase()).executeTakeFirst();
    return user ? user.id : null;
  }

  async function emails(ids: string[]): Promise<Map<string, string>> {
    const unique = [...new Set(ids)].filter((id) => id.startsWith('user_'));
    if (unique.length === 0) return new Map();
    const users = await db.selectFrom('users').select(['id', 'email']).where('id', 'in', unique).execute();
    return new Map(users.map((u) => [u.id, u.email]));
  }

  async function rowsOf(entries: Array<{ seq: number; hash: string; entry: AuditEntry }>): Promise<AuditRow[]> {
    const known = await emails(entries.filter((e) => e.entry.actor.type === 'user').map((e) => e.entry.actor.id));
    return entries.map(({ seq, hash, entry }) => ({
      seq, hash, time: new Date(entry.time), service: entry.service,
      actorType: entry.actor.type, actorId: entry.actor.id, actorEmail: known.get(entry.actor.id) ?? null,
      action: entry.action, targets: entry.targets.map((t) => `${t.type} ${t.id}`).join(', '),
      result: entry.outcome.result, reason: entry.outcome.reason,
      ip: entry.origin.ip, userAgent: entry.origin.userAgent, via: entry.origin.certIdentity, requestId: entry.requestId,
      metadata: Object.keys(entry.metadata).length === 0 ? '' : JSON.stringify(entry.metadata),
    }));
  }

  return {
    async page(accountId: string, query: AuditQuery, limit: number, requestId?: string): Promise<AuditRowPage> {
      const actor = await actorId(query.actor);
      if (actor === null) return { rows: [], nextBefore: null };
      const filters = { actorId: actor, action: query.action, targetId: query.target, from: query.from, to: query.to, before: query.before, limit };
      const page = query.source === 'api'
        ? await api.list(accountId, filters, { requestId })
        : await listEntries(db, { tenant: accountId, ...filters });
      return { rows: await rowsOf(page.entries), nextBefore: page.nextBefore };
    },
  };
}
export type AuditTrail = ReturnType<typeof createAuditTrail>;
