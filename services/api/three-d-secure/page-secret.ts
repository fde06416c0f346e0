// The two random values of a 3-D Secure page. The page key in its address is the payer's only
// credential (the payer's browser has no API key), so it is 256 random bits and only its SHA-256 is
// stored. It travels in the query string, which request logs leave out (they log the path only). The form value is fixed per page, rendered into the form and checked on POST (CSRF): on its
// own it opens nothing. Both are compared in constant time.
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

/** 32 random bytes, base64url (43 characters). */
const RANDOM_VALUE = /^[A-Za-z0-9_-]{43}$/;

export function newPageKey(): string {
  return randomBytes(32).toString('base64url');
}

export function isPageKey(value: unknown): value is string {
  return typeof value === 'string' && RANDOM_VALUE.test(value);
}

export function newFormValue(): string {
  return randomBytes(32).toString('base64url');
}

export function secretHash(value: string): string {
  return createHash('sha256').update(value, 'utf8').digest('hex');
}

/** Whether the posted value is the page's form value, without an early exit on the first differing byte. */
export function isFormValue(posted: unknown, expected: string): boolean {
  if (typeof posted !== 'string' || posted.length !== expected.length) return false;
  return timingSafeEqual(Buffer.from(posted, 'utf8'), Buffer.from(expected, 'utf8'));
}
