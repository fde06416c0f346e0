// Internal: the api pushes an account's current public keys (hashes) here.
import type { FastifyInstance } from 'fastify';
import { Type, type Static } from 'typebox';
import { AccountParams, API_CALLERS, idOf } from '../internal.schemas.ts';
import type { PublicKeyService } from './public-keys.service.ts';

const Body = Type.Object({
  keys: Type.Array(Type.Object({
    key_id: idOf('key'),
    key_hash: Type.String({ pattern: '^[0-9a-f]{64}$' }),
    livemode: Type.Boolean(),
  }, { additionalProperties: false }), { maxItems: 10 }),
}, { additionalProperties: false });

export async function publicKeyRoutes(app: FastifyInstance, opts: { publicKeys: PublicKeyService }) {
  app.put<{ Params: Static<typeof AccountParams>; Body: Static<typeof Body> }>('/internal/v1/accounts/:accountId/public-keys',
    { schema: { params: AccountParams, body: Body }, config: { allowedCallers: API_CALLERS } },
    async (request) => opts.publicKeys.replace(request.params.accountId, request.body.keys, { caller: request.caller!, requestId: request.id }));
}
