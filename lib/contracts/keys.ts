// API key formats. Secret keys carry ≈134 bits of randomness and are stored only as SHA-256 hashes
// (a fast hash is right for high-entropy random keys; passwords get Argon2id instead).
import { createHash } from 'node:crypto';
import { randomBase36 } from './ids.ts';

export type KeyKind = 'public' | 'secret';

export function newApiKey(kind: KeyKind, livemode: boolean): string {
  return `${kind === 'public' ? 'pkey' : 'skey'}_${livemode ? '' : 'test_'}${randomBase36(26)}`;
}

export const API_KEY_PATTERN = /^(pkey|skey)_(test_)?[0-9a-z]{19,40}$/;

export function hashApiKey(key: string): string {
  return createHash('sha256').update(key, 'utf8').digest('hex');
}

/** Reads the key from HTTP Basic auth, where the official clients put it (user name, empty password). */
export function keyFromAuthorization(header: string | undefined): string | null {
  if (!header || !header.startsWith('Basic ')) return null;
  const decoded = Buffer.from(header.slice(6).trim(), 'base64').toString('utf8');
  const key = decoded.split(':', 1)[0] ?? '';
  return API_KEY_PATTERN.test(key) ? key : null;
}
