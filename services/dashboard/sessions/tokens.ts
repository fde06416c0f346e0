// Opaque bearer secrets (session cookies, emailed links, CSRF tokens): 256 random bits, base64url.
// Only their SHA-256 is stored: a fast hash is enough for 256 random bits, and a lookup by hash
// needs no constant-time comparison (the database compares hashes, not secrets).
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

export const TOKEN_BYTES = 32;
const TOKEN_PATTERN = /^[A-Za-z0-9_-]{43}$/;

export function newToken(): string {
  return randomBytes(TOKEN_BYTES).toString('base64url');
}

/** Whether `value` has the shape of a token (checked before hashing anything a client sent). */
export function isWellFormedToken(value: unknown): value is string {
  return typeof value === 'string' && TOKEN_PATTERN.test(value);
}

export function hashToken(token: string): Buffer {
  return createHash('sha256').update(token, 'utf8').digest();
}

/** Constant-time equality of two well-formed tokens (CSRF: form field against session or cookie). */
export function sameToken(a: unknown, b: unknown): boolean {
  if (!isWellFormedToken(a) || !isWellFormedToken(b)) return false;
  return timingSafeEqual(Buffer.from(a, 'ascii'), Buffer.from(b, 'ascii'));
}
