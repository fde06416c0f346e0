// Synthetic card numbers for benchmarks (never real cards).
import { randomBytes } from 'node:crypto';

/** A Luhn-valid 16-digit Visa number; a fresh one per call so no two tokens share a card. */
export function randomVisa(): string {
  const payload = '4' + [...randomBytes(14)].map((byte) => String(byte % 10)).join('');
  let sum = 0;
  for (let i = 0; i < payload.length; i++) {
    let digit = payload.charCodeAt(payload.length - 1 - i) - 48;
    if (i % 2 === 0) digit = digit * 2 > 9 ? digit * 2 - 9 : digit * 2;
    sum += digit;
  }
  return payload + String((10 - (sum % 10)) % 10);
}
