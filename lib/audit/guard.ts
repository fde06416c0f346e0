// The last gate before an audit entry is written: refuses card numbers, secrets and secret-named
// keys anywhere in the entry (every string, every key, every integer, recursively). It reports the
// field path and the kind of finding, never the value: the error itself must be safe to log.
import { isLuhnValid } from '#lib/log/index.ts';
import { auditError } from './errors.ts';

export type GuardFinding = {
  /** e.g. `metadata.note`, `targets[0].id`; a key that is itself the problem shows as `metadata.{key}`. */
  path: string;
  kind: 'card_number' | 'secret' | 'forbidden_key';
};

const MAX_DEPTH = 16;
const MAX_TEXT = 8192;
const MIN_PAN = 13;
const MAX_PAN = 19;

// A digit run may be broken by up to two spaces or dashes between digits ("4242 4242 4242 4242").
const MAX_SEPARATORS = 2;
const isDigit = (code: number) => code >= 48 && code <= 57;
const isSeparator = (code: number) => code === 32 || code === 9 || code === 0xa0 || code === 45;

// One case-insensitive pass over the text, for: Omise-style secret and public keys; any PEM block (keys,
// and certificates, which do not belong here either); an Authorization header value; a JWT (header.payload.…).
const SECRET = /[sp]key_\S{10,}|-----BEGIN [A-Z0-9 ]{1,64}-----|\bbearer\s+[A-Za-z0-9\-._~+/]{16,}|\beyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\./i;
// Nothing shorter than this can hold a card number or any secret above: most keys and values skip the scan.
const MIN_SUSPECT_LENGTH = MIN_PAN;

// Compared after lower-casing and dropping `_`, `-`, `.` and spaces, so `cardNumber`, `card-number` and
// `CARD_NUMBER` are one key. A key that ends with one of these is refused (`new_password`, `clientSecret`);
// `passwordChangedAt` is not, since it names an event about the secret, not the secret.
const FORBIDDEN_KEY_SUFFIXES = [
  'password', 'passwd', 'passphrase', 'secret', 'cvv', 'cvv2', 'cvc', 'cvc2',
  'securitycode', 'cardnumber', 'tokenvalue', 'privatekey',
] as const;
const FORBIDDEN_KEYS = new Set(['pan', 'pin', 'pinblock', 'track1', 'track2']);

/** Luhn check of ASCII digits: the one implementation, in lib/log (the log scrubber uses it too). */
export const luhnValid = isLuhnValid;

function runHoldsCardNumber(digits: string): boolean {
  if (digits.length < MIN_PAN) return false;
  if (digits.length <= MAX_PAN) return luhnValid(digits);
  // A longer run may be a card number glued to other digits: check every 13–19 digit window.
  for (let length = MIN_PAN; length <= MAX_PAN; length++) {
    for (let start = 0; start + length <= digits.length; start++) {
      if (luhnValid(digits.slice(start, start + length))) return true;
    }
  }
  return false;
}

/** True when the text holds a Luhn-valid run of 13–19 digits (spaces and dashes allowed between digits). */
export function containsCardNumber(text: string): boolean {
  let digits = '';
  let separators = 0;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (isDigit(code)) {
      digits += text[i];
      separators = 0;
    } else if (digits && isSeparator(code) && ++separators <= MAX_SEPARATORS) {
      continue;
    } else {
      if (runHoldsCardNumber(digits)) return true;
      digits = '';
      separators = 0;
    }
  }
  return runHoldsCardNumber(digits);
}

export function looksLikeSecret(text: string): boolean {
  return SECRET.test(text);
}

export function isForbiddenKey(key: string): boolean {
  const normalized = key.toLowerCase().replace(/[_\-. ]/g, '');
  return FORBIDDEN_KEYS.has(normalized) || FORBIDDEN_KEY_SUFFIXES.some((suffix) => normalized.endsWith(suffix));
}

// Entries reuse the same few keys, so each key's verdict is remembered (bounded: keys can be data).
const keyVerdicts = new Map<string, GuardFinding['kind'] | null>();

function inspectKey(key: string): GuardFinding['kind'] | null {
  let verdict = keyVerdicts.get(key);
  if (verdict === undefined) {
    verdict = inspectText(key) ?? (isForbiddenKey(key) ? 'forbidden_key' : null);
    if (keyVerdicts.size < 4096) keyVerdicts.set(key, verdict);
  }
  return verdict;
}

export function childPath(parent: string, key: string | number): string {
  if (typeof key === 'number') return `${parent}[${key}]`;
  const name = /^[A-Za-z_$][A-Za-z0-9_$]*$/.test(key) ? key : JSON.stringify(key);
  if (!parent) return name;
  return name.startsWith('"') ? `${parent}[${name}]` : `${parent}.${name}`;
}

function inspectText(text: string): GuardFinding['kind'] | undefined {
  if (text.length < MIN_SUSPECT_LENGTH) return undefined;
  if (containsCardNumber(text)) return 'card_number';
  if (looksLikeSecret(text)) return 'secret';
  return undefined;
}

/** The first thing in `value` that may never be written, or undefined. Pure. */
export function findForbidden(value: unknown, path = '', depth = 0): GuardFinding | undefined {
  if (depth > MAX_DEPTH) throw auditError('audit_invalid', path, `audit entry invalid: ${path || 'entry'} is nested too deeply`);
  if (typeof value === 'string') {
    // No field may be this long anyway; refusing first keeps the scan cheap whatever the input.
    if (value.length > MAX_TEXT) throw auditError('audit_invalid', path, `audit entry invalid: ${path || 'entry'} is too long`);
    const kind = inspectText(value);
    return kind && { path, kind };
  }
  if (typeof value === 'number') {
    // A card number sent as a JSON number is still a card number (below 1e21 String() has no exponent).
    const integral = Number.isInteger(value) && Math.abs(value) < 1e21;
    return integral && containsCardNumber(String(value)) ? { path, kind: 'card_number' } : undefined;
  }
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const found = findForbidden(value[i], childPath(path, i), depth + 1);
      if (found) return found;
    }
    return undefined;
  }
  if (value && typeof value === 'object') {
    for (const [key, child] of Object.entries(value)) {
      // Check the key before it is ever placed in a path (paths end up in error messages).
      const keyKind = inspectKey(key);
      if (keyKind === 'forbidden_key') return { path: childPath(path, key), kind: keyKind };
      if (keyKind) return { path: `${path ? `${path}.` : ''}{key}`, kind: keyKind };
      const found = findForbidden(child, childPath(path, key), depth + 1);
      if (found) return found;
    }
  }
  return undefined;
}

const DESCRIPTIONS: Record<GuardFinding['kind'], string> = {
  card_number: 'holds what looks like a card number',
  secret: 'holds what looks like a secret key or token',
  forbidden_key: 'is a key that may never be written to the audit log',
};

/** Throws an `audit_refused` error naming the path (never the value) of the first finding. */
export function assertWritable(value: unknown): void {
  const found = findForbidden(value);
  if (found) {
    throw auditError('audit_refused', found.path, `audit entry refused: ${found.path || 'entry'} ${DESCRIPTIONS[found.kind]}`);
  }
}
