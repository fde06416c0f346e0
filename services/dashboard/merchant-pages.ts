// The account pages built on the api's internal interface and the audit trail: the audit log
// (audit-log/), API keys (keys/), support (support/) and payments (payments/: charges, refunds,
// customers). server.ts registers them in the page scope, after team/ (whose access control
// `requirePermission` needs); tests register them the same way.
import type { FastifyInstance } from 'fastify';
import type { Audit } from '#lib/audit/index.ts';
import type { Kysely } from '#lib/db/index.ts';
import type { MtlsClient } from '#lib/http/index.ts';
import type { DashboardDatabase } from './db.ts';
import type { Mailer } from './mail/mailer.ts';
import type { StepUp } from './team/team-pages.ts';
import { administratorEmails } from './team/administrators.ts';
import { auditApiOver, type AuditApi } from './audit-log/audit-api.ts';
import { createIntegrityCheck, type CheckpointKeys } from './audit-log/audit-integrity.ts';
import { auditLogRoutes } from './audit-log/audit-log.routes.ts';
import { createAuditTrail } from './audit-log/audit-trail.ts';
import { keysApiOver, type KeysApi } from './keys/keys-api.ts';
import { keyPageRoutes } from './keys/keys.routes.ts';
import { createKeysService } from './keys/keys.service.ts';
import { createSupportService } from './support/support.service.ts';
import { createSupportStore } from './support/support.store.ts';
import { supportRoutes } from './support/support.routes.ts';
import { paymentsApiOver, type PaymentsApi } from './payments/payments-api.ts';
import { createPaymentsService } from './payments/payments.service.ts';
import { paymentsRoutes } from './payments/payments.routes.ts';
import { customerRoutes } from './payments/customers.routes.ts';

export type MerchantApis = { audit: AuditApi; keys: KeysApi; payments: PaymentsApi };

/** The api's internal interface for these pages, over the dashboard's mTLS client. */
export function merchantApisOver(client: Pick<MtlsClient, 'request'>): MerchantApis {
  return { audit: auditApiOver(client), keys: keysApiOver(client), payments: paymentsApiOver(client) };
}

export async function registerMerchantPages(scope: FastifyInstance, deps: {
  db: Kysely<DashboardDatabase>;
  audit: Audit;
  mail: Pick<Mailer, 'sendLater'>;
  apis: MerchantApis;
  /** Public origin of the dashboard (links in emails). */
  origin: string;
  /** mfa/ `requireRecentMfa`: before creating, rolling or revoking keys, changing allow-lists, refunding. */
  stepUp: StepUp;
  /** The KMS's checkpoint public keys, to check the signed checkpoints of the dashboard's stream. */
  checkpointKeys?: CheckpointKeys;
}): Promise<void> {
  const { db, audit } = deps;
  await scope.register(auditLogRoutes, {
    trail: createAuditTrail({ db, api: deps.apis.audit }),
    integrity: createIntegrityCheck({ audit, api: deps.apis.audit, checkpointKeys: deps.checkpointKeys }),
    audit,
  });
  await scope.register(keyPageRoutes, {
    keys: createKeysService({ api: deps.apis.keys, audit, mail: deps.mail, administrators: (accountId) => administratorEmails(db, accountId), origin: deps.origin }),
    stepUp: deps.stepUp,
  });
  await scope.register(supportRoutes, { support: createSupportService({ db, store: createSupportStore(db), audit }) });
  const payments = createPaymentsService({ api: deps.apis.payments, audit });
  await scope.register(paymentsRoutes, { payments, stepUp: deps.stepUp }); // refunds: charges.refund + step-up
  await scope.register(customerRoutes, { payments });
}
