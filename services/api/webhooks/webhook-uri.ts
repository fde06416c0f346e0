// Reads a webhook endpoint URL a merchant sets. Only https, no credentials, no fragment, a bounded
// length, a host that is a DNS name or an IP address. Where the endpoint may point: the public
// internet only (every address the host resolves to), except in test mode when the platform allows
// private hosts (a developer's local receiver). Deliveries check the address again when they connect
// (address-policy.ts), so a host that changes its DNS later still cannot reach the private network.
import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import { httpError } from '#lib/http/index.ts';
import { isPublicAddress } from './address-policy.ts';

export const MAX_WEBHOOK_URI_LENGTH = 1024;

/** Every address a host name resolves to. */
export type ResolveHost = (hostname: string) => Promise<string[]>;

const RESOLVE_TIMEOUT_MS = 5000;

/** The system resolver, bounded in time (a request never waits on a slow DNS server for long). */
export const resolveHost: ResolveHost = async (hostname) => {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`resolving ${hostname} timed out`)), RESOLVE_TIMEOUT_MS);
  });
  try {
    return (await Promise.race([lookup(hostname, { all: true, verbatim: true }), timeout])).map((entry) => entry.address);
  } finally {
    clearTimeout(timer);
  }
};

export type WebhookUriRules = {
  livemode: boolean;
  /** Test mode only: private, loopback and single-label hosts are allowed (the platform's setting). */
  allowPrivateTestHosts: boolean;
  resolve?: ResolveHost;
};

const LABEL = /^(?!-)[a-z0-9-]{1,63}(?<!-)$/;
// Names that only ever mean something inside a private network.
const PRIVATE_SUFFIXES = ['.localhost', '.local', '.internal', '.intranet', '.lan', '.home.arpa', '.corp', '.private'];

function invalid(reason: string): never {
  throw httpError(400, 'bad_request', `webhook uri ${reason}`);
}

function hasSpaceOrControl(text: string): boolean {
  if (/\s/u.test(text)) return true;
  for (const char of text) {
    const code = char.codePointAt(0)!;
    if (code < 0x20 || (code >= 0x7f && code <= 0x9f)) return true;
  }
  return false;
}

function isDnsName(host: string): boolean {
  return host.length <= 253 && host.split('.').every((label) => LABEL.test(label));
}

async function checkPublic(host: string, resolve: ResolveHost): Promise<void> {
  const literal = host.startsWith('[') ? host.slice(1, -1) : host;
  if (isIP(literal) !== 0) {
    if (!isPublicAddress(literal)) invalid('must point to a public address');
    return;
  }
  if (!host.includes('.') || PRIVATE_SUFFIXES.some((suffix) => host.endsWith(suffix))) invalid('must name a public host');
  let addresses: string[];
  try {
    addresses = await resolve(host);
  } catch {
    invalid(`host ${host} could not be resolved`);
  }
  if (addresses.length === 0) invalid(`host ${host} could not be resolved`);
  if (!addresses.every(isPublicAddress)) invalid('must point to a public address');
}

/** The normalized endpoint URL, or a 400 `bad_request` saying what is wrong with it. */
export async function readWebhookUri(raw: string, rules: WebhookUriRules): Promise<string> {
  if (raw.length > MAX_WEBHOOK_URI_LENGTH) invalid(`must be at most ${MAX_WEBHOOK_URI_LENGTH} characters`);
  // The URL parser silently drops tabs and newlines; refuse them (and any other space or control) instead.
  if (hasSpaceOrControl(raw)) invalid('must not contain spaces or control characters');
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    invalid('is not a valid URL');
  }
  if (url.protocol !== 'https:') invalid('must use https');
  if (url.username !== '' || url.password !== '') invalid('must not contain credentials');
  if (url.hash !== '' || raw.includes('#')) invalid('must not contain a fragment');
  const host = url.hostname;
  const literal = host.startsWith('[') && host.endsWith(']');
  if (!literal && isIP(host) === 0 && !isDnsName(host)) invalid('has an invalid host');
  if (url.href.length > MAX_WEBHOOK_URI_LENGTH) invalid(`must be at most ${MAX_WEBHOOK_URI_LENGTH} characters`);
  if (rules.livemode || !rules.allowPrivateTestHosts) await checkPublic(host, rules.resolve ?? resolveHost);
  return url.href;
}
