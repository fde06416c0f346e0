// Request shapes for charges and refunds. Amounts and currencies are read by hand (charge-input.ts)
// so that a bad one gets Omise's `invalid_charge` / `invalid_amount` with a clear message rather than
// a generic schema error; every other field is checked here.
import { Type, type Static } from 'typebox';
import { NullableText } from '../bodies/null-fields.ts';
import { MetadataSchema as Metadata } from '../metadata/metadata.ts';

const Id = Type.String({ maxLength: 64 });

export const CreateChargeBody = Type.Object({
  amount: Type.Optional(Type.Unknown()),
  currency: Type.Optional(Type.Unknown()),
  card: Type.Optional(Id),
  customer: Type.Optional(Id),
  capture: Type.Optional(Type.Boolean()),
  authorization_type: Type.Optional(Type.String({ enum: ['pre_auth', 'final_auth'] })),
  // Null means "none" for these (the charge shows null); null for any other field is refused (bodies/null-fields.ts).
  description: Type.Optional(NullableText({ maxLength: 255 })),
  metadata: Type.Optional(Metadata),
  return_uri: Type.Optional(NullableText({ maxLength: 2048 })),
  ip: Type.Optional(NullableText({ maxLength: 64 })),
  /** Ask for 3-D Secure on this charge (services/api/three-d-secure); PASSKEY is refused. */
  authentication: Type.Optional(Type.String({ enum: ['3DS', 'PASSKEY'] })),
  zero_interest_installments: Type.Optional(Type.Boolean()),
}, { additionalProperties: false });
export type CreateChargeBody = Static<typeof CreateChargeBody>;

export const UpdateChargeBody = Type.Object({
  /** null clears it. */
  description: Type.Optional(NullableText({ maxLength: 255 })),
  metadata: Type.Optional(Metadata),
}, { additionalProperties: false });
export type UpdateChargeBody = Static<typeof UpdateChargeBody>;

export const CaptureBody = Type.Object({
  capture_amount: Type.Optional(Type.Unknown()),
}, { additionalProperties: false });
export type CaptureBody = Static<typeof CaptureBody>;

export const CreateRefundBody = Type.Object({
  amount: Type.Optional(Type.Unknown()),
  metadata: Type.Optional(Metadata),
}, { additionalProperties: false });
export type CreateRefundBody = Static<typeof CreateRefundBody>;

/** Path ids are checked by the service (a malformed id is simply not found), not by the schema. */
export const ChargeParams = Type.Object({ id: Type.String() });
export const RefundParams = Type.Object({ id: Type.String(), refundId: Type.String() });
