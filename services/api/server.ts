// services/api/server.ts: assembly only. No logic, no SQL, no process.env.
import type { Logger } from 'pino';
import qs from 'qs';
import { createHttpsApp, registerFormBodies, registerHealth } from '#lib/http/index.ts';
import { openDatabase, sql, type Kysely } from '#lib/db/index.ts';
import { createAudit } from '#lib/audit/index.ts';
import type { ServiceConfig } from '#lib/config/index.ts';
import { auditCheckpointsViaKms, auditDenials, type ServiceIdentities } from '#lib/runtime/index.ts';
import type { ApiDatabase } from './db.ts';
import { registerSecretKeyAuth } from './auth/secret-key.auth.ts';
import { createAccountStore } from './accounts/accounts.store.ts';
import { createAccountService } from './accounts/accounts.service.ts';
import { accountRoutes } from './accounts/accounts.routes.ts';
import { createCustomerStore } from './customers/customers.store.ts';
import { createCustomerService } from './customers/customers.service.ts';
import { customerRoutes } from './customers/customers.routes.ts';
import { createChargeStore } from './charges/charges.store.ts';
import { createChargeService } from './charges/charges.service.ts';
import { chargeRoutes } from './charges/charges.routes.ts';
import { createRefundStore } from './refunds/refunds.store.ts';
import { createRefundService } from './refunds/refunds.service.ts';
import { createVaultClient } from './vault/vault-client.ts';
import { createPublicKeySyncJob } from './vault/public-key-sync.job.ts';
import { createChanges } from './changes/changes.ts';

export async function buildApi(deps: { config: Pick<ServiceConfig, 'databaseUrl' | 'public' | 'internal' | 'peers'>; logger: Logger; identities: ServiceIdentities }) {
  const { config, logger, identities } = deps;
  const db: Kysely<ApiDatabase> = openDatabase<ApiDatabase>(config.databaseUrl, { applicationName: 'api' });
  const audit = createAudit({ db, service: 'api' });
  const checkpoints = auditCheckpointsViaKms({ db, service: 'api', identity: identities.internal, kmsUrl: config.peers.kms, logger });
  // The vault is the api's only way to card data; without it the api does not start.
  if (!config.peers.vault) throw new Error('api needs the vault (peers.vault in its config)');
  const vault = createVaultClient({ identity: identities.internal, baseUrl: config.peers.vault });
  const keySync = createPublicKeySyncJob({ db, vault, logger });
  const accounts = createAccountService({ db, store: createAccountStore(db), audit, onKeysChanged: () => keySync.kick() });
  const customerStore = createCustomerStore(db);
  const customers = createCustomerService({ db, store: customerStore, audit, vault });
  // State changes fan out, inside their transaction, to the listeners registered here (events, ledger).
  const changes = createChanges();
  const chargeStore = createChargeStore(db);
  const refundStore = createRefundStore(db);
  const charges = createChargeService({ db, charges: chargeStore, refunds: refundStore, customers: customerStore, vault, audit, changes });
  const refunds = createRefundService({ db, charges: chargeStore, refunds: refundStore, vault, audit, findCharge: charges.mustFind, changes });
  const ready = async () => (await sql`SELECT 1`.execute(db), true);

  if (!identities.public) throw new Error('api needs a public identity');
  const publicApp = await createHttpsApp({ service: 'api', identity: identities.public, mtls: false, logger });
  registerFormBodies(publicApp, qs.parse); // bodies as JSON or form-encoded (`card[name]=…`), as Omise takes them
  registerHealth(publicApp, { ready });
  // Everything but /healthz needs a secret key: the auth hook lives in this encapsulated scope only.
  await publicApp.register(async (merchantApi) => {
    registerSecretKeyAuth(merchantApi, { db });
    await merchantApi.register(accountRoutes, { accounts });
    await merchantApi.register(customerRoutes, { customers });
    await merchantApi.register(chargeRoutes, { charges, refunds });
  });

  const internalApp = await createHttpsApp({ service: 'api', identity: identities.internal, mtls: true, logger, onDenied: auditDenials(audit, 'api', logger) });
  registerHealth(internalApp, { ready, allowedCallers: ['*'] });

  return {
    publicApp, internalApp, db, audit, checkpoints, accounts, vault, keySync,
    async listen() {
      audit.start();
      checkpoints.start();
      keySync.start();
      if (config.public) await publicApp.listen(config.public);
      if (config.internal) await internalApp.listen(config.internal);
    },
    async close() {
      await publicApp.close();
      await internalApp.close();
      await keySync.stop();
      await vault.close();
      await checkpoints.stop();
      await audit.stop();
      await db.destroy();
    },
  };
}
