// Request shapes of the internal audit read API (dashboard only). Filters mirror lib/audit
// `listEntries`; times are ISO 8601 with a zone, checked again in the route (a 400, never a 500).
import { Type, type Static } from 'typebox';

const ACCOUNT_ID = '^acct_(test_)?[0-9a-z]{19}$';
/** Anything Date.parse reads the same way everywhere: a date, a time and an explicit zone. */
const TIMESTAMP = '^\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}(:\\d{2}(\\.\\d{1,6})?)?(Z|[+-]\\d{2}:\\d{2})$';
const Filter = Type.String({ minLength: 1, maxLength: 200 });

/** Entries in one page: enough for a screen, small enough that one call stays cheap. */
export const AUDIT_PAGE_MAX = 100;

export const AuditAccountParams = Type.Object({ accountId: Type.String({ pattern: ACCOUNT_ID }) }, { additionalProperties: false });
export type AuditAccountParams = Static<typeof AuditAccountParams>;

export const AuditListQuery = Type.Object({
  actor_id: Type.Optional(Filter),
  action: Type.Optional(Type.String({ minLength: 1, maxLength: 100 })),
  target_id: Type.Optional(Filter),
  /** Inclusive lower bound on the entry time. */
  from: Type.Optional(Type.String({ pattern: TIMESTAMP })),
  /** Exclusive upper bound on the entry time. */
  to: Type.Optional(Type.String({ pattern: TIMESTAMP })),
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: AUDIT_PAGE_MAX })),
  /** Cursor: the previous page's `next_before` (entries with a smaller seq). */
  before: Type.Optional(Type.Integer({ minimum: 1, maximum: Number.MAX_SAFE_INTEGER })),
}, { additionalProperties: false });
export type AuditListQuery = Static<typeof AuditListQuery>;
