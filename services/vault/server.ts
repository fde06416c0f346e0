// services/vault/server.ts: assembly only. Public tokenization host + internal mTLS listener.
import type { Logger } from 'pino';
import { createHttpsApp, registerAuthFailureLimit, registerHealth } from '#lib/http/index.ts';
import { openDatabase, sql } from '#lib/db/index.ts';
import { createAudit } from '#lib/audit/index.ts';
import type { ServiceConfig } from '#lib/config/index.ts';
import { createKmsClient } from '#lib/kms-client/index.ts';
import { auditCheckpointsViaKms, auditDenials, type ServiceIdentities } from '#lib/runtime/index.ts';
import type { VaultDatabase } from './db.ts';
import { createDataKeyStore } from './data-keys/data-keys.store.ts';
import { createDataKeyRegistry } from './data-keys/data-key-registry.ts';
import { createRewrapJob, REWRAP_INTERVAL_MS } from './data-keys/rewrap.job.ts';
import { createFingerprinter } from './cards/fingerprints.ts';
import { createCardStore } from './cards/cards.store.ts';
import { createCardService } from './cards/cards.service.ts';
import { cardRoutes } from './cards/cards.routes.ts';
import { createPublicKeyStore } from './merchants/public-keys.store.ts';
import { createPublicKeyResolver, registerPublicKeyAuth } from './merchants/public-key.auth.ts';
import { createPublicKeyService } from './merchants/public-keys.service.ts';
import { publicKeyRoutes } from './merchants/public-keys.routes.ts';
import { createTokenStore } from './tokens/tokens.store.ts';
import { createTokenService } from './tokens/tokens.service.ts';
import { tokenRoutes } from './tokens/tokens.routes.ts';
import { readVaultRateLimits, registerTokenCreationLimit } from './tokens/tokens.rate-limit.ts';
import { createAcquirers } from './authorizations/acquirers.ts';
import { createAuthorizationStore } from './authorizations/authorizations.store.ts';
import { createAuthorizationService } from './authorizations/authorizations.service.ts';
import { authorizationRoutes } from './authorizations/authorizations.routes.ts';
import { createRetentionJob, RETENTION_INTERVAL_MS } from './retention/retention.job.ts';
import { hostedFieldsRoutes } from './hosted-fields/hosted-fields.routes.ts';

type VaultConfig = Pick<ServiceConfig, 'databaseUrl' | 'public' | 'internal' | 'peers'> & Partial<Pick<ServiceConfig, 'extra' | 'production'>>;

export async function buildVault(deps: { config: VaultConfig; logger: Logger; identities: ServiceIdentities; now?: () => number }) {
  const { config, logger, identities } = deps;
  // Read first: a bad rateLimits section stops the vault before it opens anything.
  const rateLimits = readVaultRateLimits(config.extra ?? {});
  // No KMS, no card data: the vault does not start without one.
  if (!config.peers.kms) throw new Error('vault needs the KMS (peers.kms in its config)');
  const db = openDatabase<VaultDatabase>(config.databaseUrl, { applicationName: 'vault' });
  const audit = createAudit({ db, service: 'vault' });
  const checkpoints = auditCheckpointsViaKms({ db, service: 'vault', identity: identities.internal, kmsUrl: config.peers.kms, logger });
  const kms = createKmsClient({ identity: identities.internal, baseUrl: config.peers.kms });
  const dataKeyStore = createDataKeyStore(db);
  // Tokenization counts DEK uses in blocks of 256 (one UPDATE per block; see data-keys.service.ts).
  const dataKeys = createDataKeyRegistry({ db, store: dataKeyStore, kms, audit, reserveBlock: 256 });
  const rewrap = createRewrapJob({ db, store: dataKeyStore, kms, audit, logger });
  const cardStore = createCardStore(db);
  const tokenStore = createTokenStore(db);
  const publicKeyStore = createPublicKeyStore(db);
  const resolver = createPublicKeyResolver(publicKeyStore);
  const publicKeys = createPublicKeyService({ db, store: publicKeyStore, resolver, audit });
  const tokens = createTokenService({ store: tokenStore, dataKeys, fingerprints: createFingerprinter(kms), audit });
  const cards = createCardService({ db, cards: cardStore, tokens: tokenStore, audit, kms, dataKeys });
  const acquirers = createAcquirers();
  const authorizations = createAuthorizationService({ db, store: createAuthorizationStore(db), cards: cardStore, tokens: tokenStore, dataKeys, acquirers, audit });
  const retention = createRetentionJob({ db, audit, logger });
  const ready = async () => (await sql`SELECT 1`.execute(db), true);

  if (!identities.public) throw new Error('vault needs a public identity');
  const publicApp = await createHttpsApp({ service: 'vault', identity: identities.public, mtls: false, logger });
  registerHealth(publicApp, { ready });
  await publicApp.register(hostedFieldsRoutes);
  // Tokens need a public key: the auth hook lives in this encapsulated scope only.
  await publicApp.register(async (merchantApi) => {
    // Failed authentications per IP are checked before the key is looked up; token creation after it.
    registerAuthFailureLimit(merchantApi, rateLimits.authFailuresPerIp, { now: deps.now });
    registerPublicKeyAuth(merchantApi, { resolver });
    registerTokenCreationLimit(merchantApi, rateLimits, { now: deps.now });
    await merchantApi.register(tokenRoutes, { tokens });
  });

  const internalApp = await createHttpsApp({ service: 'vault', identity: identities.internal, mtls: true, logger, onDenied: auditDenials(audit, 'vault', logger) });
  registerHealth(internalApp, { ready, allowedCallers: ['*'] });
  await internalApp.register(publicKeyRoutes, { publicKeys });
  await internalApp.register(cardRoutes, { cards });
  await internalApp.register(authorizationRoutes, { authorizations });

  return {
    publicApp, internalApp, db, audit, checkpoints, dataKeys, rewrap, retention, tokens, acquirers,
    async listen() {
      audit.start();
      checkpoints.start();
      rewrap.start(REWRAP_INTERVAL_MS);
      retention.start(RETENTION_INTERVAL_MS);
      if (config.public) await publicApp.listen(config.public);
      if (config.internal) await internalApp.listen(config.internal);
    },
    async close() {
      await publicApp.close();
      await internalApp.close();
      await tokens.idle();
      await retention.stop();
      await rewrap.stop();
      dataKeys.close();
      await kms.close();
      await checkpoints.stop();
      await audit.stop();
      await db.destroy();
    },
  };
}

export type Vault = Awaited<ReturnType<typeof buildVault>>;
