// The one field of an entry whose text the client chose: `origin.userAgent`, passed as the request
// sent it. The library bounds it here rather than refusing the entry, because a refused entry fails
// the change it records: any client could turn any request into a server error with a long header,
// or one that happens to hold a card number or a key. What cannot be kept is replaced, never stored.
import { containsCardNumber, looksLikeSecret } from './guard.ts';

export const USER_AGENT_MAX_LENGTH = 512;
/** Stored instead of a User-Agent that holds what the guard refuses (the value is never kept). */
export const USER_AGENT_WITHHELD = '[withheld: held a card number or a secret]';

// A card number with separators spans at most 19 digits and 36 separators: one that starts inside
// the part that is kept is entirely inside this much of the text.
const SCANNED_LENGTH = USER_AGENT_MAX_LENGTH + 64;

/** The User-Agent as the audit trail keeps it: at most 512 characters, well formed, no NUL. */
export function auditableUserAgent(text: string): string {
  // NULs go first: removing one could join two digit runs into a card number.
  const scanned = text.slice(0, SCANNED_LENGTH).replaceAll('\u0000', '');
  if (containsCardNumber(scanned) || looksLikeSecret(scanned)) return USER_AGENT_WITHHELD;
  // Cutting may split a surrogate pair: toWellFormed turns the half into U+FFFD (same length).
  return scanned.slice(0, USER_AGENT_MAX_LENGTH).toWellFormed();
}

/** `record` with its User-Agent made auditable; anything that is not a record is returned as it is. */
export function withAuditableUserAgent(record: unknown): unknown {
  const origin = (record as { origin?: unknown } | null)?.origin;
  const userAgent = (origin as { userAgent?: unknown } | null | undefined)?.userAgent;
  if (typeof userAgent !== 'string') return record;
  return { ...(record as object), origin: { ...(origin as object), userAgent: auditableUserAgent(userAgent) } };
}
