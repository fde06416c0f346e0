// The api's webhook settings: `extra.webhooks` of its config file, which the supervisor writes from the
// STRONGROOM_WEBHOOK_* settings (lib/config/settings.ts). Checked here, since the api trusts nothing
// it reads; the delivery limits are fixed (docs/webhooks.md).
import { readFileSync } from 'node:fs';

export type WebhookConfig = {
  /** Test mode only: endpoints on private, loopback and single-label hosts (a developer's receiver). */
  allowPrivateTestHosts: boolean;
  /** PEM of CAs trusted for deliveries besides Node's public roots (a test receiver's CA), or null. */
  extraCaPem: string | null;
  /** pg-boss retries: 7 after the first try (8 in all), the first after retryDelaySeconds, then doubling, at most an hour apart. */
  retryLimit: number;
  retryDelaySeconds: number;
  retryDelayMaxSeconds: number;
  /** One attempt: connect, TLS, request and answer. */
  timeoutMs: number;
  pollingSeconds: number;
  /** Workers per api process, each delivering a batch of up to batchSize jobs at once. */
  concurrency: number;
  batchSize: number;
};

export const DEFAULT_WEBHOOK_CONFIG: WebhookConfig = {
  allowPrivateTestHosts: false, extraCaPem: null, retryLimit: 7, retryDelaySeconds: 30, retryDelayMaxSeconds: 3600,
  timeoutMs: 10_000, pollingSeconds: 1, concurrency: 4, batchSize: 8,
};

function fail(message: string): never {
  throw new Error(`api config extra.webhooks: ${message}`);
}

/** Reads `extra.webhooks` (absent means the defaults). Refuses private test hosts in production. */
export function readWebhookConfig(extra: Record<string, unknown> | undefined, production: boolean): WebhookConfig {
  const raw = extra?.webhooks;
  if (raw === undefined) return DEFAULT_WEBHOOK_CONFIG;
  if (raw === null || typeof raw !== 'object') fail('must be an object');
  const { allowPrivateTestHosts = false, caFile, retryDelaySeconds = DEFAULT_WEBHOOK_CONFIG.retryDelaySeconds } = raw as Record<string, unknown>;
  if (typeof allowPrivateTestHosts !== 'boolean') fail('allowPrivateTestHosts must be a boolean');
  if (allowPrivateTestHosts && production) fail('allowPrivateTestHosts is a development setting and is refused in production');
  if (caFile !== undefined && (typeof caFile !== 'string' || caFile === '')) fail('caFile must be a file path');
  if (typeof retryDelaySeconds !== 'number' || !Number.isInteger(retryDelaySeconds) || retryDelaySeconds < 1 || retryDelaySeconds > 3600) {
    fail('retryDelaySeconds must be a whole number of seconds from 1 to 3600');
  }
  // eslint-disable-next-line security/detect-non-literal-fs-filename -- the operator's CA file, named in the api's own config
  const extraCaPem = caFile === undefined ? null : readFileSync(caFile, 'utf8');
  if (extraCaPem !== null && !extraCaPem.includes('-----BEGIN CERTIFICATE-----')) fail('caFile holds no PEM certificate');
  return { ...DEFAULT_WEBHOOK_CONFIG, allowPrivateTestHosts, extraCaPem, retryDelaySeconds };
}
