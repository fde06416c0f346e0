import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { errorBody, isHttpError, type ErrorCode } from './errors.ts';
import { DEFAULT_CSP } from './security-headers.ts';
import { validationMessage } from './validation-message.ts';

type Classified = { readonly status: number; readonly code: ErrorCode; readonly message: string };

// Framework errors whose cause is the client's request; everything else unrecognised is our fault.
const FRAMEWORK_CLIENT_ERRORS: Readonly<Record<string, Classified>> = {
  FST_ERR_CTP_BODY_TOO_LARGE: { status: 413, code: 'payload_too_large', message: 'request body is too large' },
  FST_ERR_CTP_INVALID_MEDIA_TYPE: { status: 415, code: 'unsupported_media_type', message: 'content type is not supported; send application/json' },
  FST_ERR_CTP_INVALID_JSON_BODY: { status: 400, code: 'bad_request', message: 'request body is not valid JSON' },
  FST_ERR_CTP_EMPTY_JSON_BODY: { status: 400, code: 'bad_request', message: 'request body is empty' },
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: { status: 400, code: 'bad_request', message: 'content-length does not match the body' },
  FST_ERR_CTP_EMPTY_TYPE: { status: 415, code: 'unsupported_media_type', message: 'content type is missing; send application/json' },
  FST_ERR_CTP_INVALID_TYPE: { status: 415, code: 'unsupported_media_type', message: 'content type is not supported; send application/json' },
  FST_ERR_BAD_URL: { status: 400, code: 'bad_request', message: 'request URL is malformed' },
  FST_ERR_ASYNC_CONSTRAINT: { status: 400, code: 'bad_request', message: 'request could not be routed' },
};

const INTERNAL: Classified = { status: 500, code: 'internal_error', message: 'an internal error occurred; the request id identifies it in our logs' };

export function classifyError(error: unknown): Classified {
  if (isHttpError(error)) return { status: error.statusCode, code: error.code, message: error.message };
  const e = error as Partial<FastifyError> | null;
  if (e !== null && typeof e === 'object') {
    if (Array.isArray(e.validation)) {
      return { status: 400, code: 'bad_request', message: validationMessage(e.validation, e.validationContext) };
    }
    const known = typeof e.code === 'string' ? FRAMEWORK_CLIENT_ERRORS[e.code] : undefined;
    if (known !== undefined) return known;
    // Any other framework-raised 4xx (never an arbitrary error that merely carries a statusCode).
    if (typeof e.code === 'string' && e.code.startsWith('FST_ERR_') && typeof e.statusCode === 'number' && e.statusCode >= 400 && e.statusCode < 500) {
      return { status: 400, code: 'bad_request', message: 'request is malformed' };
    }
  }
  return INTERNAL;
}

function send(reply: FastifyReply, classified: Classified): void {
  // An error replaces whatever the route prepared: never cache it, never frame it.
  reply
    .code(classified.status)
    .header('cache-control', 'no-store')
    .header('content-security-policy', DEFAULT_CSP)
    .type('application/json; charset=utf-8')
    .send(errorBody(classified.code, classified.message));
}

/** For errors Fastify raises before routing (bad URL), which bypass the error handler. */
export function sendFrameworkError(error: unknown, reply: FastifyReply): void {
  send(reply, classifyError(error));
}

/** One error handler and one 404 for the whole app; the body is always the Omise error shape. */
export function installErrorHandling(app: FastifyInstance): void {
  app.setErrorHandler((error: unknown, request: FastifyRequest, reply: FastifyReply) => {
    const classified = classifyError(error);
    if (classified.status >= 500) {
      // The logger scrubs PANs from the line; the client only ever sees the generic message.
      request.log.error({ err: error, reqId: request.id }, 'request failed');
    } else if (!isHttpError(error)) {
      request.log.info({ reqId: request.id, reason: classified.message }, 'request rejected');
    }
    send(reply, classified);
  });
  // Unknown path and known path with the wrong method both land here: 404, no method enumeration.
  app.setNotFoundHandler((_request: FastifyRequest, reply: FastifyReply) => {
    send(reply, { status: 404, code: 'not_found', message: 'the requested resource was not found' });
  });
}
