// The Omise list object and its pagination parameters (docs/omise-compat.md §5). Query values arrive
// as strings (or arrays when a key repeats); anything that cannot be read is a 400 `bad_request` with
// a message naming the parameter, never an exception of another kind.
import { httpError } from '#lib/http/index.ts';

export const LIST_ORDERS = ['chronological', 'reverse_chronological'] as const;
export type ListOrder = (typeof LIST_ORDERS)[number];

export type ListParams = {
  readonly limit: number;
  readonly offset: number;
  readonly order: ListOrder;
  readonly from: Date;
  readonly to: Date;
};

export type ListObject<T> = {
  object: 'list';
  data: T[];
  limit: number;
  offset: number;
  total: number;
  order: ListOrder;
  from: string;
  to: string;
  location: string;
};

export const DEFAULT_LIMIT = 20;
export const MAX_LIMIT = 100;
/** Past this, an offset skips more rows than any account holds; refusing it keeps SQL in range. */
export const MAX_OFFSET = 1_000_000_000;
const EPOCH = new Date(0);
// The last moment JavaScript can represent, and the first; outside them a Date is invalid.
const MIN_TIME = -8.64e15;
const MAX_TIME = 8.64e15;

/** Omise timestamps: ISO 8601 UTC to the second, `Z` suffix. */
export function omiseTime(date: Date): string {
  return date.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

function bad(message: string): never {
  throw httpError(400, 'bad_request', message);
}

/** One value per parameter: a repeated key is refused rather than guessed at. */
function single(query: Record<string, unknown>, name: string): string | undefined {
  if (!Object.hasOwn(query, name)) return undefined;
  const value = query[name];
  if (value === undefined) return undefined;
  if (typeof value !== 'string') bad(`${name} must be given once, as a single value`);
  return value;
}

function parseLimit(raw: string | undefined): number {
  if (raw === undefined || raw === '') return DEFAULT_LIMIT;
  if (!/^[+-]?\d+$/.test(raw)) bad('limit must be an integer');
  // Clamped into 1–100; a long digit run is simply "more than 100" (no precision games).
  const digits = raw.replace(/^[+-]/, '').replace(/^0+(?=\d)/, '');
  if (raw.startsWith('-')) return 1;
  if (digits.length > 3) return MAX_LIMIT;
  return Math.min(MAX_LIMIT, Math.max(1, Number(digits)));
}

function parseOffset(raw: string | undefined): number {
  if (raw === undefined || raw === '') return 0;
  if (!/^\+?\d+$/.test(raw)) bad(raw.startsWith('-') ? 'offset must not be negative' : 'offset must be an integer');
  const digits = raw.replace(/^\+/, '').replace(/^0+(?=\d)/, '');
  if (digits.length > 10 || Number(digits) > MAX_OFFSET) bad(`offset must be at most ${MAX_OFFSET}`);
  return Number(digits);
}

function parseOrder(raw: string | undefined): ListOrder {
  if (raw === undefined || raw === '') return 'chronological';
  const order = LIST_ORDERS.find((candidate) => candidate === raw);
  if (!order) bad('order must be one of "chronological", "reverse_chronological"');
  return order;
}

type Parts = { year: number; month: number; day: number; hour: number; minute: number; second: number; millis: number; offsetMinutes: number };

/** `YYYY-MM-DD`, optionally `[T ]HH:MM[:SS][.fraction][Z|±HH[:]MM]`, read piece by piece (no backtracking). */
function isoParts(raw: string): Parts | null {
  if (raw.length > 40) return null;
  const date = /^(\d{4})-(\d{2})-(\d{2})$/.exec(raw.slice(0, 10));
  if (!date) return null;
  const parts: Parts = { year: Number(date[1]), month: Number(date[2]), day: Number(date[3]), hour: 0, minute: 0, second: 0, millis: 0, offsetMinutes: 0 };
  if (raw.length === 10) return parts;
  if (raw[10] !== 'T' && raw[10] !== ' ') return null;
  let rest = raw.slice(11);
  const hm = /^(\d{2}):(\d{2})/.exec(rest);
  if (!hm) return null;
  parts.hour = Number(hm[1]);
  parts.minute = Number(hm[2]);
  rest = rest.slice(5);
  const seconds = /^:(\d{2})/.exec(rest);
  if (seconds) {
    parts.second = Number(seconds[1]);
    rest = rest.slice(3);
    const fraction = /^\.(\d{1,9})/.exec(rest);
    if (fraction) {
      parts.millis = Number(fraction[1]!.slice(0, 3).padEnd(3, '0'));
      rest = rest.slice(1 + fraction[1]!.length);
    }
  }
  if (rest === '' || rest === 'Z') return parts;
  const zone = /^([+-])(\d{2}):?(\d{2})$/.exec(rest);
  if (!zone) return null;
  const [hours, minutes] = [Number(zone[2]), Number(zone[3])];
  if (hours > 23 || minutes > 59) return null;
  parts.offsetMinutes = (hours * 60 + minutes) * (zone[1] === '-' ? -1 : 1);
  return parts;
}

function parseTime(name: 'from' | 'to', raw: string | undefined, fallback: Date): Date {
  if (raw === undefined || raw === '') return fallback;
  const p = isoParts(raw);
  if (!p) bad(`${name} must be an ISO 8601 date and time, such as 2025-03-20T09:24:16Z`);
  const daysInMonth = p.month === 2 ? (isLeap(p.year) ? 29 : 28) : new Date(Date.UTC(2001, p.month, 0)).getUTCDate();
  if (p.month < 1 || p.month > 12 || p.day < 1 || p.day > daysInMonth || p.hour > 23 || p.minute > 59 || p.second > 59) {
    bad(`${name} is not a valid date and time`);
  }
  // setUTCFullYear, not Date.UTC: the latter reads years 0–99 as 1900–1999. No zone means UTC.
  const date = new Date(0);
  date.setUTCFullYear(p.year, p.month - 1, p.day);
  date.setUTCHours(p.hour, p.minute, p.second, p.millis);
  const time = date.getTime() - p.offsetMinutes * 60_000;
  if (!Number.isFinite(time) || time < MIN_TIME || time > MAX_TIME) bad(`${name} is not a valid date and time`);
  return new Date(time);
}

function isLeap(year: number): boolean {
  return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
}

/**
 * Reads `limit`, `offset`, `order`, `from` and `to` from a parsed query string. Unknown keys are
 * ignored (clients send what they like). `limit` is clamped to 1–100; every other bad value is a 400.
 */
export function parseListParams(query: unknown, now: Date = new Date()): ListParams {
  const q = (query !== null && typeof query === 'object' ? query : {}) as Record<string, unknown>;
  const limit = parseLimit(single(q, 'limit'));
  const offset = parseOffset(single(q, 'offset'));
  const order = parseOrder(single(q, 'order'));
  const from = parseTime('from', single(q, 'from'), EPOCH);
  const to = parseTime('to', single(q, 'to'), now);
  if (from.getTime() > to.getTime()) bad('from must not be later than to');
  return { limit, offset, order, from, to };
}

/** The list object for one page of `data` (already paged by the caller) out of `total` records. */
export function listObject<T>(params: ListParams, location: string, data: T[], total: number): ListObject<T> {
  return {
    object: 'list', data, limit: params.limit, offset: params.offset, total, order: params.order,
    from: omiseTime(params.from), to: omiseTime(params.to), location,
  };
}

/** A list embedded in another object (charge.refunds): the default window, serialized now. */
export function embeddedListParams(now: Date = new Date()): ListParams {
  return { limit: DEFAULT_LIMIT, offset: 0, order: 'chronological', from: EPOCH, to: now };
}
