// services/dashboard/server.ts: assembly only. Public HTTPS listener for the merchant dashboard.
import type { Logger } from 'pino';
import { createHttpsApp, registerHealth } from '#lib/http/index.ts';
import { openDatabase, sql, type Kysely } from '#lib/db/index.ts';
import { createAudit } from '#lib/audit/index.ts';
import type { ServiceConfig } from '#lib/config/index.ts';
import { auditCheckpointsViaKms, type ServiceIdentities } from '#lib/runtime/index.ts';
import type { DashboardDatabase } from './db.ts';
import { createUserService } from './users/users.service.ts';
import { pageRoutes } from './pages/pages.routes.ts';

export async function buildDashboard(deps: { config: Pick<ServiceConfig, 'databaseUrl' | 'public' | 'peers'>; logger: Logger; identities: ServiceIdentities }) {
  const { config, logger, identities } = deps;
  const db: Kysely<DashboardDatabase> = openDatabase<DashboardDatabase>(config.databaseUrl, { applicationName: 'dashboard' });
  const audit = createAudit({ db, service: 'dashboard' });
  const checkpoints = auditCheckpointsViaKms({ db, service: 'dashboard', identity: identities.internal, kmsUrl: config.peers.kms, logger });
  const users = createUserService({ db, audit });
  const ready = async () => (await sql`SELECT 1`.execute(db), true);

  if (!identities.public) throw new Error('dashboard needs a public identity');
  const publicApp = await createHttpsApp({ service: 'dashboard', identity: identities.public, mtls: false, logger });
  registerHealth(publicApp, { ready });
  await publicApp.register(pageRoutes);

  return {
    publicApp, db, audit, users, checkpoints,
    async listen() {
      audit.start();
      checkpoints.start();
      if (config.public) await publicApp.listen(config.public);
    },
    async close() {
      await publicApp.close();
      await checkpoints.stop();
      await audit.stop();
      await db.destroy();
    },
  };
}
