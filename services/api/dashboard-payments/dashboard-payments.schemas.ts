// Request shapes of the dashboard's payments interface (internal listener, caller `dashboard` only).
// Ids are checked here: a malformed one is a 400 on this internal API; whether it is the account's is
// the services' question (404). List parameters are read by lists/list-params.ts, as on the public API.
import { Type, type Static } from 'typebox';
import { idPattern } from '#lib/contracts/index.ts';

const id = (kind: Parameters<typeof idPattern>[0]) => Type.String({ pattern: idPattern(kind).source });
/** `true` or `false` in the query; test mode when absent. Strings, so no other value is coerced into one. */
const Livemode = Type.Optional(Type.String({ enum: ['true', 'false'] }));
const ListValue = Type.Optional(Type.String({ maxLength: 64 }));

export const AccountParams = Type.Object({ accountId: id('account') }, { additionalProperties: false });
export type AccountParams = Static<typeof AccountParams>;
export const ChargeParams = Type.Object({ accountId: id('account'), chargeId: id('charge') }, { additionalProperties: false });
export type ChargeParams = Static<typeof ChargeParams>;
export const CustomerParams = Type.Object({ accountId: id('account'), customerId: id('customer') }, { additionalProperties: false });
export type CustomerParams = Static<typeof CustomerParams>;

export const ModeQuery = Type.Object({ livemode: Livemode }, { additionalProperties: false });
export type ModeQuery = Static<typeof ModeQuery>;

/** Omise list parameters (docs/omise-compat.md §5), passed on to the list as the public API reads them. */
export const ListQuery = Type.Object({
  livemode: Livemode, limit: ListValue, offset: ListValue, order: ListValue, from: ListValue, to: ListValue,
}, { additionalProperties: false });
export type ListQuery = Static<typeof ListQuery>;

export const NoQuery = Type.Object({}, { additionalProperties: false });

export const RefundBody = Type.Object({
  /** The dashboard user who refunds: the api's audit entry names them. */
  actor_id: id('user'),
  /** In the currency's smallest unit; at most what is left to refund (the refund service checks). */
  amount: Type.Integer({ minimum: 1, maximum: Number.MAX_SAFE_INTEGER }),
  livemode: Type.Boolean(),
  /** Where the user was (their browser's address and User-Agent): the api's audit entry records it as the origin. */
  actor_ip: Type.Optional(Type.String({ minLength: 2, maxLength: 45 })),
  actor_user_agent: Type.Optional(Type.String({ maxLength: 512 })),
}, { additionalProperties: false });
export type RefundBody = Static<typeof RefundBody>;
