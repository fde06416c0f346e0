// services/vault/server.ts: assembly only. Public tokenization host + internal mTLS listener.
import type { Logger } from 'pino';
import { createHttpsApp, registerHealth } from '#lib/http/index.ts';
import { openDatabase, sql } from '#lib/db/index.ts';
import { createAudit } from '#lib/audit/index.ts';
import type { ServiceConfig } from '#lib/config/index.ts';
import { createKmsClient } from '#lib/kms-client/index.ts';
import { auditCheckpointsViaKms, auditDenials, type ServiceIdentities } from '#lib/runtime/index.ts';
import type { VaultDatabase } from './db.ts';
import { createDataKeyStore } from './data-keys/data-keys.store.ts';
import { createDataKeyService } from './data-keys/data-keys.service.ts';
import { createRewrapJob, REWRAP_INTERVAL_MS } from './data-keys/rewrap.job.ts';

export async function buildVault(deps: { config: Pick<ServiceConfig, 'databaseUrl' | 'public' | 'internal' | 'peers'>; logger: Logger; identities: ServiceIdentities }) {
  const { config, logger, identities } = deps;
  // No KMS, no card data: the vault does not start without one.
  if (!config.peers.kms) throw new Error('vault needs the KMS (peers.kms in its config)');
  const db = openDatabase<VaultDatabase>(config.databaseUrl, { applicationName: 'vault' });
  const audit = createAudit({ db, service: 'vault' });
  const checkpoints = auditCheckpointsViaKms({ db, service: 'vault', identity: identities.internal, kmsUrl: config.peers.kms, logger });
  const kms = createKmsClient({ identity: identities.internal, baseUrl: config.peers.kms });
  const dataKeyStore = createDataKeyStore(db);
  const dataKeys = createDataKeyService({ db, store: dataKeyStore, kms, audit });
  const rewrap = createRewrapJob({ db, store: dataKeyStore, kms, audit, logger });
  const ready = async () => (await sql`SELECT 1`.execute(db), true);

  if (!identities.public) throw new Error('vault needs a public identity');
  const publicApp = await createHttpsApp({ service: 'vault', identity: identities.public, mtls: false, logger });
  registerHealth(publicApp, { ready });

  const internalApp = await createHttpsApp({ service: 'vault', identity: identities.internal, mtls: true, logger, onDenied: auditDenials(audit, 'vault', logger) });
  registerHealth(internalApp, { ready, allowedCallers: ['*'] });

  return {
    publicApp, internalApp, db, audit, checkpoints, dataKeys, rewrap,
    async listen() {
      audit.start();
      checkpoints.start();
      rewrap.start(REWRAP_INTERVAL_MS);
      if (config.public) await publicApp.listen(config.public);
      if (config.internal) await internalApp.listen(config.internal);
    },
    async close() {
      await publicApp.close();
      await internalApp.close();
      await rewrap.stop();
      dataKeys.close();
      await kms.close();
      await checkpoints.stop();
      await audit.stop();
      await db.destroy();
    },
  };
}
