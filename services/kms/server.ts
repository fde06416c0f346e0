// services/kms/server.ts: assembly only. The KMS has no public listener: mTLS only.
import type { Logger } from 'pino';
import { createHttpsApp, registerHealth } from '#lib/http/index.ts';
import { openDatabase, sql, type Kysely } from '#lib/db/index.ts';
import { createAudit, createCheckpointer } from '#lib/audit/index.ts';
import type { ServiceConfig } from '#lib/config/index.ts';
import { auditDenials, CHECKPOINT_INTERVAL_MS, type ServiceIdentities } from '#lib/runtime/index.ts';
import type { KmsDatabase } from './db.ts';
import type { KeyBackend } from './backends/key-backend.ts';
import type { KmsSettings } from './kms-config.ts';
import { createKmsMetrics } from './metrics/kms-metrics.ts';
import { metricsRoutes } from './metrics/metrics.routes.ts';
import { createKeyStore } from './keys/keys.store.ts';
import { createKeyRegistry } from './keys/key-registry.ts';
import { createKeyService } from './keys/keys.service.ts';
import { keyRoutes } from './keys/keys.routes.ts';
import { createSealStore } from './seal/seal.store.ts';
import { createSealService } from './seal/seal.service.ts';
import { sealRoutes } from './seal/seal.routes.ts';
import { devAutoUnseal } from './seal/dev-unseal.ts';
import { createRotationJob } from './rotation/rotation.job.ts';

export async function buildKms(deps: {
  config: Pick<ServiceConfig, 'databaseUrl' | 'internal'>;
  settings: KmsSettings;
  backend: KeyBackend;
  logger: Logger;
  identities: ServiceIdentities;
}) {
  const { config, settings, backend, logger, identities } = deps;
  const db: Kysely<KmsDatabase> = openDatabase<KmsDatabase>(config.databaseUrl, { applicationName: 'kms' });
  const audit = createAudit({ db, service: 'kms' });
  const metrics = createKmsMetrics({ sealed: () => backend.isSealed(), backend: backend.kind });
  const store = createKeyStore(db);
  const keys = createKeyService({ registry: createKeyRegistry({ db, store, backend }), backend, audit, metrics });
  const seal = createSealService({ store: createSealStore(db), backend, audit, logger, onSeal: () => keys.forgetSecrets() });
  const checkpoints = createCheckpointer({
    db, service: 'kms', intervalMs: CHECKPOINT_INTERVAL_MS, logger,
    signer: (payload) => keys.signOwnCheckpoint('audit-checkpoint', payload),
  });
  const rotation = createRotationJob({ store, keys, logger, intervalMs: settings.rotationCheckSeconds * 1000 });
  const ready = async () => (await sql`SELECT 1`.execute(db), true);

  const internalApp = await createHttpsApp({ service: 'kms', identity: identities.internal, mtls: true, logger, onDenied: auditDenials(audit, 'kms', logger) });
  registerHealth(internalApp, { ready, allowedCallers: ['*'] });
  await internalApp.register(keyRoutes, { keys });
  await internalApp.register(sealRoutes, { seal });
  await internalApp.register(metricsRoutes, { metrics });

  return {
    internalApp, db, audit, keys, seal, rotation, checkpoints,
    async listen() {
      audit.start();
      if (settings.devSharesFile) await devAutoUnseal({ seal, sharesFile: settings.devSharesFile, logger });
      else if ((await seal.status()).sealed) logger.warn('the KMS is sealed: key operations answer 503 until `strongroom kms unseal`');
      rotation.start();
      checkpoints.start();
      if (config.internal) await internalApp.listen(config.internal);
    },
    async close() {
      rotation.stop();
      await checkpoints.stop();
      await internalApp.close();
      keys.forgetSecrets();
      await backend.close();
      await audit.stop();
      await db.destroy();
    },
  };
}
