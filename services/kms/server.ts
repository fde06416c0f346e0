// services/kms/server.ts: assembly only. The KMS has no public listener: mTLS only.
import type { Logger } from 'pino';
import { createHttpsApp, registerHealth } from '#lib/http/index.ts';
import { openDatabase, sql } from '#lib/db/index.ts';
import { createAudit } from '#lib/audit/index.ts';
import type { ServiceConfig } from '#lib/config/index.ts';
import { auditDenials, type ServiceIdentities } from '#lib/runtime/index.ts';

export async function buildKms(deps: { config: Pick<ServiceConfig, 'databaseUrl' | 'internal'>; logger: Logger; identities: ServiceIdentities }) {
  const { config, logger, identities } = deps;
  const db = openDatabase(config.databaseUrl, { applicationName: 'kms' });
  const audit = createAudit({ db, service: 'kms' });
  const ready = async () => (await sql`SELECT 1`.execute(db), true);

  const internalApp = await createHttpsApp({ service: 'kms', identity: identities.internal, mtls: true, logger, onDenied: auditDenials(audit, 'kms', logger) });
  registerHealth(internalApp, { ready, allowedCallers: ['*'] });

  return {
    internalApp, db, audit,
    async listen() {
      audit.start();
      if (config.internal) await internalApp.listen(config.internal);
    },
    async close() {
      await internalApp.close();
      await audit.stop();
      await db.destroy();
    },
  };
}
