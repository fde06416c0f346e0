// Form-encoded request bodies (`application/x-www-form-urlencoded`), as the Omise reference's curl
// examples send them: bracketed keys nest (`card[name]=…`, `metadata[order]=42`). Values stay strings;
// the routes' JSON schemas coerce numbers and booleans. Only services that want this register it.
//
// The parser (`qs.parse`) is passed in by the service rather than imported here: lib/http is loaded by
// the vault and the KMS, and `qs` is not on the CDE's third-party inventory (test/architecture-rules.ts).
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { httpError } from './errors.ts';

const FORM = 'application/x-www-form-urlencoded';
const utf8 = new TextDecoder('utf-8', { fatal: true });

/** The qs options every form body is read with. Limits are refusals (400), never silent truncation. */
export const FORM_PARSE_OPTIONS = {
  depth: 5,
  parameterLimit: 1000,
  arrayLimit: 50,
  allowPrototypes: false,
  allowDots: false,
  strictNullHandling: false,
  strictDepth: true,
  throwOnLimitExceeded: true,
  // qs's own decoder keeps a bad escape as it is; a malformed body is refused instead.
  decoder: (text: string): string => decodeURIComponent(text.replace(/\+/g, ' ')),
} as const;

/** `qs.parse`, or anything with its contract. */
export type FormParser = (text: string, options: typeof FORM_PARSE_OPTIONS) => unknown;

function malformed(reason: string) {
  return httpError(400, 'bad_request', `request body is not valid form encoding: ${reason}`);
}

/** What the parser threw, as a short reason that never echoes the body. */
function reasonOf(error: unknown): string {
  if (error instanceof URIError) return 'a percent-escape is invalid';
  const message = error instanceof Error ? error.message : '';
  if (message.startsWith('Parameter limit')) return `more than ${FORM_PARSE_OPTIONS.parameterLimit} parameters`;
  if (message.startsWith('Array limit')) return `an array has more than ${FORM_PARSE_OPTIONS.arrayLimit} elements`;
  if (message.startsWith('Input depth')) return `keys nest deeper than ${FORM_PARSE_OPTIONS.depth} levels`;
  return 'it could not be read';
}

/** The body as an object; throws a 400 `bad_request` HttpError for anything malformed. */
export function parseFormBody(bytes: Uint8Array, parse: FormParser): Record<string, unknown> {
  let text: string;
  try {
    text = utf8.decode(bytes);
  } catch {
    throw malformed('it is not UTF-8');
  }
  let parsed: unknown;
  try {
    parsed = parse(text, FORM_PARSE_OPTIONS);
  } catch (error) {
    throw malformed(reasonOf(error));
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) throw malformed('it is not a set of fields');
  return parsed as Record<string, unknown>;
}

function charsetOf(request: FastifyRequest): string | undefined {
  const header = request.headers['content-type'] ?? '';
  const match = /;\s*charset\s*=\s*"?([^";\s]+)"?/i.exec(header);
  return match?.[1]?.toLowerCase();
}

/**
 * Adds the form parser to `app` and the scopes registered in it afterwards. The body is bounded by
 * the app's bodyLimit, as JSON bodies are; errors answer in the Omise error format (the app's handler).
 */
export function registerFormBodies(app: FastifyInstance, parse: FormParser): void {
  app.addContentTypeParser(FORM, { parseAs: 'buffer', bodyLimit: app.initialConfig.bodyLimit }, (request, body, done) => {
    const charset = charsetOf(request);
    if (charset !== undefined && charset !== 'utf-8' && charset !== 'utf8') {
      done(httpError(415, 'unsupported_media_type', 'form bodies must be UTF-8'));
      return;
    }
    try {
      done(null, parseFormBody(typeof body === 'string' ? Buffer.from(body) : body, parse));
    } catch (error) {
      done(error as Error);
    }
  });
}
