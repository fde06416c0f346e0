// Request schemas of the tokens API (Opn Payments / Omise shapes). Types and sizes only: the card
// itself is validated by cards/card-number.ts, which answers `invalid_card` with Omise's wording.
import { Type, type Static } from 'typebox';

const Text = (maxLength: number) => Type.Union([Type.String({ maxLength }), Type.Null()]);
const MonthOrYear = Type.Union([Type.Integer({ minimum: 0, maximum: 9999 }), Type.String({ maxLength: 4 })]);

export const CreateTokenBody = Type.Object({
  card: Type.Object({
    name: Type.Optional(Text(255)),
    // Digits with optional spaces or dashes; longer input is refused before it is looked at.
    number: Type.String({ minLength: 1, maxLength: 40 }),
    expiration_month: MonthOrYear,
    expiration_year: MonthOrYear,
    security_code: Type.Optional(Text(8)),
    city: Type.Optional(Text(255)),
    state: Type.Optional(Text(255)),
    street1: Type.Optional(Text(255)),
    street2: Type.Optional(Text(255)),
    postal_code: Type.Optional(Text(20)),
    country: Type.Optional(Text(2)),
    phone_number: Type.Optional(Text(40)),
    email: Type.Optional(Text(254)),
  }, { additionalProperties: false }),
}, { additionalProperties: false });
export type CreateTokenBodyType = Static<typeof CreateTokenBody>;

export const TokenParams = Type.Object({ id: Type.String({ minLength: 1, maxLength: 64 }) }, { additionalProperties: false });
