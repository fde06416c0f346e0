// Request shapes for customers and their cards (docs/omise-compat.md §8.5). Bodies arrive as JSON or
// form-encoded; numbers in forms are strings that these schemas coerce. Path ids are checked by the
// services (a malformed id is simply not found, as for charges), not here.
import { Type, type Static } from 'typebox';
import { NullableText } from '../bodies/null-fields.ts';
import { MetadataSchema as Metadata } from '../metadata/metadata.ts';

// Null means "none" (on an update: clear it); null for any other field is refused (bodies/null-fields.ts).
const Email = NullableText({ maxLength: 254, format: 'email' });
const Description = NullableText({ maxLength: 255 });
/** A token id (`tokn_…`); the vault decides whether it can be used. */
const Token = Type.String({ minLength: 1, maxLength: 64 });

export const CreateCustomerBody = Type.Object({
  email: Type.Optional(Email),
  description: Type.Optional(Description),
  metadata: Type.Optional(Metadata),
  card: Type.Optional(Token),
}, { additionalProperties: false });
export type CreateCustomerBody = Static<typeof CreateCustomerBody>;

export const UpdateCustomerBody = Type.Object({
  email: Type.Optional(Email),
  description: Type.Optional(Description),
  metadata: Type.Optional(Metadata),
  /** A token whose card is added to the customer (it does not replace the others). */
  card: Type.Optional(Token),
  /** One of the customer's cards (`card_…`). */
  default_card: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
}, { additionalProperties: false });
export type UpdateCustomerBody = Static<typeof UpdateCustomerBody>;

/** The fields Omise lets a merchant change on a saved card. */
export const UpdateCardBody = Type.Object({
  name: Type.Optional(Type.String({ minLength: 1, maxLength: 255 })),
  expiration_month: Type.Optional(Type.Integer({ minimum: 1, maximum: 12 })),
  expiration_year: Type.Optional(Type.Integer({ minimum: 1000, maximum: 9999 })),
  city: Type.Optional(Type.String({ maxLength: 255 })),
  postal_code: Type.Optional(Type.String({ maxLength: 20 })),
}, { additionalProperties: false });
export type UpdateCardBody = Static<typeof UpdateCardBody>;

export const CustomerParams = Type.Object({ id: Type.String() });
export const CardParams = Type.Object({ id: Type.String(), cardId: Type.String() });
