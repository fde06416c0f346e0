// The official omise client sends `Content-Type: application/json` with an empty body on capture,
// reverse and expire (docs/omise-compat.md §1.3). Within the scope it is installed in, an empty JSON
// body reads as `{}`; anything else goes to Fastify's own JSON parser (prototype poisoning refused).
import type { FastifyInstance } from 'fastify';

export function acceptEmptyJsonBody(app: FastifyInstance): void {
  // Fastify's default parser is the callback kind (request, body, done).
  const json = app.getDefaultJsonParser('error', 'error') as (request: unknown, body: string, done: (error: Error | null, body?: unknown) => void) => void;
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (request, body, done) => {
    const text = typeof body === 'string' ? body : body.toString('utf8');
    if (text.length === 0) {
      done(null, {});
      return;
    }
    json(request, text, done);
  });
}
