// Recovery codes: ten per batch, each 16 characters of a 30-letter alphabet (78 random bits), shown
// as four groups ("k7dq-m2xa-9tfz-r4hw"). Stored as SHA-256 of the user id and the code, not with a
// password hash (Argon2id): a slow hash buys time against guessing a LOW-entropy secret offline, and
// 2^78 candidates per code are out of reach at any hash speed. A fast hash also lets a code be found
// by an indexed lookup and claimed in one UPDATE, where Argon2id would have to be run against every
// stored code per attempt. The user id in the hash keeps equal codes of two users apart.
import { createHash, randomInt } from 'node:crypto';

export const RECOVERY_CODE_COUNT = 10;
// No 0/o, 1/l/i, u: nothing that reads as another character.
const ALPHABET = '23456789abcdefghjkmnpqrstvwxyz';
const GROUPS = 4;
const GROUP_LENGTH = 4;
const CODE_LENGTH = GROUPS * GROUP_LENGTH;

function newCode(): string {
  let raw = '';
  for (let i = 0; i < CODE_LENGTH; i++) raw += ALPHABET[randomInt(ALPHABET.length)];
  return raw.match(/.{4}/g)!.join('-');
}

/** A fresh batch of distinct codes, formatted for display. */
export function newRecoveryCodes(count = RECOVERY_CODE_COUNT): string[] {
  const codes = new Set<string>();
  while (codes.size < count) codes.add(newCode());
  return [...codes];
}

/** The code as typed, reduced to its characters (case, spaces and dashes ignored); null if it cannot be one. */
export function normalizeRecoveryCode(input: string): string | null {
  const raw = input.toLowerCase().replace(/[\s-]+/g, '');
  if (raw.length !== CODE_LENGTH) return null;
  for (const char of raw) if (!ALPHABET.includes(char)) return null;
  return raw;
}

export function hashRecoveryCode(userId: string, code: string): Buffer {
  const normalized = normalizeRecoveryCode(code);
  if (normalized === null) throw new Error('not a recovery code');
  return createHash('sha256').update(`strongroom/recovery-code/v1\0${userId}\0${normalized}`, 'utf8').digest();
}
