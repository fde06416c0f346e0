// Seal administration on the mTLS listener: operators initialise, unseal (one share per request),
// reset and seal; any internal identity may read the seal status (callers fail closed on it).
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Static } from 'typebox';
import { ADMIN_CALLERS, InitBody, ShareBody } from '#lib/contracts/index.ts';
import type { CallContext } from '../keys/keys.service.ts';
import type { SealService } from './seal.service.ts';

function contextOf(request: FastifyRequest): CallContext {
  return { caller: request.caller, ip: request.ip, requestId: request.id };
}

export async function sealRoutes(app: FastifyInstance, opts: { seal: SealService }) {
  const { seal } = opts;
  const admin = { allowedCallers: ADMIN_CALLERS };
  app.get('/v1/sys/seal-status', { config: { allowedCallers: ['*'] } }, async () => seal.status());
  app.post<{ Body: Static<typeof InitBody> }>('/v1/sys/init', { schema: { body: InitBody }, config: admin },
    async (request) => seal.initialize(contextOf(request), request.body));
  app.post<{ Body: Static<typeof ShareBody> }>('/v1/sys/unseal', { schema: { body: ShareBody }, config: admin },
    async (request) => seal.submitShare(contextOf(request), request.body.share));
  app.post('/v1/sys/unseal/reset', { config: admin }, async (request) => seal.resetUnseal(contextOf(request)));
  app.post('/v1/sys/seal', { config: admin }, async (request) => seal.seal(contextOf(request)));
}
