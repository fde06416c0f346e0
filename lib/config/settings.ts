// Platform settings read once from the environment by the supervisor (bin/), with documented defaults.
// Services never read process.env: they receive a frozen config file written by the supervisor.
import { resolve } from 'node:path';

export const SERVICES = ['kms', 'vault', 'api', 'dashboard'] as const;
export type ServiceName = (typeof SERVICES)[number];

/** Which embedded cluster each service's database lives in: the CDE is kept apart. */
export const CLUSTER_OF: Record<ServiceName, 'cde' | 'core'> = { kms: 'cde', vault: 'cde', api: 'core', dashboard: 'core' };

export type PlatformSettings = {
  production: boolean;
  dataDir: string;
  bind: string;
  publicHostnames: string[];
  ports: {
    dashboard: number; api: number; vault: number;
    apiInternal: number; vaultInternal: number; kms: number;
    pgCde: number; pgCore: number;
  };
  databaseUrls: Partial<Record<ServiceName, string>>;
  migrationUrls: Partial<Record<ServiceName, string>>;
  /** Lifetime of internal (mTLS) service certificates; renewed at two thirds. */
  internalCertSeconds: number;
  publicCertSeconds: number;
  /** Production: operator-supplied certificate files. */
  tlsFiles: { publicCert?: string; publicKey?: string; internalCa?: string; internalDir?: string };
  logLevel: string;
  /** Key backend of the KMS: `local` (sealed master key, the embedded default) or `pkcs11` (an HSM). */
  kms: {
    backend: 'local' | 'pkcs11';
    pkcs11?: { modulePath: string; slot?: number; tokenLabel?: string; pinFile?: string; pinEnv?: string };
    rotationCheckSeconds: number;
  };
  /** Merchant API rate limits per minute; absent ones take the api's defaults (services/api/requests/rate-limit.ts). */
  apiRateLimits: { perKeyPerMinute?: number; authFailuresPerMinute?: number };
  /** Vault tokens API rate limits per minute; absent ones take the vault's defaults (services/vault/tokens/tokens.rate-limit.ts). */
  vaultRateLimits: { tokensPerKeyPerMinute?: number; tokensPerIpPerMinute?: number; authFailuresPerMinute?: number };
  /** Webhook deliveries (services/api/webhooks): private test hosts (development only), an extra trusted CA, the first retry delay. */
  apiWebhooks: { allowPrivateTestHosts: boolean; caFile?: string; retryDelaySeconds?: number };
  /** Merchant dashboard (services/dashboard/README.md): policy profile, the address emailed links use, SMTP. */
  dashboard: { policyProfile: 'pci' | 'nist'; publicUrl?: string; smtpUrl?: string; mailFrom?: string };
};

const DOCUMENTED = {
  STRONGROOM_DATA_DIR: 'state folder (default ./.strongroom)',
  STRONGROOM_BIND: 'listen address (default 127.0.0.1)',
  STRONGROOM_PUBLIC_HOSTNAMES: 'extra DNS names for the dev public certificate, comma separated',
  STRONGROOM_DASHBOARD_PORT: '8443', STRONGROOM_API_PORT: '8444', STRONGROOM_VAULT_PORT: '8445',
  STRONGROOM_API_INTERNAL_PORT: '9444', STRONGROOM_VAULT_INTERNAL_PORT: '9445', STRONGROOM_KMS_PORT: '9446',
  STRONGROOM_PG_CDE_PORT: '55433', STRONGROOM_PG_CORE_PORT: '55434',
  STRONGROOM_KMS_BACKEND: 'local (default) or pkcs11',
  STRONGROOM_KMS_PKCS11_MODULE: 'path of the HSM vendor PKCS#11 library',
  STRONGROOM_KMS_PKCS11_SLOT: 'slot index (or use the token label)',
  STRONGROOM_KMS_PKCS11_TOKEN_LABEL: 'token label',
  STRONGROOM_KMS_PKCS11_PIN_FILE: 'file holding the user PIN (preferred)',
  STRONGROOM_KMS_PKCS11_PIN: 'the user PIN, when no PIN file is used',
  STRONGROOM_API_RATE_LIMIT: 'requests per minute per secret key on the api host (default 1000)',
  STRONGROOM_API_AUTH_FAILURE_LIMIT: 'failed authentications per minute per client IP on the api host (default 20)',
  STRONGROOM_VAULT_TOKEN_RATE_LIMIT: 'POST /tokens per minute per public key on the vault host (default 600)',
  STRONGROOM_VAULT_TOKEN_IP_RATE_LIMIT: 'POST /tokens per minute per client IP on the vault host (default 300)',
  STRONGROOM_VAULT_AUTH_FAILURE_LIMIT: 'failed authentications per minute per client IP on the vault host (default 20)',
  STRONGROOM_WEBHOOK_ALLOW_PRIVATE_TEST_HOSTS: 'true: test-mode webhook endpoints may be private or loopback hosts (development only)',
  STRONGROOM_WEBHOOK_CA_FILE: 'PEM of an extra CA trusted for webhook deliveries, besides the public roots',
  STRONGROOM_WEBHOOK_RETRY_DELAY_SECONDS: 'first webhook retry after this many seconds, then doubling (default 30)',
  STRONGROOM_DASHBOARD_POLICY: 'dashboard policy profile: pci (default) or nist (services/dashboard/README.md)',
  STRONGROOM_DASHBOARD_URL: 'https://host[:port] of the dashboard as users reach it, for emailed links (default https://localhost:<port>)',
  STRONGROOM_SMTP_URL: 'smtps://user:pass@host:465 or smtp://… (STARTTLS required) for dashboard email; required in production',
  STRONGROOM_MAIL_FROM: 'sender of dashboard email (default Strongroom <no-reply@dashboard host>)',
} as const;
export const DOCUMENTED_ENV = DOCUMENTED;

function port(env: NodeJS.ProcessEnv, name: keyof typeof DOCUMENTED, fallback: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1 || n > 65535) throw new Error(`${name} must be a TCP port, got ${JSON.stringify(raw)}`);
  return n;
}

function seconds(env: NodeJS.ProcessEnv, name: string, fallback: number): number {
  const raw = env[name];
  if (!raw) return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 30) throw new Error(`${name} must be a whole number of seconds ≥ 30`);
  return n;
}

function perMinute(env: NodeJS.ProcessEnv, name: keyof typeof DOCUMENTED): number | undefined {
  const raw = env[name];
  if (raw === undefined || raw === '') return undefined;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1) throw new Error(`${name} must be a whole number ≥ 1 (per minute), got ${JSON.stringify(raw)}`);
  return n;
}

export function readPlatformSettings(env: NodeJS.ProcessEnv = process.env, argv: string[] = []): PlatformSettings {
  const databaseUrls: Partial<Record<ServiceName, string>> = {};
  const migrationUrls: Partial<Record<ServiceName, string>> = {};
  for (const service of SERVICES) {
    const key = service.toUpperCase();
    const url = env[`${key}_DATABASE_URL`];
    if (url) databaseUrls[service] = url;
    const migrationUrl = env[`${key}_MIGRATION_DATABASE_URL`];
    if (migrationUrl) migrationUrls[service] = migrationUrl;
  }
  return {
    production: env.NODE_ENV === 'production' || argv.includes('--production'),
    dataDir: resolve(env.STRONGROOM_DATA_DIR || '.strongroom'),
    bind: env.STRONGROOM_BIND || '127.0.0.1',
    publicHostnames: (env.STRONGROOM_PUBLIC_HOSTNAMES ?? '').split(',').map((h) => h.trim()).filter(Boolean),
    ports: {
      dashboard: port(env, 'STRONGROOM_DASHBOARD_PORT', 8443),
      api: port(env, 'STRONGROOM_API_PORT', 8444),
      vault: port(env, 'STRONGROOM_VAULT_PORT', 8445),
      apiInternal: port(env, 'STRONGROOM_API_INTERNAL_PORT', 9444),
      vaultInternal: port(env, 'STRONGROOM_VAULT_INTERNAL_PORT', 9445),
      kms: port(env, 'STRONGROOM_KMS_PORT', 9446),
      pgCde: port(env, 'STRONGROOM_PG_CDE_PORT', 55433),
      pgCore: port(env, 'STRONGROOM_PG_CORE_PORT', 55434),
    },
    databaseUrls,
    migrationUrls,
    internalCertSeconds: seconds(env, 'STRONGROOM_INTERNAL_CERT_SECONDS', 24 * 3600),
    // 90 days, renewed after a third of its life: never closer than 60 days to expiry (scanners warn under 60).
    publicCertSeconds: seconds(env, 'STRONGROOM_PUBLIC_CERT_SECONDS', 90 * 24 * 3600),
    tlsFiles: {
      publicCert: env.STRONGROOM_TLS_CERT_FILE,
      publicKey: env.STRONGROOM_TLS_KEY_FILE,
      internalCa: env.STRONGROOM_INTERNAL_CA_FILE,
      internalDir: env.STRONGROOM_INTERNAL_TLS_DIR,
    },
    logLevel: env.STRONGROOM_LOG_LEVEL || 'info',
    kms: readKmsSettings(env),
    apiRateLimits: {
      perKeyPerMinute: perMinute(env, 'STRONGROOM_API_RATE_LIMIT'),
      authFailuresPerMinute: perMinute(env, 'STRONGROOM_API_AUTH_FAILURE_LIMIT'),
    },
    vaultRateLimits: {
      tokensPerKeyPerMinute: perMinute(env, 'STRONGROOM_VAULT_TOKEN_RATE_LIMIT'),
      tokensPerIpPerMinute: perMinute(env, 'STRONGROOM_VAULT_TOKEN_IP_RATE_LIMIT'),
      authFailuresPerMinute: perMinute(env, 'STRONGROOM_VAULT_AUTH_FAILURE_LIMIT'),
    },
    apiWebhooks: readWebhookSettings(env),
    dashboard: readDashboardEnv(env),
  };
}

function readDashboardEnv(env: NodeJS.ProcessEnv): PlatformSettings['dashboard'] {
  const policyProfile = env.STRONGROOM_DASHBOARD_POLICY || 'pci';
  if (policyProfile !== 'pci' && policyProfile !== 'nist') throw new Error('STRONGROOM_DASHBOARD_POLICY must be pci or nist');
  const publicUrl = env.STRONGROOM_DASHBOARD_URL || undefined;
  if (publicUrl !== undefined && !/^https:\/\/[^/?#@\s]+\/?$/.test(publicUrl)) throw new Error('STRONGROOM_DASHBOARD_URL must be https://host[:port]');
  const smtpUrl = env.STRONGROOM_SMTP_URL || undefined;
  if (smtpUrl !== undefined && !/^smtps?:\/\//.test(smtpUrl)) throw new Error('STRONGROOM_SMTP_URL must start with smtps:// or smtp://');
  return { policyProfile, publicUrl, smtpUrl, mailFrom: env.STRONGROOM_MAIL_FROM || undefined };
}

function readWebhookSettings(env: NodeJS.ProcessEnv): PlatformSettings['apiWebhooks'] {
  const allow = env.STRONGROOM_WEBHOOK_ALLOW_PRIVATE_TEST_HOSTS ?? '';
  if (!['', 'true', 'false'].includes(allow)) throw new Error('STRONGROOM_WEBHOOK_ALLOW_PRIVATE_TEST_HOSTS must be true or false');
  const delay = env.STRONGROOM_WEBHOOK_RETRY_DELAY_SECONDS;
  const retryDelaySeconds = delay ? Number(delay) : undefined;
  if (retryDelaySeconds !== undefined && !(Number.isInteger(retryDelaySeconds) && retryDelaySeconds >= 1 && retryDelaySeconds <= 3600)) {
    throw new Error('STRONGROOM_WEBHOOK_RETRY_DELAY_SECONDS must be a whole number of seconds from 1 to 3600');
  }
  return { allowPrivateTestHosts: allow === 'true', caFile: env.STRONGROOM_WEBHOOK_CA_FILE || undefined, retryDelaySeconds };
}

function readKmsSettings(env: NodeJS.ProcessEnv): PlatformSettings['kms'] {
  const backend = env.STRONGROOM_KMS_BACKEND || 'local';
  if (backend !== 'local' && backend !== 'pkcs11') throw new Error('STRONGROOM_KMS_BACKEND must be local or pkcs11');
  const rotationCheckSeconds = seconds(env, 'STRONGROOM_KMS_ROTATION_CHECK_SECONDS', 3600);
  if (backend === 'local') return { backend, rotationCheckSeconds };
  const modulePath = env.STRONGROOM_KMS_PKCS11_MODULE;
  if (!modulePath) throw new Error('STRONGROOM_KMS_PKCS11_MODULE is required with STRONGROOM_KMS_BACKEND=pkcs11');
  const slotText = env.STRONGROOM_KMS_PKCS11_SLOT;
  const slot = slotText ? Number(slotText) : undefined;
  if (slot !== undefined && !(Number.isInteger(slot) && slot >= 0)) throw new Error('STRONGROOM_KMS_PKCS11_SLOT must be a slot index');
  const pinFile = env.STRONGROOM_KMS_PKCS11_PIN_FILE || undefined;
  if (!pinFile && !env.STRONGROOM_KMS_PKCS11_PIN) throw new Error('STRONGROOM_KMS_PKCS11_PIN_FILE (or STRONGROOM_KMS_PKCS11_PIN) is required with the pkcs11 backend');
  return {
    backend,
    rotationCheckSeconds,
    pkcs11: {
      modulePath, slot, tokenLabel: env.STRONGROOM_KMS_PKCS11_TOKEN_LABEL || undefined,
      pinFile, pinEnv: pinFile ? undefined : 'STRONGROOM_KMS_PKCS11_PIN',
    },
  };
}

/**
 * Production refuses every dev default: an auto-generated CA, local unsealed keys, demo data, and an
 * embedded database. Returns the list of what is missing (empty when production may start).
 */
export function productionProblems(settings: PlatformSettings): string[] {
  if (!settings.production) return [];
  const problems: string[] = [];
  if (!settings.tlsFiles.publicCert || !settings.tlsFiles.publicKey) {
    problems.push('STRONGROOM_TLS_CERT_FILE and STRONGROOM_TLS_KEY_FILE (public certificate) are required; the dev CA is refused');
  }
  if (!settings.tlsFiles.internalCa || !settings.tlsFiles.internalDir) {
    problems.push('STRONGROOM_INTERNAL_CA_FILE and STRONGROOM_INTERNAL_TLS_DIR (operator internal PKI) are required; the auto-generated internal CA is refused');
  }
  for (const service of SERVICES) {
    if (!settings.databaseUrls[service]) problems.push(`${service.toUpperCase()}_DATABASE_URL is required; the embedded database is a dev default`);
  }
  if (settings.apiWebhooks.allowPrivateTestHosts) {
    problems.push('STRONGROOM_WEBHOOK_ALLOW_PRIVATE_TEST_HOSTS is a development setting: webhooks would reach the private network');
  }
  if (!settings.dashboard.smtpUrl) {
    problems.push('STRONGROOM_SMTP_URL is required: the dashboard\'s development outbox would keep sign-up and reset links in a table instead of sending them');
  }
  return problems;
}
