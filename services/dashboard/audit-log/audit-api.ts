// The api's audit trail of an account, read over the api's internal mTLS listener
// (GET /internal/v1/accounts/:id/audit and …/audit/integrity, caller `dashboard` only).
import type { AuditEntry } from '#lib/audit/index.ts';
import { httpError, type MtlsClient } from '#lib/http/index.ts';
import { apiUnavailable as unavailable } from '../api-client/api-call.ts';

export type ApiAuditFilters = {
  actorId?: string; action?: string; targetId?: string; from?: Date; to?: Date; before?: number; limit: number;
};
export type ApiAuditPage = { entries: Array<{ seq: number; hash: string; entry: AuditEntry }>; nextBefore: number | null };

/** As the api reports it (services/api/audit/audit-integrity.ts). */
export type ApiIntegrity = {
  checked_at: string;
  chain: { ok: true; count: number; head_seq: number | null; head_hash: string | null } | { ok: false; first_broken_seq: number; reason: string };
  checkpoints:
    | { checked: true; ok: true; count: number; last_seq: number | null; unsigned_tail: number }
    | { checked: true; ok: false; first_broken_seq: number; reason: string }
    | { checked: false; reason: string };
};

export type AuditApi = {
  list(accountId: string, filters: ApiAuditFilters, options?: { requestId?: string }): Promise<ApiAuditPage>;
  integrity(accountId: string, options?: { requestId?: string }): Promise<ApiIntegrity>;
};

function queryOf(filters: ApiAuditFilters): string {
  const q = new URLSearchParams({ limit: String(filters.limit) });
  if (filters.actorId !== undefined) q.set('actor_id', filters.actorId);
  if (filters.action !== undefined) q.set('action', filters.action);
  if (filters.targetId !== undefined) q.set('target_id', filters.targetId);
  if (filters.from !== undefined) q.set('from', filters.from.toISOString());
  if (filters.to !== undefined) q.set('to', filters.to.toISOString());
  if (filters.before !== undefined) q.set('before', String(filters.before));
  return q.toString();
}

export function auditApiOver(client: Pick<MtlsClient, 'request'>): AuditApi {
  async function get(path: string, requestId: string | undefined): Promise<unknown> {
    let response;
    try {
      response = await client.request('GET', path, undefined, { requestId });
    } catch {
      throw unavailable();
    }
    // The dashboard only ever asks for its session's own account; a 404 means the api has no such account.
    if (response.status === 404) throw httpError(404, 'not_found', 'The payments service has no audit trail for this account.');
    if (response.status === 400) throw httpError(400, 'bad_request', 'Those filters were not accepted.');
    if (response.status !== 200 || response.body === null || typeof response.body !== 'object') throw unavailable();
    return response.body;
  }
  const base = (accountId: string) => `/internal/v1/accounts/${encodeURIComponent(accountId)}/audit`;
  return {
    async list(accountId, filters, options = {}) {
      const body = await get(`${base(accountId)}?${queryOf(filters)}`, options.requestId) as { data?: unknown; next_before?: unknown };
      if (!Array.isArray(body.data)) throw unavailable();
      const entries = (body.data as Array<{ seq: number; hash: string; entry: AuditEntry }>).map((d) => ({ seq: d.seq, hash: d.hash, entry: d.entry }));
      return { entries, nextBefore: typeof body.next_before === 'number' ? body.next_before : null };
    },
    async integrity(accountId, options = {}) {
      const body = await get(`${base(accountId)}/integrity`, options.requestId) as ApiIntegrity & { object?: unknown };
      if (body.object !== 'audit_integrity' || typeof body.chain !== 'object') throw unavailable();
      return body;
    },
  };
}
