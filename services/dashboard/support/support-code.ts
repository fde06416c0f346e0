// Support verification codes: 8 characters from an alphabet without look-alikes (about 40 bits), read
// aloud or typed by the desk as "ABCD-EFGH". Stored as SHA-256 only; compared in constant time
// against every live code, with no early exit, so timing says nothing about which one was close.
import { createHash, randomInt, timingSafeEqual } from 'node:crypto';

const ALPHABET = 'ABCDEFGHJKMNPQRSTUVWXYZ23456789'; // no I, L, O, 0, 1
const LENGTH = 8;
export const CODE_LIFETIME_MS = 10 * 60_000;

export function newSupportCode(): string {
  let code = '';
  for (let i = 0; i < LENGTH; i++) code += ALPHABET[randomInt(ALPHABET.length)];
  return `${code.slice(0, 4)}-${code.slice(4)}`;
}

/** Upper case, without spaces or dashes; null when it cannot be a code. */
export function normalizeCode(input: string): string | null {
  const plain = input.toUpperCase().replace(/[\s-]/g, '');
  return plain.length === LENGTH && [...plain].every((c) => ALPHABET.includes(c)) ? plain : null;
}

export function hashCode(code: string): Buffer {
  return createHash('sha256').update(normalizeCode(code) ?? '', 'utf8').digest();
}

/** The index of the stored hash equal to the given code's, or -1; every candidate is compared. */
export function matchCode(given: string, stored: readonly Buffer[]): number {
  const plain = normalizeCode(given);
  // A malformed code is compared too (as a hash nobody has), so the work does not depend on it.
  const hash = plain === null ? Buffer.alloc(32) : hashCode(plain);
  let found = -1;
  stored.forEach((candidate, i) => {
    if (candidate.length === 32 && timingSafeEqual(candidate, hash) && plain !== null) found = i;
  });
  return found;
}
