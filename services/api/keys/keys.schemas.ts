// Request shapes of the internal key-management API. Ids are checked here (a malformed one is a 400 on
// this internal API); whether a key is the account's is the service's question (404).
import { Type, type Static } from 'typebox';
import { KEY_LIMITS } from './keys.service.ts';
import { MAX_ALLOWLIST_ENTRIES } from './ip-allowlist.ts';

const ACCOUNT_ID = '^acct_(test_)?[0-9a-z]{19}$';
const KEY_ID = '^key_(test_)?[0-9a-z]{19}$';
/** The person acting: a dashboard user id, or an operator's name at the CLI. Lands in the audit trail. */
const ActorId = Type.String({ pattern: '^[A-Za-z][A-Za-z0-9_.@+-]{0,99}$' });

export const AccountParams = Type.Object({ accountId: Type.String({ pattern: ACCOUNT_ID }) }, { additionalProperties: false });
export type AccountParams = Static<typeof AccountParams>;
export const KeyParams = Type.Object({ accountId: Type.String({ pattern: ACCOUNT_ID }), keyId: Type.String({ pattern: KEY_ID }) }, { additionalProperties: false });
export type KeyParams = Static<typeof KeyParams>;

export const ListQuery = Type.Object({ include_expired: Type.Optional(Type.Boolean()) }, { additionalProperties: false });
export type ListQuery = Static<typeof ListQuery>;

export const CreateBody = Type.Object({
  actor_id: ActorId,
  livemode: Type.Boolean(),
  /** One kind only; both (a pair) when absent. */
  kind: Type.Optional(Type.Union([Type.Literal('public'), Type.Literal('secret')])),
}, { additionalProperties: false });
export type CreateBody = Static<typeof CreateBody>;

export const RollBody = Type.Object({
  actor_id: ActorId,
  /** How long the old key keeps working: 0 (it stops now) to 7 days. */
  grace_seconds: Type.Integer({ minimum: 0, maximum: KEY_LIMITS.maxGraceSeconds }),
}, { additionalProperties: false });
export type RollBody = Static<typeof RollBody>;

export const AllowlistBody = Type.Object({
  actor_id: ActorId,
  /**
   * CIDR blocks (IPv4 or IPv6), or null for any address. `const: null` first, not `type: null`: the
   * validator coerces types, and `""`, `0` or `false` must never lift a restriction (they reach the
   * array branch, become [""]/["0"], and are refused as blocks).
   */
  ip_allowlist: Type.Union([Type.Unsafe<null>({ const: null }), Type.Array(Type.String({ maxLength: 64 }), { minItems: 1, maxItems: MAX_ALLOWLIST_ENTRIES })]),
}, { additionalProperties: false });
export type AllowlistBody = Static<typeof AllowlistBody>;

export const ActorBody = Type.Object({ actor_id: ActorId }, { additionalProperties: false });
export type ActorBody = Static<typeof ActorBody>;
