// Card data validation for tokenization, as the Opn Payments (Omise) tokens API needs it. Pure: no I/O,
// the clock comes in as `now`. Error messages are constants (at most the brand name is filled in), so no
// digit of the card number or security code can ever reach a message, a log line or a response.

export const BRANDS = ['Visa', 'MasterCard', 'American Express', 'JCB', 'UnionPay', 'Discover', 'Diners Club'] as const;
export type Brand = (typeof BRANDS)[number];

/**
 * Issuer ranges: a PAN belongs to `brand` when its first `from.length` digits lie in [from, to]
 * (`from` and `to` have the same number of digits). The ranges do not overlap.
 */
export const BRAND_RANGES: readonly { brand: Brand; from: string; to: string }[] = [
  { brand: 'Visa', from: '4', to: '4' },
  { brand: 'MasterCard', from: '51', to: '55' },
  { brand: 'MasterCard', from: '2221', to: '2720' },
  { brand: 'American Express', from: '34', to: '34' },
  { brand: 'American Express', from: '37', to: '37' },
  { brand: 'JCB', from: '3528', to: '3589' },
  { brand: 'UnionPay', from: '62', to: '62' },
  { brand: 'Discover', from: '6011', to: '6011' },
  { brand: 'Discover', from: '644', to: '649' },
  { brand: 'Discover', from: '65', to: '65' },
  { brand: 'Diners Club', from: '300', to: '305' },
  { brand: 'Diners Club', from: '36', to: '36' },
  { brand: 'Diners Club', from: '38', to: '39' },
];

/** Allowed PAN lengths and the exact security code length, per brand. */
export const BRAND_RULES: Readonly<Record<Brand, { lengths: readonly number[]; cvvLength: number }>> = {
  Visa: { lengths: [13, 16, 19], cvvLength: 3 },
  MasterCard: { lengths: [16], cvvLength: 3 },
  'American Express': { lengths: [15], cvvLength: 4 },
  JCB: { lengths: [16, 17, 18, 19], cvvLength: 3 },
  UnionPay: { lengths: [16, 17, 18, 19], cvvLength: 3 },
  Discover: { lengths: [16, 17, 18, 19], cvvLength: 3 },
  'Diners Club': { lengths: [14, 15, 16, 17, 18, 19], cvvLength: 3 },
};

export const PAN_MIN_LENGTH = 13;
export const PAN_MAX_LENGTH = 19;
/** Longest accepted `number` text: 19 digits with a separator between every two. */
const NUMBER_TEXT_MAX = PAN_MAX_LENGTH * 2 - 1;
/** Expiry years further ahead than this are refused as implausible. */
export const MAX_YEARS_AHEAD = 50;

/** Bounds of the optional text fields (UTF-16 code units, so they also fit a varchar of that size). */
export const TEXT_LIMITS = {
  name: 255,
  city: 255,
  state: 255,
  street1: 255,
  street2: 255,
  postal_code: 20,
  phone_number: 40,
} as const;
export type TextField = keyof typeof TEXT_LIMITS;

export type CardInput = {
  number: string;
  expiration_month: number | string;
  expiration_year: number | string;
  security_code?: string | null;
  name?: string | null;
  city?: string | null;
  state?: string | null;
  street1?: string | null;
  street2?: string | null;
  postal_code?: string | null;
  /** ISO 3166-1 alpha-2. */
  country?: string | null;
  phone_number?: string | null;
};

/** A validated card. `pan` and `security_code` are card data: encrypt them, never log or return them. */
export type ValidCard = {
  pan: string;
  brand: Brand;
  first_digits: string;
  last_digits: string;
  expiration_month: number;
  expiration_year: number;
  security_code: string | null;
  name: string | null;
  city: string | null;
  state: string | null;
  street1: string | null;
  street2: string | null;
  postal_code: string | null;
  country: string | null;
  phone_number: string | null;
};

export type CardValidation = { ok: true; card: ValidCard } | { ok: false; code: 'invalid_card'; message: string };

const DIGITS = /^[0-9]+$/;

/** Luhn (mod 10) check of a string of ASCII digits; false for anything else, including ''. */
export function luhnValid(digits: string): boolean {
  if (!DIGITS.test(digits)) return false;
  return luhnSum(digits, false) % 10 === 0;
}

/** The digit that, appended to `payload` (ASCII digits), makes it Luhn-valid. */
export function luhnCheckDigit(payload: string): string {
  if (!/^[0-9]*$/.test(payload)) throw new TypeError('luhnCheckDigit: payload must be digits');
  return String((10 - (luhnSum(payload, true) % 10)) % 10);
}

// Sum over the digits from the right, doubling every second one; `doubleFirst` when a check digit
// is still to be appended to the right.
function luhnSum(digits: string, doubleFirst: boolean): number {
  let sum = 0;
  let double = doubleFirst;
  for (let i = digits.length - 1; i >= 0; i--) {
    let d = digits.charCodeAt(i) - 48;
    if (double) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
    double = !double;
  }
  return sum;
}

// Longest prefixes first, so a more specific range would win if ranges ever overlapped.
const RANGES_BY_SPECIFICITY = [...BRAND_RANGES].sort((a, b) => b.from.length - a.from.length);

/** The brand whose issuer range holds `pan` (ASCII digits only), or null. */
export function detectBrand(pan: string): Brand | null {
  if (!DIGITS.test(pan)) return null;
  for (const range of RANGES_BY_SPECIFICITY) {
    if (pan.length < range.from.length) continue;
    // Same-length digit strings compare like the numbers they spell.
    const prefix = pan.slice(0, range.from.length);
    if (prefix >= range.from && prefix <= range.to) return range.brand;
  }
  return null;
}

/** The number's digits with single spaces or dashes between digit groups removed, or null if malformed. */
export function normalizeNumber(text: string): string | null {
  if (text.length === 0 || text.length > NUMBER_TEXT_MAX) return null;
  const groups = text.split(/[ -]/);
  for (const group of groups) if (!DIGITS.test(group)) return null;
  return groups.join('');
}

function lengthsText(lengths: readonly number[]): string {
  if (lengths.length === 1) return String(lengths[0]);
  const last = lengths[lengths.length - 1];
  const first = lengths[0];
  const contiguous = lengths.every((n, i) => n === (first ?? 0) + i);
  if (contiguous && lengths.length > 2) return `${first} to ${last}`;
  return `${lengths.slice(0, -1).join(', ')} or ${last}`;
}

const aCard = (brand: Brand) => `${/^[AEIOU]/.test(brand) ? 'an' : 'a'} ${brand} card`;

export type Failure = { ok: false; code: 'invalid_card'; message: string };
const fail = (message: string): Failure => ({ ok: false, code: 'invalid_card', message });

function checkNumber(number: unknown): Failure | { ok: true; pan: string; brand: Brand } {
  if (typeof number !== 'string' || number.length === 0) return fail('number is required');
  const pan = normalizeNumber(number);
  if (pan === null) return fail('number must contain only digits, optionally grouped by single spaces or dashes');
  if (pan.length < PAN_MIN_LENGTH || pan.length > PAN_MAX_LENGTH) {
    return fail(`number must have ${PAN_MIN_LENGTH} to ${PAN_MAX_LENGTH} digits`);
  }
  const brand = detectBrand(pan);
  if (brand === null) return fail('number is invalid and brand not supported');
  const { lengths } = BRAND_RULES[brand];
  if (!lengths.includes(pan.length)) return fail(`number must have ${lengthsText(lengths)} digits for ${aCard(brand)}`);
  if (!luhnValid(pan)) return fail('number is invalid (check digit does not match)');
  return { ok: true, pan, brand };
}

function parseMonth(value: unknown): number | null {
  if (typeof value === 'number') return Number.isInteger(value) && value >= 1 && value <= 12 ? value : null;
  if (typeof value === 'string' && /^[0-9]{1,2}$/.test(value)) {
    const month = Number(value);
    return month >= 1 && month <= 12 ? month : null;
  }
  return null;
}

function parseYear(value: unknown): number | null {
  if (typeof value === 'number') return Number.isInteger(value) && value >= 1000 && value <= 9999 ? value : null;
  if (typeof value === 'string' && /^[1-9][0-9]{3}$/.test(value)) return Number(value);
  return null;
}

export function checkExpiry(monthValue: unknown, yearValue: unknown, now: Date): Failure | { ok: true; month: number; year: number } {
  const month = parseMonth(monthValue);
  if (month === null) return fail('expiration month must be a whole number from 1 to 12');
  const year = parseYear(yearValue);
  if (year === null) return fail('expiration year must be a four-digit year');
  const nowMs = now.getTime();
  if (!Number.isFinite(nowMs)) throw new TypeError('validateCard: now must be a valid date');
  // Valid through the last instant of the expiration month: expired from the first day of the next one (UTC).
  // Date.UTC's month is zero-based, so passing the 1-based `month` names the following month.
  if (nowMs >= Date.UTC(year, month, 1)) return fail('card is expired');
  if (year > now.getUTCFullYear() + MAX_YEARS_AHEAD) return fail('expiration year is too far in the future');
  return { ok: true, month, year };
}

function checkSecurityCode(value: unknown, brand: Brand): Failure | { ok: true; code: string | null } {
  if (value === undefined || value === null) return { ok: true, code: null };
  const { cvvLength } = BRAND_RULES[brand];
  if (typeof value !== 'string' || value.length !== cvvLength || !DIGITS.test(value)) {
    return fail(`security code must be ${cvvLength} digits for ${aCard(brand)}`);
  }
  return { ok: true, code: value };
}

function hasControlCharacter(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x20 || (c >= 0x7f && c <= 0x9f)) return true;
  }
  return false;
}

const FIELD_LABELS: Readonly<Record<TextField, string>> = {
  name: 'name',
  city: 'city',
  state: 'state',
  street1: 'street1',
  street2: 'street2',
  postal_code: 'postal code',
  phone_number: 'phone number',
};

export function checkText(field: TextField, value: unknown): Failure | { ok: true; text: string | null } {
  if (value === undefined || value === null) return { ok: true, text: null };
  const label = FIELD_LABELS[field];
  if (typeof value !== 'string') return fail(`${label} must be text`);
  if (value.length > TEXT_LIMITS[field]) return fail(`${label} must be at most ${TEXT_LIMITS[field]} characters`);
  if (hasControlCharacter(value)) return fail(`${label} must not contain control characters`);
  if (!value.isWellFormed()) return fail(`${label} must be valid Unicode text`);
  return { ok: true, text: value };
}

function checkCountry(value: unknown): Failure | { ok: true; country: string | null } {
  if (value === undefined || value === null) return { ok: true, country: null };
  if (typeof value !== 'string' || !/^[A-Za-z]{2}$/.test(value)) {
    return fail('country must be a two-letter ISO 3166-1 country code');
  }
  return { ok: true, country: value.toUpperCase() };
}

/**
 * Validates card data for tokenization at time `now`. On failure, `message` says what is wrong in
 * words that never include any part of the number or security code.
 */
export function validateCard(input: CardInput, now: Date): CardValidation {
  if (typeof input !== 'object' || input === null) return fail('card data is required');
  const number = checkNumber(input.number);
  if (!number.ok) return number;
  const expiry = checkExpiry(input.expiration_month, input.expiration_year, now);
  if (!expiry.ok) return expiry;
  const securityCode = checkSecurityCode(input.security_code, number.brand);
  if (!securityCode.ok) return securityCode;
  const country = checkCountry(input.country);
  if (!country.ok) return country;

  const texts = {} as Record<TextField, string | null>;
  for (const field of Object.keys(TEXT_LIMITS) as TextField[]) {
    const checked = checkText(field, input[field]);
    if (!checked.ok) return checked;
    texts[field] = checked.text;
  }

  const { pan, brand } = number;
  return {
    ok: true,
    card: {
      pan,
      brand,
      first_digits: pan.slice(0, 6),
      last_digits: pan.slice(-4),
      expiration_month: expiry.month,
      expiration_year: expiry.year,
      security_code: securityCode.code,
      ...texts,
      country: country.country,
    },
  };
}
