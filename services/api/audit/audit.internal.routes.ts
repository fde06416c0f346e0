// The account's audit trail in the api database (API-key actions, charges, refunds, customers …),
// read by the dashboard's audit log page over the internal mTLS listener: caller `dashboard` only,
// read-only, one account's stream only (tenant = the account in the path), bounded pages. An
// unknown account answers 404. Entries are returned as stored (they never hold a card number, a key
// or a secret: lib/audit's guard refuses those at write time).
import type { FastifyInstance } from 'fastify';
import { listEntries } from '#lib/audit/index.ts';
import type { Kysely } from '#lib/db/index.ts';
import { httpError } from '#lib/http/index.ts';
import type { KmsClient } from '#lib/kms-client/index.ts';
import type { ApiDatabase } from '../db.ts';
import { createAuditIntegrity } from './audit-integrity.ts';
import { AUDIT_PAGE_MAX, AuditAccountParams, AuditListQuery } from './audit.internal.schemas.ts';
import { checkpointKeysFrom } from './checkpoint-keys.ts';

const DEFAULT_LIMIT = 50;

function time(value: string | undefined, name: string): Date | undefined {
  if (value === undefined) return undefined;
  const date = new Date(value);
  if (Number.isNaN(date.getTime())) throw httpError(400, 'bad_request', `${name} is not a valid time`);
  return date;
}

export async function auditInternalRoutes(app: FastifyInstance, opts: {
  db: Kysely<ApiDatabase>;
  findAccount: (id: string) => Promise<unknown>;
  /** For the signed checkpoints' public keys; without it they are reported as not checked. */
  kms?: Pick<KmsClient, 'publicKeys'>;
}) {
  const { db } = opts;
  const config = { allowedCallers: ['dashboard'] };
  const integrity = createAuditIntegrity({ db, checkpointKeys: opts.kms && checkpointKeysFrom(opts.kms) });
  const base = '/internal/v1/accounts/:accountId/audit';

  async function mustExist(accountId: string): Promise<void> {
    if (!(await opts.findAccount(accountId))) throw httpError(404, 'not_found', 'account was not found');
  }

  app.get<{ Params: AuditAccountParams; Querystring: AuditListQuery }>(base, { schema: { params: AuditAccountParams, querystring: AuditListQuery }, config },
    async (request) => {
      const { accountId } = request.params;
      const q = request.query;
      const from = time(q.from, 'from');
      const to = time(q.to, 'to');
      await mustExist(accountId);
      const page = await listEntries(db, {
        tenant: accountId, actorId: q.actor_id, action: q.action, targetId: q.target_id, from, to,
        limit: Math.min(q.limit ?? DEFAULT_LIMIT, AUDIT_PAGE_MAX), before: q.before,
      });
      return {
        object: 'list',
        data: page.entries.map((e) => ({ object: 'audit_entry', seq: e.seq, hash: e.hash, chained_at: e.chainedAt.toISOString(), entry: e.entry })),
        next_before: page.nextBefore,
      };
    });

  app.get<{ Params: AuditAccountParams }>(`${base}/integrity`, { schema: { params: AuditAccountParams }, config }, async (request) => {
    await mustExist(request.params.accountId);
    return integrity.check(request.params.accountId);
  });
}
