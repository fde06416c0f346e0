// Argon2id at OWASP's recommended parameters (19 MiB, t=2, p=1); the encoded hash keeps its parameters.
// Passwords are NFKC-normalised first (NIST SP 800-63B): the same password typed on two keyboards
// that compose characters differently is the same password.
import { randomBytes } from 'node:crypto';
import { hash, verify } from '@node-rs/argon2';

const ARGON2ID = 2;
export const PASSWORD_HASH_OPTIONS = { algorithm: ARGON2ID, memoryCost: 19_456, timeCost: 2, parallelism: 1 } as const;

export function normalizePassword(password: string): string {
  return password.normalize('NFKC');
}

export function hashPassword(password: string): Promise<string> {
  return hash(normalizePassword(password), PASSWORD_HASH_OPTIONS);
}

export function verifyPassword(encoded: string, password: string): Promise<boolean> {
  return verify(encoded, normalizePassword(password)).catch(() => false);
}

let dummy: Promise<string> | undefined;

/**
 * For an unknown email: the same Argon2id work as a real check, always false, so the answer's
 * timing does not say whether the account exists.
 */
export async function verifyAgainstDummy(password: string): Promise<false> {
  dummy ??= hash(randomBytes(24).toString('base64url'), PASSWORD_HASH_OPTIONS);
  await verify(await dummy, normalizePassword(password)).catch(() => false);
  return false;
}
