// services/api/server.ts: assembly only. No logic, no SQL, no process.env.
import type { Logger } from 'pino';
import qs from 'qs';
import { createHttpsApp, registerAuthFailureLimit, registerFormBodies, registerHealth } from '#lib/http/index.ts';
import { openDatabase, sql, type Kysely } from '#lib/db/index.ts';
import { createAudit } from '#lib/audit/index.ts';
import type { ServiceConfig } from '#lib/config/index.ts';
import { auditCheckpointsViaKms, auditDenials, type ServiceIdentities } from '#lib/runtime/index.ts';
import { createKmsClient } from '#lib/kms-client/index.ts';
import type { ApiDatabase } from './db.ts';
import { registerSecretKeyAuth } from './auth/secret-key.auth.ts';
import { createAccountStore } from './accounts/accounts.store.ts';
import { createAccountService } from './accounts/accounts.service.ts';
import { accountRoutes } from './accounts/accounts.routes.ts';
import { accountInternalRoutes } from './accounts/accounts.internal.routes.ts';
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
import { registerIdempotency } from './requests/idempotency.ts';
import { refuseUnexpectedNulls } from './bodies/null-fields.ts';
import { refuseNulText } from './bodies/nul-text.ts';
import { readRateLimits, registerKeyRateLimit } from './requests/rate-limit.ts';
import { createLedgerStore } from './ledger/ledger.store.ts';
import { createLedgerListener } from './ledger/ledger.listener.ts';
import { createLedgerService } from './ledger/ledger.service.ts';
import { ledgerRoutes } from './ledger/ledger.routes.ts';
import { capabilityRoutes } from './capability/capability.routes.ts';
import { registerOpenApi } from './openapi/openapi.ts';
import { createEventStore } from './events/events.store.ts';
import { createEventService } from './events/events.service.ts';
import { eventRoutes } from './events/events.routes.ts';
import { readWebhookConfig } from './webhooks/webhook-config.ts';
import { createWebhooks } from './webhooks/webhooks.ts';
import { apiPublicUrl, createThreeDSecure } from './three-d-secure/three-d-secure.ts';
import { threeDSecureRoutes } from './three-d-secure/three-d-secure.routes.ts';
import { createChargeLifecycle } from './charges/charge-lifecycle.ts';
import { createPeriodicJob } from './charges/periodic-job.ts';
import { createRefundReconciliationJob, REFUND_RECONCILIATION_INTERVAL_MS } from './refunds/refund-reconciliation.job.ts';
import { createKeyStore } from './keys/keys.store.ts';
import { createKeyService } from './keys/keys.service.ts';
import { keyRoutes } from './keys/keys.routes.ts';
import { auditInternalRoutes } from './audit/audit.internal.routes.ts';
import { dashboardPaymentsRoutes } from './dashboard-payments/dashboard-payments.routes.ts';

export async function buildApi(deps: { config: Pick<ServiceConfig, 'databaseUrl' | 'public' | 'internal' | 'peers'> & Partial<Pick<ServiceConfig, 'extra' | 'production'>>; logger: Logger; identities: ServiceIdentities }) {
  const { config, logger, identities } = deps;
  const db: Kysely<ApiDatabase> = openDatabase<ApiDatabase>(config.databaseUrl, { applicationName: 'api' });
  const audit = createAudit({ db, service: 'api' });
  const checkpoints = auditCheckpointsViaKms({ db, service: 'api', identity: identities.internal, kmsUrl: config.peers.kms, logger });
  // The vault is the api's only way to card data; without it the api does not start.
  if (!config.peers.vault) throw new Error('api needs the vault (peers.vault in its config)');
  const vault = createVaultClient({ identity: identities.internal, baseUrl: config.peers.vault });
  const keySync = createPublicKeySyncJob({ db, vault, logger });
  const accounts = createAccountService({ db, store: createAccountStore(db), audit, onKeysChanged: () => keySync.kick() });
  const keys = createKeyService({ db, store: createKeyStore(db), audit, onKeysChanged: () => keySync.kick() });
  // State changes fan out, inside their transaction, to the listeners registered here (events, ledger).
  const changes = createChanges();
  const customerStore = createCustomerStore(db);
  const customers = createCustomerService({ db, store: customerStore, audit, vault, changes });
  // Events (and the webhooks they queue) are written in the change's transaction.
  const eventStore = createEventStore(db);
  // Webhook signing secrets are sealed under KMS data keys (`webhook-secret.<account>`): no KMS, no api.
  if (!config.peers.kms) throw new Error('api needs the kms (peers.kms in its config)');
  const kms = createKmsClient({ identity: identities.internal, baseUrl: config.peers.kms });
  const webhooks = createWebhooks({ db, audit, logger, databaseUrl: config.databaseUrl, config: readWebhookConfig(config.extra, config.production ?? false), events: eventStore, kms });
  const events = createEventService({ store: eventStore, deliveries: webhooks.deliveries, afterRecord: webhooks.dispatch });
  changes.on(events.record);
  const ledgerStore = createLedgerStore(db);
  changes.on(createLedgerListener({ store: ledgerStore })); // money movements, booked in the change's transaction
  const ledger = createLedgerService({ store: ledgerStore, findAccount: accounts.findAccount });
  const chargeStore = createChargeStore(db);
  const refundStore = createRefundStore(db);
  // 3-D Secure: the charge service opens payers' pages; completing one announces through the charge service.
  const threeDSecure = createThreeDSecure({ db, vault, audit, charges: chargeStore, publicUrl: apiPublicUrl(config) });
  const charges = createChargeService({ db, charges: chargeStore, refunds: refundStore, customers: customerStore, vault, audit, changes, authenticationPages: threeDSecure.pages });
  const payerPages = threeDSecure.connect(charges.announce);
  const chargeLifecycle = createChargeLifecycle({ db, charges: chargeStore, vault, pages: threeDSecure.pages, outcome: payerPages.outcome, audit, announce: charges.announce, logger });
  const refunds = createRefundService({ db, charges: chargeStore, refunds: refundStore, vault, audit, findCharge: charges.mustFind, changes });
  const ready = async () => (await sql`SELECT 1`.execute(db), true);

  if (!identities.public) throw new Error('api needs a public identity');
  const publicApp = await createHttpsApp({ service: 'api', identity: identities.public, mtls: false, logger });
  registerFormBodies(publicApp, qs.parse); // bodies as JSON or form-encoded (`card[name]=…`), as Omise takes them
  await registerOpenApi(publicApp); // first: it documents the routes registered after it (GET /openapi.json, no key)
  registerHealth(publicApp, { ready });
  // Everything but /healthz needs a secret key: the auth hook lives in this encapsulated scope only.
  const rateLimits = readRateLimits(config.extra ?? {});
  await publicApp.register(async (merchantApi) => {
    // Order matters: failed-auth limit per IP, then auth, then the per-key limit, then Idempotency-Key.
    registerAuthFailureLimit(merchantApi, rateLimits.authFailuresPerIp);
    registerSecretKeyAuth(merchantApi, { db });
    registerKeyRateLimit(merchantApi, rateLimits.perKey);
    registerIdempotency(merchantApi, { db, audit });
    refuseUnexpectedNulls(merchantApi); // before validation, which would read null as false, "" or 0
    refuseNulText(merchantApi); // a NUL in a text column would fail the query (a 500)
    await merchantApi.register(accountRoutes, { accounts, webhooks: webhooks.endpoints });
    await merchantApi.register(customerRoutes, { customers });
    await merchantApi.register(chargeRoutes, { charges, refunds });
    await merchantApi.register(eventRoutes, { events });
    await merchantApi.register(ledgerRoutes, { ledger });
  });
  // The payer's 3-D Secure page: no key (the payer's browser has none); the page key in its address is the capability.
  const refundReconciliation = createPeriodicJob({
    name: 'refund-reconciliation', intervalMs: REFUND_RECONCILIATION_INTERVAL_MS, logger,
    run: createRefundReconciliationJob({ db, refunds: refundStore, charges: chargeStore, vault, audit, changes, logger }).runOnce,
  });
  await publicApp.register(threeDSecureRoutes, { pages: payerPages.service });
  // GET /capability takes a public key too (the official client sends one): it authenticates itself.
  await publicApp.register(capabilityRoutes, { db, findAccount: accounts.findAccount });

  const internalApp = await createHttpsApp({ service: 'api', identity: identities.internal, mtls: true, logger, onDenied: auditDenials(audit, 'api', logger) });
  registerHealth(internalApp, { ready, allowedCallers: ['*'] });
  refuseUnexpectedNulls(internalApp);
  refuseNulText(internalApp);
  await internalApp.register(keyRoutes, { keys }); // key management: dashboard and operators only
  await internalApp.register(accountInternalRoutes, { accounts }); // dashboard sign-up: new merchant accounts
  await internalApp.register(auditInternalRoutes, { db, findAccount: accounts.findAccount, kms }); // dashboard audit log: read only
  await internalApp.register(dashboardPaymentsRoutes, { charges, refunds, customers, findAccount: accounts.findAccount }); // dashboard payments pages: read, refund

  return {
    publicApp, internalApp, db, audit, checkpoints, accounts, vault, keySync,
    async listen() {
      audit.start();
      checkpoints.start();
      keySync.start();
      await webhooks.start(); // before requests: a change with an endpoint queues its delivery
      chargeLifecycle.start();
      refundReconciliation.start();
      if (config.public) await publicApp.listen(config.public);
      if (config.internal) await internalApp.listen(config.internal);
    },
    async close() {
      await publicApp.close();
      await internalApp.close();
      await refundReconciliation.stop();
      await webhooks.stop();
      await kms.close();
      await chargeLifecycle.stop();
      await keySync.stop();
      await vault.close();
      await checkpoints.stop();
      await audit.stop();
      await db.destroy();
    },
  };
}
