// Internal authorization API (mTLS, caller `api`): authorize a charge on a token or a customer's card,
// complete 3-D Secure, capture, reverse, refund, read. Answers carry amounts, statuses, failure codes
// and card metadata, never card data.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { Type, type Static } from 'typebox';
import { ACCOUNT_ID_PATTERN, API_CALLERS, idOf, ModeQuery } from '../internal.schemas.ts';
import type { InternalContext } from '../cards/cards.service.ts';
import type { AuthorizationService } from './authorizations.service.ts';

// Omise's limits: a positive amount in the smallest unit, below 10^12 (safe for bigint and JSON).
const Amount = Type.Integer({ minimum: 1, maximum: 999_999_999_999 });
const Params = Type.Object({ accountId: Type.String({ pattern: ACCOUNT_ID_PATTERN }), id: idOf('auth') }, { additionalProperties: false });
const AccountOnly = Type.Object({ accountId: Type.String({ pattern: ACCOUNT_ID_PATTERN }) }, { additionalProperties: false });
const AuthorizeBody = Type.Object({
  livemode: Type.Boolean(),
  charge_id: idOf('chrg'),
  amount: Amount,
  currency: Type.String({ pattern: '^[A-Z]{3}$' }),
  capture: Type.Boolean(),
  token: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
  card: Type.Optional(idOf('card')),
  customer: Type.Optional(idOf('cust')),
  three_d_secure: Type.Optional(Type.Boolean()),
}, { additionalProperties: false });
const AuthenticateBody = Type.Object({ livemode: Type.Boolean(), authenticated: Type.Boolean() }, { additionalProperties: false });
const CaptureBody = Type.Object({ livemode: Type.Boolean(), amount: Type.Optional(Amount) }, { additionalProperties: false });
const RefundBody = Type.Object({ livemode: Type.Boolean(), amount: Amount, refund_id: idOf('rfnd') }, { additionalProperties: false });

type P = Static<typeof Params>;
function contextOf(request: FastifyRequest<{ Params: { accountId: string } }>, livemode: boolean): InternalContext {
  return { caller: request.caller!, requestId: request.id, accountId: request.params.accountId, livemode };
}

export async function authorizationRoutes(app: FastifyInstance, opts: { authorizations: AuthorizationService }) {
  const { authorizations } = opts;
  const config = { allowedCallers: API_CALLERS };
  const base = '/internal/v1/accounts/:accountId/authorizations';

  app.post<{ Params: Static<typeof AccountOnly>; Body: Static<typeof AuthorizeBody> }>(base, { schema: { params: AccountOnly, body: AuthorizeBody }, config },
    async (request) => {
      const { livemode, ...input } = request.body;
      return authorizations.authorize(contextOf(request, livemode), input);
    });
  app.get<{ Params: P; Querystring: Static<typeof ModeQuery> }>(`${base}/:id`, { schema: { params: Params, querystring: ModeQuery }, config },
    async (request) => authorizations.get(contextOf(request, request.query.livemode), request.params.id));
  app.post<{ Params: P; Body: Static<typeof AuthenticateBody> }>(`${base}/:id/authenticate`, { schema: { params: Params, body: AuthenticateBody }, config },
    async (request) => authorizations.authenticate(contextOf(request, request.body.livemode), request.params.id, request.body.authenticated));
  app.post<{ Params: P; Body: Static<typeof CaptureBody> }>(`${base}/:id/capture`, { schema: { params: Params, body: CaptureBody }, config },
    async (request) => authorizations.capture(contextOf(request, request.body.livemode), request.params.id, request.body.amount));
  app.post<{ Params: P; Body: Static<typeof ModeQuery> }>(`${base}/:id/reverse`, { schema: { params: Params, body: ModeQuery }, config },
    async (request) => authorizations.reverse(contextOf(request, request.body.livemode), request.params.id));
  app.post<{ Params: P; Body: Static<typeof RefundBody> }>(`${base}/:id/refunds`, { schema: { params: Params, body: RefundBody }, config },
    async (request) => authorizations.refund(contextOf(request, request.body.livemode), request.params.id, request.body.amount, request.body.refund_id));
}
