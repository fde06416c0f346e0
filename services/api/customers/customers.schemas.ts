import { Type, type Static } from 'typebox';

export const Metadata = Type.Record(Type.String({ maxLength: 40 }), Type.Unknown(), { maxProperties: 50 });

export const CreateCustomerBody = Type.Object({
  email: Type.Optional(Type.String({ maxLength: 254, format: 'email' })),
  description: Type.Optional(Type.String({ maxLength: 255 })),
  metadata: Type.Optional(Metadata),
}, { additionalProperties: false });
export type CreateCustomerBody = Static<typeof CreateCustomerBody>;

export const CustomerParams = Type.Object({ id: Type.String({ pattern: '^cust_(test_)?[0-9a-z]{19}$' }) });
