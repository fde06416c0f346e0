// The Idempotency-Key of a request (docs/omise-compat.md §11): `Idempotency-Key`, or
// `Omise-Idempotency-Key` as third-party Omise integrations send it; at most 255 printable ASCII
// characters. The key itself is never stored: rows hold its SHA-256, so whatever a client chose
// to put in it stays out of the database.
import { createHash } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import { httpError } from '#lib/http/index.ts';

export const KEY_HEADERS = ['idempotency-key', 'omise-idempotency-key'] as const;
export const MAX_KEY_LENGTH = 255;
const PRINTABLE = /^[\x20-\x7E]+$/;

/** The key sent, or null when none was; 400 bad_request when it is malformed or the two headers disagree. */
export function readIdempotencyKey(headers: IncomingHttpHeaders): string | null {
  const sent = KEY_HEADERS.map((name) => headers[name]).filter((value) => value !== undefined);
  if (sent.length === 0) return null;
  const [key] = sent;
  if (typeof key !== 'string' || sent.some((other) => other !== key)) {
    throw httpError(400, 'bad_request', 'Idempotency-Key and Omise-Idempotency-Key disagree; send one key');
  }
  if (key.length === 0 || key.length > MAX_KEY_LENGTH || !PRINTABLE.test(key)) {
    throw httpError(400, 'bad_request', `Idempotency-Key must be 1 to ${MAX_KEY_LENGTH} printable ASCII characters`);
  }
  return key;
}

export function hashIdempotencyKey(key: string): string {
  return createHash('sha256').update(key, 'utf8').digest('hex');
}
