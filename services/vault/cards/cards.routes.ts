// Internal card API (mTLS, caller `api`): attach a token's card to a customer, read, list, update, delete, and
// delete all of a customer's cards (erasure). Answers carry card metadata only.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { Type, type Static } from 'typebox';
import { ACCOUNT_ID_PATTERN, API_CALLERS, idOf, ModeQuery } from '../internal.schemas.ts';
import type { CardService, InternalContext } from './cards.service.ts';
import { TEXT_LIMITS } from './card-number.ts';

const CardParams = Type.Object({ accountId: Type.String({ pattern: ACCOUNT_ID_PATTERN }), cardId: idOf('card') }, { additionalProperties: false });
const CustomerParams = Type.Object({ accountId: Type.String({ pattern: ACCOUNT_ID_PATTERN }), customerId: idOf('cust') }, { additionalProperties: false });
const AttachBody = Type.Object({ livemode: Type.Boolean(), token: Type.String({ minLength: 1, maxLength: 64 }) }, { additionalProperties: false });
const CustomerCardParams = Type.Object({ accountId: Type.String({ pattern: ACCOUNT_ID_PATTERN }), customerId: idOf('cust'), cardId: idOf('card') }, { additionalProperties: false });
// Types and bounds here; what the values may be (control characters, expiry not past) is the service's.
const UpdateBody = Type.Object({
  livemode: Type.Boolean(),
  name: Type.Optional(Type.String({ minLength: 1, maxLength: TEXT_LIMITS.name })),
  expiration_month: Type.Optional(Type.Integer({ minimum: 1, maximum: 12 })),
  expiration_year: Type.Optional(Type.Integer({ minimum: 1000, maximum: 9999 })),
  city: Type.Optional(Type.String({ maxLength: TEXT_LIMITS.city })),
  postal_code: Type.Optional(Type.String({ maxLength: TEXT_LIMITS.postal_code })),
}, { additionalProperties: false });
type Mode = Static<typeof ModeQuery>;

function contextOf(request: FastifyRequest<{ Params: { accountId: string } }>, livemode: boolean): InternalContext {
  return { caller: request.caller!, requestId: request.id, accountId: request.params.accountId, livemode };
}

export async function cardRoutes(app: FastifyInstance, opts: { cards: CardService }) {
  const { cards } = opts;
  const config = { allowedCallers: API_CALLERS };

  app.post<{ Params: Static<typeof CustomerParams>; Body: Static<typeof AttachBody> }>('/internal/v1/accounts/:accountId/customers/:customerId/cards',
    { schema: { params: CustomerParams, body: AttachBody }, config },
    async (request) => cards.attach(contextOf(request, request.body.livemode), request.body.token, request.params.customerId));
  app.get<{ Params: Static<typeof CustomerParams>; Querystring: Mode }>('/internal/v1/accounts/:accountId/customers/:customerId/cards',
    { schema: { params: CustomerParams, querystring: ModeQuery }, config },
    async (request) => ({ object: 'list', data: await cards.listByCustomer(contextOf(request, request.query.livemode), request.params.customerId) }));
  app.patch<{ Params: Static<typeof CustomerCardParams>; Body: Static<typeof UpdateBody> }>('/internal/v1/accounts/:accountId/customers/:customerId/cards/:cardId',
    { schema: { params: CustomerCardParams, body: UpdateBody }, config },
    async (request) => {
      const { livemode, ...details } = request.body;
      return cards.update(contextOf(request, livemode), request.params.customerId, request.params.cardId, details);
    });
  app.post<{ Params: Static<typeof CustomerParams>; Body: Mode }>('/internal/v1/accounts/:accountId/customers/:customerId/erase',
    { schema: { params: CustomerParams, body: ModeQuery }, config },
    async (request) => cards.eraseCustomer(contextOf(request, request.body.livemode), request.params.customerId));
  app.post<{ Params: { accountId: string }; Body: Mode }>('/internal/v1/accounts/:accountId/erase',
    { schema: { params: Type.Object({ accountId: Type.String({ pattern: ACCOUNT_ID_PATTERN }) }, { additionalProperties: false }), body: ModeQuery }, config },
    async (request) => cards.eraseAccount(contextOf(request, request.body.livemode)));
  app.get<{ Params: Static<typeof CardParams>; Querystring: Mode }>('/internal/v1/accounts/:accountId/cards/:cardId',
    { schema: { params: CardParams, querystring: ModeQuery }, config },
    async (request) => cards.get(contextOf(request, request.query.livemode), request.params.cardId));
  app.delete<{ Params: Static<typeof CardParams>; Querystring: Mode }>('/internal/v1/accounts/:accountId/cards/:cardId',
    { schema: { params: CardParams, querystring: ModeQuery }, config },
    async (request) => cards.delete(contextOf(request, request.query.livemode), request.params.cardId));
}
