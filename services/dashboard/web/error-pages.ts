// One error page for the dashboard's pages: the status, a title and a safe message (an HttpError's
// own text; anything unexpected is a 500 with a generic one, logged with its request id). Unknown
// paths in the page scope land on a catch-all route, since the app's 404 handler belongs to lib/http.
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { classifyError } from '#lib/http/index.ts';
import { renderPage } from './views.ts';

const TITLES: Readonly<Record<number, string>> = {
  400: 'That request was not right',
  401: 'Please sign in',
  403: 'Not allowed',
  404: 'Page not found',
  413: 'That was too much',
  415: 'That request was not right',
  429: 'Too many attempts',
};

export function titleFor(status: number): string {
  return TITLES[status] ?? (status >= 500 ? 'Something went wrong' : 'That request was not right');
}

export async function renderError(request: FastifyRequest, reply: FastifyReply, status: number, message: string): Promise<FastifyReply> {
  return renderPage(request, reply, 'error', { title: titleFor(status), status, message }, status);
}

export function installErrorPages(scope: FastifyInstance): void {
  scope.setErrorHandler(async (error: FastifyError, request, reply) => {
    const classified = classifyError(error);
    if (classified.status >= 500) request.log.error({ err: error, reqId: request.id }, 'request failed');
    else request.log.info({ reqId: request.id, status: classified.status, reason: classified.message }, 'request rejected');
    try {
      return await renderError(request, reply, classified.status, classified.message);
    } catch (renderFailure) {
      request.log.error({ err: renderFailure }, 'error page failed to render');
      return reply.code(classified.status).type('text/plain; charset=utf-8').send(classified.message);
    }
  });
  const notFound = async (request: FastifyRequest, reply: FastifyReply) =>
    renderError(request, reply, 404, 'There is no page at this address.');
  scope.get('/*', notFound);
  scope.route({ method: ['POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'], url: '/*', config: { csrf: false }, handler: notFound });
}
