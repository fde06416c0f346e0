// Writes each service's own config file (0600 in its own 0700 folder): only its database URL,
// its listeners and the internal URLs of the peers it may call.
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { PlatformSettings, ServiceConfig, ServiceName } from '#lib/config/index.ts';
import { serviceDir } from './credentials.ts';

// Every service reaches the kms for one thing at least: signing its audit checkpoints (policy: lib/contracts/kms.ts).
const PEERS: Record<ServiceName, ServiceName[]> = { kms: [], vault: ['kms'], api: ['vault', 'kms'], dashboard: ['api', 'kms'] };

/** The kms section: its backend, and in development only the file that keeps the unseal shares. */
function kmsExtra(settings: PlatformSettings, dir: string): Record<string, unknown> {
  const { backend, pkcs11, rotationCheckSeconds } = settings.kms;
  return {
    backend,
    ...(pkcs11 ? { pkcs11 } : {}),
    ...(backend === 'local' && !settings.production ? { devSharesFile: join(dir, 'dev-unseal-shares.json') } : {}),
    rotationCheckSeconds,
  };
}

/** Where payers' browsers reach the api host (3-D Secure pages): the first public hostname, as demo.json names it. */
function apiPublicUrl(settings: PlatformSettings): string {
  return `https://${settings.publicHostnames[0] ?? 'localhost'}:${settings.ports.api}`;
}

/** The dashboard section: policy profile, the origin emailed links use, SMTP (services/dashboard/dashboard-settings.ts). */
function dashboardExtra(settings: PlatformSettings): Record<string, unknown> {
  const { policyProfile, publicUrl, smtpUrl, mailFrom } = settings.dashboard;
  const origin = publicUrl ?? `https://${settings.publicHostnames[0] ?? 'localhost'}:${settings.ports.dashboard}`;
  return { policyProfile, publicOrigin: new URL(origin).origin, ...(smtpUrl ? { smtpUrl } : {}), ...(mailFrom ? { mailFrom } : {}) };
}

export async function writeServiceConfigs(settings: PlatformSettings, runtimeUrls: Record<ServiceName, string>) {
  const { ports, bind } = settings;
  const internalUrl: Partial<Record<ServiceName, string>> = {
    kms: `https://127.0.0.1:${ports.kms}`,
    vault: `https://127.0.0.1:${ports.vaultInternal}`,
    api: `https://127.0.0.1:${ports.apiInternal}`,
  };
  const listeners: Record<ServiceName, Pick<ServiceConfig, 'public' | 'internal'>> = {
    kms: { internal: { host: bind, port: ports.kms } },
    vault: { public: { host: bind, port: ports.vault }, internal: { host: bind, port: ports.vaultInternal } },
    api: { public: { host: bind, port: ports.api }, internal: { host: bind, port: ports.apiInternal } },
    dashboard: { public: { host: bind, port: ports.dashboard } },
  };
  const files = {} as Record<ServiceName, string>;
  for (const service of Object.keys(listeners) as ServiceName[]) {
    const dir = serviceDir(settings.dataDir, service);
    await mkdir(dir, { recursive: true, mode: 0o700 });
    const config: ServiceConfig = {
      service,
      production: settings.production,
      dataDir: dir,
      logFile: join(settings.dataDir, 'logs', `${service}.log`),
      logLevel: settings.logLevel,
      databaseUrl: runtimeUrls[service],
      ...listeners[service],
      peers: Object.fromEntries(PEERS[service].map((peer) => [peer, internalUrl[peer]])),
      tls: settings.production
        ? {
          source: 'files',
          internalKey: join(settings.tlsFiles.internalDir ?? '', `${service}.key`),
          internalCert: join(settings.tlsFiles.internalDir ?? '', `${service}.crt`),
          internalCa: settings.tlsFiles.internalCa ?? '',
          publicKey: settings.tlsFiles.publicKey,
          publicCert: settings.tlsFiles.publicCert,
        }
        : { source: 'supervisor' },
      extra: service === 'kms' ? kmsExtra(settings, dir) : service === 'api' ? { rateLimits: settings.apiRateLimits, webhooks: settings.apiWebhooks, publicUrl: apiPublicUrl(settings) }
        : service === 'vault' ? { rateLimits: settings.vaultRateLimits }
        : service === 'dashboard' ? dashboardExtra(settings) : {},
    };
    files[service] = join(dir, 'config.json');
    await writeFile(files[service], JSON.stringify(config, null, 2), { mode: 0o600 });
  }
  return files;
}
