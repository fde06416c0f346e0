// Public tokens API on the vault host (public key): POST /tokens, GET /tokens/:id.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Static } from 'typebox';
import { httpError } from '#lib/http/index.ts';
import { merchantOf } from '../merchants/merchant.ts';
import { CreateTokenBody, TokenParams, type CreateTokenBodyType } from './tokens.schemas.ts';
import type { TokenService } from './tokens.service.ts';
import { tokenView } from './token-view.ts';

/**
 * Before schema validation (which coerces types): the card number and security code must arrive as
 * JSON strings. A number loses digits (a 19-digit PAN is beyond exact doubles; a CVV loses its leading
 * zero), so the card that would be tokenized is not the one that was sent.
 */
async function requireTextCardData(request: FastifyRequest) {
  const card = (request.body as { card?: Record<string, unknown> } | null)?.card;
  if (typeof card !== 'object' || card === null) return;
  if (card.number !== undefined && typeof card.number !== 'string') throw httpError(400, 'invalid_card', 'number must be a string of digits');
  if (card.security_code != null && typeof card.security_code !== 'string') throw httpError(400, 'invalid_card', 'security code must be a string of digits');
}

export async function tokenRoutes(app: FastifyInstance, opts: { tokens: TokenService }) {
  const { tokens } = opts;
  const originOf = (host: string) => `https://${host}`;

  app.post<{ Body: CreateTokenBodyType }>('/tokens', { schema: { body: CreateTokenBody }, preValidation: requireTextCardData }, async (request) => {
    const merchant = merchantOf(request);
    // Omise accepts an e-mail with the card but keeps none on it; neither do we.
    const card = { ...request.body.card };
    delete card.email;
    const made = await tokens.create(merchant, card, { ip: request.ip, requestId: request.id });
    return tokenView(made.token, made.card, originOf(request.host));
  });

  app.get<{ Params: Static<typeof TokenParams> }>('/tokens/:id', { schema: { params: TokenParams } }, async (request) => {
    const found = await tokens.find(merchantOf(request), request.params.id);
    if (!found) throw httpError(404, 'not_found', 'token was not found');
    return tokenView(found.token, found.card, originOf(request.host));
  });
}
