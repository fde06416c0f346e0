// Opn Payments (Omise) style object ids: `<prefix>_test_<random>` in test mode, `<prefix>_<random>` live.
// Random, never derived from data: an id reveals nothing about what it names.
import { randomInt } from 'node:crypto';

export const ID_PREFIXES = {
  account: 'acct', customer: 'cust', card: 'card', token: 'tokn', charge: 'chrg', refund: 'rfnd',
  event: 'evnt', webhook: 'wbhk', transaction: 'trxn', key: 'key', user: 'user', session: 'sess',
  invitation: 'invt', request: 'req', authorization: 'auth', webhook_delivery: 'whdl',
} as const;
export type IdKind = keyof typeof ID_PREFIXES;

const ALPHABET = '0123456789abcdefghijklmnopqrstuvwxyz';

export function randomBase36(length: number): string {
  let out = '';
  for (let i = 0; i < length; i++) out += ALPHABET[randomInt(36)];
  return out;
}

/** 19 random base36 characters (≈98 bits), as long as Omise's own ids. */
export function newId(kind: IdKind, livemode: boolean | null = null): string {
  const mode = livemode === false ? 'test_' : '';
  return `${ID_PREFIXES[kind]}_${mode}${randomBase36(19)}`;
}

export function idPattern(kind: IdKind): RegExp {
  // eslint-disable-next-line security/detect-non-literal-regexp -- built from the constant prefix table, not input
  return new RegExp(`^${ID_PREFIXES[kind]}_(test_)?[0-9a-z]{19}$`);
}

/** Whether an id belongs to test mode (ids carry their mode; test and live never mix). */
export function isTestId(id: string): boolean {
  return /^[a-z]+_test_/.test(id);
}
