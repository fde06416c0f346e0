// The audit log page's filters, read from its query string (a GET form): which trail (the
// dashboard's own, or the api's), who (an email or a user id), what (an action), to what (a target
// id), when (UTC, as the pages show times) and the page cursor. Bad values are a 400, never a 500.
import { httpError } from '#lib/http/index.ts';

export const SOURCES = ['dashboard', 'api'] as const;
export type Source = (typeof SOURCES)[number];

export type AuditQuery = {
  source: Source;
  /** As typed (an email or an id): shown back in the form. */
  actor?: string;
  action?: string;
  target?: string;
  from?: Date;
  to?: Date;
  before?: number;
};

const ACTION = /^[a-z][a-z0-9_.]{0,99}$/;
// `datetime-local` gives "2026-05-01T14:03" (seconds optional); a bare date means its midnight.
const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;
const TIME = /^(\d{2}):(\d{2})$/;
const TIME_SECONDS = /^(\d{2}):(\d{2}):(\d{2})$/;

function text(value: unknown, name: string, max: number): string | undefined {
  if (value === undefined || value === '') return undefined;
  if (typeof value !== 'string') throw httpError(400, 'bad_request', `the filter ${name} is malformed`);
  const trimmed = value.trim();
  if (trimmed.length > max) throw httpError(400, 'bad_request', `the filter ${name} is too long`);
  return trimmed === '' ? undefined : trimmed;
}

/** A UTC time from a date or `datetime-local` value; a 400 for anything else or an impossible date. */
export function utcTime(value: string | undefined, name: string): Date | undefined {
  if (value === undefined) return undefined;
  const [datePart = '', timePart = '00:00', ...rest] = value.split('T');
  const d = DATE.exec(datePart);
  const t = TIME.exec(timePart) ?? TIME_SECONDS.exec(timePart);
  if (!d || !t || rest.length > 0) throw httpError(400, 'bad_request', `${name} must be a date and time such as 2026-05-01T14:03 (UTC)`);
  const [year, month, day] = d.slice(1).map(Number) as [number, number, number];
  const [hour, minute, second] = [Number(t[1]), Number(t[2]), Number(t[3] ?? 0)];
  const date = new Date(Date.UTC(year, month - 1, day, hour, minute, second));
  if (date.getUTCMonth() !== month - 1 || date.getUTCDate() !== day || hour > 23 || minute > 59 || second > 59 || year < 2000 || year > 9999) {
    throw httpError(400, 'bad_request', `${name} is not a real date and time`);
  }
  return date;
}

export function parseAuditQuery(query: unknown): AuditQuery {
  const q = (query !== null && typeof query === 'object' ? query : {}) as Record<string, unknown>;
  const source = text(q.source, 'source', 20) ?? 'dashboard';
  if (!(SOURCES as readonly string[]).includes(source)) throw httpError(400, 'bad_request', 'source must be dashboard or api');
  const action = text(q.action, 'action', 100);
  if (action !== undefined && !ACTION.test(action)) throw httpError(400, 'bad_request', 'action looks like user.sign_in or api_key.create');
  const beforeText = text(q.before, 'before', 16);
  if (beforeText !== undefined && !/^[1-9][0-9]{0,15}$/.test(beforeText)) throw httpError(400, 'bad_request', 'before must be a positive whole number');
  const before = beforeText === undefined ? undefined : Number(beforeText);
  if (before !== undefined && !Number.isSafeInteger(before)) throw httpError(400, 'bad_request', 'before is too large');
  const from = utcTime(text(q.from, 'from', 19), 'from');
  const to = utcTime(text(q.to, 'to', 19), 'to');
  if (from && to && from >= to) throw httpError(400, 'bad_request', 'from must be before to');
  return { source: source as Source, actor: text(q.actor, 'actor', 320), action, target: text(q.target, 'target', 200), from, to, before };
}

/** The query string of these filters (for links: the next page, the CSV export, the other trail). */
export function queryString(query: AuditQuery, change: Partial<Record<keyof AuditQuery, string | undefined>> = {}): string {
  const local = (d: Date | undefined) => d?.toISOString().slice(0, 19);
  const values: Record<string, string | undefined> = {
    source: query.source, actor: query.actor, action: query.action, target: query.target,
    from: local(query.from), to: local(query.to), before: query.before === undefined ? undefined : String(query.before),
    ...change,
  };
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(values)) if (value !== undefined && value !== '') params.set(key, value);
  return params.toString();
}
