// Events on the API host (secret key), as the official omise client calls them
// (node_modules/omise/lib/resources/Event.js: `events.list(params)`, `events.retrieve(id)`).
import type { FastifyInstance } from 'fastify';
import { Type } from 'typebox';
import { merchantOf } from '../auth/secret-key.auth.ts';
import type { EventService } from './events.service.ts';

/** Path ids are checked by the service (a malformed id is simply not found), not by the schema. */
const EventParams = Type.Object({ id: Type.String() });

export async function eventRoutes(app: FastifyInstance, opts: { events: EventService }) {
  const { events } = opts;
  app.get('/events', async (request) => events.list(merchantOf(request), request.query));
  app.get<{ Params: { id: string } }>('/events/:id', { schema: { params: EventParams } }, async (request) =>
    events.retrieve(merchantOf(request), request.params.id));
}
