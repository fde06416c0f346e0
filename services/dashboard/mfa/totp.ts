// TOTP (RFC 6238) as every authenticator app reads it: SHA-1, 6 digits, 30-second steps, a 160-bit
// secret. A code is accepted for the current step and one step either side (clock drift), and only
// for a step later than the last one accepted, so a code (or an older one) never works twice.
import { timingSafeEqual } from 'node:crypto';
import { HOTP, Secret, TOTP } from 'otpauth';

export const TOTP_PERIOD_SECONDS = 30;
export const TOTP_DIGITS = 6;
export const TOTP_WINDOW = 1;
const SECRET_BYTES = 20;
const ISSUER = 'Strongroom';

export function newTotpSecret(): Buffer {
  return Buffer.from(new Secret({ size: SECRET_BYTES }).bytes);
}

export function base32Of(secret: Buffer): string {
  return new Secret({ buffer: Uint8Array.from(secret).buffer }).base32;
}

/** The key URI an authenticator app imports (`otpauth://totp/Strongroom:<email>?secret=…`). */
export function keyUri(secret: Buffer, account: string): string {
  return new TOTP({
    issuer: ISSUER, label: account, secret: new Secret({ buffer: Uint8Array.from(secret).buffer }),
    algorithm: 'SHA1', digits: TOTP_DIGITS, period: TOTP_PERIOD_SECONDS,
  }).toString();
}

export function stepAt(time: Date): number {
  return Math.floor(time.getTime() / 1000 / TOTP_PERIOD_SECONDS);
}

/** Whether `input` looks like a code at all (spaces, as apps display "123 456", are ignored). */
export function normalizeCode(input: string): string | null {
  const digits = input.replace(/\s+/g, '');
  return /^[0-9]{6}$/.test(digits) ? digits : null;
}

function codeFor(secret: Buffer, step: number): string {
  return HOTP.generate({ secret: new Secret({ buffer: Uint8Array.from(secret).buffer }), algorithm: 'SHA1', digits: TOTP_DIGITS, counter: step });
}

/**
 * The step `code` belongs to, within the window around `now` and after `lastStep`; null when it
 * matches no such step (wrong, too old or too new, or already used). Every candidate is computed
 * and compared in constant time, whatever matches.
 */
export function matchStep(secret: Buffer, code: string, now: Date, lastStep: number | null): number | null {
  const wanted = Buffer.from(code, 'ascii');
  const current = stepAt(now);
  let found: number | null = null;
  for (let step = current - TOTP_WINDOW; step <= current + TOTP_WINDOW; step++) {
    const candidate = Buffer.from(codeFor(secret, step), 'ascii');
    const same = candidate.length === wanted.length && timingSafeEqual(candidate, wanted);
    if (same && found === null && (lastStep === null || step > lastStep)) found = step;
  }
  return found;
}
