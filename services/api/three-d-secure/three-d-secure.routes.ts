// The payer's 3-D Secure page on the api host: `GET|POST /payments/:id/authorize?key=…`. No API key
// (the payer's browser has none): the page key is the capability, checked by the service. Answers are
// HTML, refusals included; the form posts back to the same address (form-encoded, as browsers send).
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import { classifyError } from '#lib/http/index.ts';
import { requestOrigin } from '../auth/request-origin.ts';
import { errorPage, pageCsp } from './authorize-page.html.ts';
import { isPageRefusal } from './page-refusal.ts';
import type { PageAnswer, ThreeDSecureService } from './three-d-secure.service.ts';

type PageRequest = { Params: { id: string }; Querystring: { key?: string } };

const html = (description: string) => ({ description, content: { 'text/html': { schema: { type: 'string' } } } });

/**
 * What the page answers, for the OpenAPI document: HTML, errors included (never the API's JSON error
 * object, which the document would otherwise give every operation). Refusals: page-refusal.ts.
 */
const PAGE_RESPONSES = {
  200: html('The page (GET), or the result page when the charge has no return_uri (POST).'),
  400: html('Nothing was chosen on the form, or the request is malformed.'),
  404: html('No such page: the charge id or the page key is wrong (the same answer for either).'),
  409: html('Authentication is already complete, or the charge is no longer waiting for it.'),
  410: html('The charge expired before it was authenticated.'),
  default: html('Any other refusal or error (413, 415, 5xx), as a page.'),
};
const SUBMIT_RESPONSES = {
  ...PAGE_RESPONSES,
  302: { description: 'Done: the payer goes back to the charge\'s return_uri.', headers: { location: { type: 'string', format: 'uri' } }, type: 'null' },
  403: html('The form does not belong to this page.'),
  503: html('The card issuer could not be reached; nothing changed.'),
};

// Ids and keys are checked by the service (one refusal for any wrong part), not by the schema.
const schema = (summary: string, response: object) => ({
  summary, tags: ['3-D Secure'], security: [],
  params: Type.Object({ id: Type.String() }),
  querystring: Type.Object({ key: Type.Optional(Type.String()) }),
  response,
});

function sendPage(reply: FastifyReply, status: number, html: string, csp: string) {
  return reply.code(status).header('content-security-policy', csp).type('text/html; charset=utf-8').send(html);
}

function answer(reply: FastifyReply, page: PageAnswer) {
  return page.kind === 'redirect' ? reply.redirect(page.location, 302) : sendPage(reply, 200, page.html, page.csp);
}

export async function threeDSecureRoutes(app: FastifyInstance, opts: { pages: ThreeDSecureService }) {
  const { pages } = opts;
  // The payer reads HTML: refusals and bad requests are pages too (this scope only).
  app.setErrorHandler((error: unknown, request: FastifyRequest, reply: FastifyReply) => {
    if (isPageRefusal(error)) return sendPage(reply, error.status, errorPage(error.title, error.message), pageCsp());
    const classified = classifyError(error);
    if (classified.status >= 500) {
      request.log.error({ err: error, reqId: request.id }, '3-D Secure page failed');
      return sendPage(reply, classified.status, errorPage('Something went wrong', 'The page could not be completed. Try again in a moment.'), pageCsp());
    }
    return sendPage(reply, classified.status, errorPage('Request refused', classified.message), pageCsp());
  });

  // No HEAD twin: a link preview has nothing to learn here.
  app.get<PageRequest>('/payments/:id/authorize', { schema: schema('3-D Secure page for the payer (HTML, no key)', PAGE_RESPONSES), exposeHeadRoute: false },
    async (request, reply) => answer(reply, await pages.show(request.params.id, request.query.key)));
  app.post<PageRequest>('/payments/:id/authorize', { schema: schema('The payer\'s choice on the 3-D Secure page (form, no key)', SUBMIT_RESPONSES) },
    async (request, reply) => answer(reply, await pages.submit(request.params.id, request.query.key, request.body,
      requestOrigin(request))));
}
