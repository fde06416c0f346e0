// Webhook signatures as Omise sends them (docs/omise-compat.md §12.2): `Omise-Signature` is the hex
// HMAC-SHA256 of `<timestamp>.<raw body>` keyed with the base64-decoded endpoint secret, and
// `Omise-Signature-Timestamp` the unix time, in seconds, of signing. `verifyWebhook` is what a
// receiver does: constant-time comparison, any one of several comma-separated signatures (secret
// rotation), and a freshness window against replays.
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

export const SIGNATURE_HEADER = 'Omise-Signature';
export const TIMESTAMP_HEADER = 'Omise-Signature-Timestamp';
/** How far a receiver lets a timestamp drift from its own clock, by default. */
export const DEFAULT_TOLERANCE_SECONDS = 300;

const SECRET_BYTES = 32;
const TIMESTAMP = /^\d{1,12}$/;
const HEX_MAC = /^[0-9a-f]{64}$/;

/** A new endpoint secret: 32 random bytes, base64 (what the merchant is shown once). */
export function newWebhookSecret(): string {
  return randomBytes(SECRET_BYTES).toString('base64');
}

/** `secret` as the merchant holds it (base64), or its 32 bytes (the api's own copy, opened for signing). */
function mac(secret: string | Uint8Array, timestamp: string, body: string | Uint8Array): Buffer {
  const key = typeof secret === 'string' ? Buffer.from(secret, 'base64') : secret;
  return createHmac('sha256', key).update(`${timestamp}.`).update(body).digest();
}

/** The `Omise-Signature` value for `body` signed at `timestamp` (unix seconds). */
export function signWebhook(secret: string | Uint8Array, timestamp: number, body: string | Uint8Array): string {
  return mac(secret, String(timestamp), body).toString('hex');
}

export type WebhookCheck = {
  secret: string;
  /** The `Omise-Signature` header: one hex MAC, or several separated by commas. */
  signature: string | undefined;
  /** The `Omise-Signature-Timestamp` header. */
  timestamp: string | undefined;
  /** The raw request body, exactly as received (not re-serialized JSON). */
  body: string | Uint8Array;
  /** Unix seconds now; defaults to the clock. */
  now?: number;
  toleranceSeconds?: number;
};

/** True when one of the signatures is the MAC of this body at this timestamp, and the timestamp is fresh. */
export function verifyWebhook(check: WebhookCheck): boolean {
  const { signature, timestamp } = check;
  if (typeof signature !== 'string' || typeof timestamp !== 'string' || !TIMESTAMP.test(timestamp)) return false;
  const now = check.now ?? Math.floor(Date.now() / 1000);
  if (Math.abs(now - Number(timestamp)) > (check.toleranceSeconds ?? DEFAULT_TOLERANCE_SECONDS)) return false;
  const expected = mac(check.secret, timestamp, check.body);
  return signature.split(',').map((part) => part.trim()).some((part) =>
    HEX_MAC.test(part) && timingSafeEqual(Buffer.from(part, 'hex'), expected));
}
