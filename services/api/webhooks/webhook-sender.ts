// POSTs one webhook over HTTPS (undici): TLS 1.2+ with the platform's cipher policy, the certificate
// verified against Node's public roots (plus an operator-given CA, for a test receiver), a bounded
// time for the whole attempt, no redirects followed (a 3xx is simply not a 2xx). Live deliveries, and
// test ones unless the platform allows private test hosts, reach public addresses only: the socket's
// lookup refuses any host with a non-public address, and IP literals are checked before connecting.
import { isIP } from 'node:net';
import { rootCertificates } from 'node:tls';
import { Agent, request } from 'undici';
import { tlsPolicy } from '#lib/tls/index.ts';
import { isPublicAddress, NOT_PUBLIC_CODE, publicOnlyLookup } from './address-policy.ts';
import type { WebhookConfig } from './webhook-config.ts';

/** The endpoint's HTTP status, or null with the transport error (refused, timed out, bad certificate…). */
export type SendOutcome = { status: number; error: null } | { status: null; error: string };

const USER_AGENT = 'Strongroom-Webhooks/1.0';
// The answer's body is read (so the connection can be reused) but never kept: a bound stops a flood.
const MAX_ANSWER_BYTES = 64 * 1024;
const MAX_ERROR_LENGTH = 200;

/** A short, safe description of a failed attempt: the error code and message, never headers or body. */
function describe(error: unknown): string {
  const code = (error as { code?: unknown })?.code;
  const message = error instanceof Error ? error.message : String(error);
  const cause = error instanceof Error && error.cause instanceof Error ? ` (${error.cause.message})` : '';
  return `${typeof code === 'string' ? `${code}: ` : ''}${message}${cause}`.slice(0, MAX_ERROR_LENGTH);
}

export function createWebhookSender(config: Pick<WebhookConfig, 'allowPrivateTestHosts' | 'extraCaPem' | 'timeoutMs'>) {
  const tls = {
    minVersion: tlsPolicy.minVersion, maxVersion: tlsPolicy.maxVersion, ciphers: tlsPolicy.ciphers, ecdhCurve: tlsPolicy.ecdhCurve,
    rejectUnauthorized: true,
    // Setting `ca` replaces Node's roots, so they are listed too.
    ...(config.extraCaPem ? { ca: [...rootCertificates, config.extraCaPem] } : {}),
  };
  const limits = { headersTimeout: config.timeoutMs, bodyTimeout: config.timeoutMs, connections: 16 };
  const publicOnly = new Agent({ ...limits, connect: { ...tls, timeout: config.timeoutMs, lookup: publicOnlyLookup() } });
  const anyHost = config.allowPrivateTestHosts ? new Agent({ ...limits, connect: { ...tls, timeout: config.timeoutMs } }) : null;

  return {
    async post(uri: string, body: string, headers: Record<string, string>, options: { livemode: boolean; signal?: AbortSignal }): Promise<SendOutcome> {
      const dispatcher = !options.livemode && anyHost ? anyHost : publicOnly;
      const host = new URL(uri).hostname.replace(/^\[(.*)\]$/, '$1');
      if (dispatcher === publicOnly && isIP(host) !== 0 && !isPublicAddress(host)) {
        return { status: null, error: `${NOT_PUBLIC_CODE}: ${host} is not a public address` };
      }
      const signals = [AbortSignal.timeout(config.timeoutMs), ...(options.signal ? [options.signal] : [])];
      try {
        const answer = await request(uri, {
          method: 'POST', body, dispatcher, signal: AbortSignal.any(signals),
          headers: { ...headers, 'content-type': 'application/json; charset=utf-8', 'user-agent': USER_AGENT },
        });
        await answer.body.dump({ limit: MAX_ANSWER_BYTES }).catch(() => undefined);
        return { status: answer.statusCode, error: null };
      } catch (error) {
        return { status: null, error: describe(error) };
      }
    },

    async close(): Promise<void> {
      await publicOnly.close();
      await anyHost?.close();
    },
  };
}

export type WebhookSender = ReturnType<typeof createWebhookSender>;
