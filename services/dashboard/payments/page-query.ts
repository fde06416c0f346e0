// The payments lists' query: mode (test unless `mode=live`), page size and offset. Anything else in
// the query is ignored; a value that cannot be read is a 400 page naming it.
import { httpError } from '#lib/http/index.ts';
import type { PageQuery } from './payments-api.ts';

export const PAGE_SIZES = [20, 50, 100] as const;
const DEFAULT_LIMIT = 20;
/** Far past any page a person clicks to; keeps the number a plain integer. */
const MAX_OFFSET = 1_000_000;

function one(query: Record<string, unknown>, name: string): string | undefined {
  const value = query[name];
  if (value === undefined || value === '') return undefined;
  if (typeof value !== 'string') throw httpError(400, 'bad_request', `Give ${name} once.`);
  return value;
}

export function parsePageQuery(raw: unknown): PageQuery {
  const query = raw !== null && typeof raw === 'object' ? (raw as Record<string, unknown>) : {};
  const mode = one(query, 'mode') ?? 'test';
  if (mode !== 'test' && mode !== 'live') throw httpError(400, 'bad_request', 'The mode is test or live.');
  const limitText = one(query, 'limit') ?? String(DEFAULT_LIMIT);
  const limit = Number(limitText);
  if (!/^\d{1,3}$/.test(limitText) || !PAGE_SIZES.includes(limit as (typeof PAGE_SIZES)[number])) {
    throw httpError(400, 'bad_request', `The page size is one of ${PAGE_SIZES.join(', ')}.`);
  }
  const offsetText = one(query, 'offset') ?? '0';
  if (!/^\d{1,7}$/.test(offsetText) || Number(offsetText) > MAX_OFFSET) throw httpError(400, 'bad_request', `The offset is a whole number from 0 to ${MAX_OFFSET}.`);
  return { livemode: mode === 'live', limit, offset: Number(offsetText) };
}

/** A list address for the same mode and page size at `offset`. */
export function pageHref(path: string, query: PageQuery, offset: number): string {
  const params = new URLSearchParams({ mode: query.livemode ? 'live' : 'test', limit: String(query.limit), offset: String(offset) });
  return `${path}?${params.toString()}`;
}

/** Links to the newer and older pages of a list shown newest first (null where there is none). */
export function pagerOf(path: string, query: PageQuery, total: number) {
  return {
    newer: query.offset > 0 ? pageHref(path, query, Math.max(0, query.offset - query.limit)) : null,
    older: query.offset + query.limit < total ? pageHref(path, query, query.offset + query.limit) : null,
    from: total === 0 ? 0 : Math.min(total, query.offset + 1),
    to: Math.min(total, query.offset + query.limit),
    total,
  };
}
