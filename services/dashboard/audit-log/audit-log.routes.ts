// The audit log page (/audit-log): the account's trail, filtered and paged (audit.read); its CSV
// export (audit.export; the export itself is audited); and the integrity check of both hash chains
// (audit.read). Every read is of the session's account only.
import type { FastifyInstance, FastifyReply } from 'fastify';
import { AUDIT_ERROR_CODES, isAuditError, type Audit } from '#lib/audit/index.ts';
import { httpError } from '#lib/http/index.ts';
import { requirePermission } from '../team/permissions.ts';
import { auditContext } from '../web/audit-context.ts';
import { renderPage } from '../web/views.ts';
import { CSV_COLUMNS, csvLine, csvRow } from './audit-csv.ts';
import type { IntegrityCheck } from './audit-integrity.ts';
import { parseAuditQuery, queryString, type AuditQuery } from './audit-query.ts';
import type { AuditTrail } from './audit-trail.ts';

export const PAGE_SIZE = 50;
/** Rows in one export: the newest matching entries; narrow the time range for older ones. */
export const EXPORT_MAX = 10_000;
const EXPORT_PAGE = { dashboard: 500, api: 100 } as const;

const filtersOf = (q: AuditQuery) => ({
  source: q.source, actor: q.actor ?? null, action: q.action ?? null, target: q.target ?? null,
  from: q.from?.toISOString() ?? null, to: q.to?.toISOString() ?? null,
});

export async function auditLogRoutes(app: FastifyInstance, deps: { trail: AuditTrail; integrity: IntegrityCheck; audit: Pick<Audit, 'recordStandalone'> }) {
  const { trail, integrity } = deps;

  app.get('/audit-log', { preHandler: requirePermission('audit.read') }, async (request, reply) => {
    const query = parseAuditQuery(request.query);
    const session = request.session!;
    const page = await trail.page(session.accountId, query, PAGE_SIZE, String(request.id));
    return renderPage(request, reply, 'audit-log/list', {
      title: 'Audit log', query, rows: page.rows,
      form: { actor: query.actor ?? '', action: query.action ?? '', target: query.target ?? '', from: query.from?.toISOString().slice(0, 16) ?? '', to: query.to?.toISOString().slice(0, 16) ?? '' },
      tabs: {
        dashboard: `/audit-log?${queryString(query, { source: 'dashboard', before: undefined })}`,
        api: `/audit-log?${queryString(query, { source: 'api', before: undefined })}`,
      },
      newest: query.before === undefined ? null : `/audit-log?${queryString(query, { before: undefined })}`,
      older: page.nextBefore === null ? null : `/audit-log?${queryString(query, { before: String(page.nextBefore) })}`,
      exportUrl: session.permissions.has('audit.export') ? `/audit-log/export.csv?${queryString(query, { before: undefined })}` : null,
    });
  });

  app.get('/audit-log/export.csv', { preHandler: requirePermission('audit.export') }, async (request, reply: FastifyReply) => {
    const query = { ...parseAuditQuery(request.query), before: undefined as number | undefined };
    const session = request.session!;
    let body = csvLine([...CSV_COLUMNS]);
    let rows = 0;
    let more = true;
    while (more && rows < EXPORT_MAX) {
      const page = await trail.page(session.accountId, query, Math.min(EXPORT_PAGE[query.source], EXPORT_MAX - rows), String(request.id));
      for (const row of page.rows) body += csvRow(row);
      rows += page.rows.length;
      more = page.nextBefore !== null;
      query.before = page.nextBefore ?? undefined;
    }
    try {
      await deps.audit.recordStandalone({
        ...auditContext(request), action: 'audit_log.export', tenant: session.accountId, targets: [{ type: 'account', id: session.accountId }],
        outcome: { result: 'success' }, metadata: { ...filtersOf(query), rows, truncated: more },
      });
    } catch (error) {
      // No export without its audit entry; filters the audit guard refuses (they look like a key) are bad input.
      if (isAuditError(error) && (error.code === AUDIT_ERROR_CODES.refused || error.code === AUDIT_ERROR_CODES.invalid)) throw httpError(400, 'bad_request', 'Those filters cannot be used for an export.');
      throw error;
    }
    const stamp = new Date().toISOString().slice(0, 19).replaceAll(':', '-');
    return reply
      .header('content-type', 'text/csv; charset=utf-8')
      .header('content-disposition', `attachment; filename="audit-log-${query.source}-${stamp}.csv"`)
      .header('cache-control', 'no-store')
      .header('x-content-type-options', 'nosniff')
      .send(body);
  });

  app.get('/audit-log/integrity', { preHandler: requirePermission('audit.read') }, async (request, reply) => {
    const accountId = request.session!.accountId;
    const [dashboard, api] = await Promise.all([integrity.dashboard(accountId), integrity.api(accountId, String(request.id))]);
    return renderPage(request, reply, 'audit-log/integrity', { title: 'Audit log integrity', reports: [dashboard, api], checkedAt: new Date() });
  });
}
