// Completes the OpenAPI document @fastify/swagger generates from the routes' schemas: the security
// schemes, the one error shape (docs/omise-compat.md §4), and a summary, tags and error responses on
// every operation. What a route declares itself (`schema.summary`, `schema.tags`, `schema.security`,
// `schema.response`) wins; the defaults here only fill gaps, so a new route is described without
// extra work. A route that declares a `default` response gets no error responses added.
import { ERROR_CODES } from '#lib/http/index.ts';
import { DEFAULT_LIMIT, LIST_ORDERS, MAX_LIMIT, MAX_OFFSET } from '../lists/list-params.ts';

type Json = Record<string, unknown>;
type Operation = Json & { summary?: string; tags?: string[]; security?: unknown[]; parameters?: Json[]; requestBody?: unknown; responses?: Record<string, unknown> };
export type OpenApiDocument = Json & { openapi: string; paths?: Record<string, Record<string, Operation | unknown>>; components?: Json };

export const HTTP_METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'] as const;

/** Routes anyone may call: no key. Everything else needs a secret key unless its schema says otherwise. */
export const PUBLIC_OPERATIONS: Readonly<Record<string, { summary: string }>> = {
  '/healthz': { summary: 'Readiness probe (no key)' },
  '/openapi.json': { summary: 'This OpenAPI description (no key)' },
};

/** Operations that also take a public key (docs/omise-compat.md §2), unless their schema says otherwise. */
export const PUBLIC_KEY_OPERATIONS: ReadonlySet<string> = new Set(['/capability']);

export const SECURITY_SCHEMES = {
  secretKey: {
    type: 'http', scheme: 'basic',
    description: 'HTTP Basic with the secret key (`skey_…`) as the user name and an empty password, as the official omise clients send it.',
  },
  publicKey: {
    type: 'http', scheme: 'basic',
    description: 'HTTP Basic with the public key (`pkey_…`) as the user name; accepted only where an operation lists it.',
  },
} as const;

/** Codes of the KMS's internal API (lib/http/errors.ts): never sent by the api host. */
const KMS_ONLY_CODES = new Set(['kms_sealed', 'key_not_found', 'key_version_unavailable', 'invalid_wrapped_key', 'unwrap_failed']);

const ERROR_SCHEMA = {
  type: 'object',
  description: 'Every error, whatever the status, has this shape (Omise compatible). It never carries a stack trace.',
  required: ['object', 'location', 'code', 'message'],
  additionalProperties: false,
  properties: {
    object: { const: 'error' },
    location: { type: 'string', format: 'uri', description: 'Documentation of the code.' },
    code: { type: 'string', enum: Object.keys(ERROR_CODES).filter((code) => !KMS_ONLY_CODES.has(code)) },
    message: { type: 'string', description: 'Lower-case English; names the offending field when there is one.' },
  },
  examples: [{ object: 'error', location: 'https://www.omise.co/api-errors#not-found', code: 'not_found', message: 'charge chrg_test_5x0000000000000000000 was not found' }],
};

const errorResponse = (description: string) => ({
  description,
  content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } },
});

const ERROR_RESPONSES = {
  BadRequest: errorResponse('The request is malformed or a parameter is invalid (`bad_request` or a specific code such as `invalid_charge`).'),
  Unauthorized: errorResponse('No key, an unknown or expired key, or the wrong kind of key (`authentication_failure`).'),
  NotFound: errorResponse('No such object for this account and mode (another account\'s ids answer the same).'),
  Error: errorResponse('Any other error: 413, 415, 429, 5xx.'),
};

// docs/omise-compat.md §5, as services/api/lists/list-params.ts reads them.
const LIST_PARAMETERS = [
  { name: 'limit', description: `Clamped to 1–${MAX_LIMIT}.`, schema: { type: 'integer', default: DEFAULT_LIMIT } },
  { name: 'offset', schema: { type: 'integer', minimum: 0, maximum: MAX_OFFSET, default: 0 } },
  { name: 'order', schema: { type: 'string', enum: [...LIST_ORDERS], default: 'chronological' } },
  { name: 'from', description: 'ISO 8601; default the epoch.', schema: { type: 'string', format: 'date-time' } },
  { name: 'to', description: 'ISO 8601; default now.', schema: { type: 'string', format: 'date-time' } },
].map((parameter) => ({ in: 'query', required: false, ...parameter }));

const isParam = (segment: string) => segment.startsWith('{');
const singular = (word: string) => (word.endsWith('ies') ? `${word.slice(0, -3)}y` : word.endsWith('s') ? word.slice(0, -1) : word);
const article = (noun: string) => (/^[aeiou]/.test(noun) ? 'an' : 'a');
const capitalized = (word: string) => word.charAt(0).toUpperCase() + word.slice(1).replaceAll('_', ' ');

/** "List charges", "Retrieve a charge's refund", "Capture a charge", "Retrieve the account". */
export function summaryFor(method: string, path: string): string {
  const segments = path.split('/').filter(Boolean);
  const last = segments.at(-1);
  if (last === undefined) return `${method.toUpperCase()} /`;
  const verb = method === 'get' ? 'Retrieve' : ({ post: 'Create', patch: 'Update', put: 'Replace', delete: 'Delete' } as Record<string, string>)[method] ?? method.toUpperCase();
  const ownerOf = (index: number) => {
    const owner = index >= 1 && isParam(segments[index]!) ? singular(segments[index - 1]!) : undefined;
    return owner === undefined ? undefined : `${article(owner)} ${owner}'s`;
  };
  if (isParam(last)) {
    const noun = singular(segments.at(-2) ?? 'object');
    return `${verb} ${ownerOf(segments.length - 3) ?? article(noun)} ${noun}`;
  }
  const owner = ownerOf(segments.length - 2);
  if (!last.endsWith('s')) {
    // A singleton (`/account`) or an action on an object (`/charges/{id}/capture`).
    if (owner === undefined) return `${verb} the ${last.replaceAll('_', ' ')}`;
    return `${capitalized(last)} ${owner.slice(0, -2)}`;
  }
  if (method === 'get') return owner === undefined ? `List ${last}` : `List ${owner} ${last}`;
  return owner === undefined ? `${verb} ${article(singular(last))} ${singular(last)}` : `${verb} ${owner} ${singular(last)}`;
}

function completeOperation(path: string, method: string, operation: Operation): void {
  const publicOperation = PUBLIC_OPERATIONS[path];
  if (publicOperation !== undefined) operation.security ??= [];
  if (PUBLIC_KEY_OPERATIONS.has(path)) operation.security ??= [{ publicKey: [] }, { secretKey: [] }];
  operation.summary ??= publicOperation?.summary ?? summaryFor(method, path);
  operation.tags ??= [publicOperation !== undefined ? 'meta' : path.split('/')[1] ?? 'meta'];
  // A GET on a plural name (`/charges`, `/charges/{id}/refunds`) is a list object (§5).
  const last = path.split('/').at(-1) ?? '';
  if (method === 'get' && last.endsWith('s') && !isParam(last) && !(operation.parameters ?? []).some((p) => p.in === 'query')) {
    operation.parameters = [...(operation.parameters ?? []), ...LIST_PARAMETERS];
  }
  describeFormBodies(operation);
  const responses = (operation.responses ??= {});
  // A route that declares its own default response describes its errors itself (the payer's 3-D Secure page answers HTML).
  if (responses.default !== undefined) return;
  const secured = !(Array.isArray(operation.security) && operation.security.length === 0);
  const ref = (name: keyof typeof ERROR_RESPONSES) => ({ $ref: `#/components/responses/${name}` });
  // A body can always be malformed; a GET only when it takes query parameters.
  if (method !== 'get' || (operation.parameters ?? []).some((p) => p.in !== 'path')) responses['400'] ??= ref('BadRequest');
  if (secured) responses['401'] ??= ref('Unauthorized');
  if (path.includes('{')) responses['404'] ??= ref('NotFound');
  responses.default ??= ref('Error');
}

/** Every body may also come form-encoded (lib/http form-body.ts); none is needed as a whole. */
function describeFormBodies(operation: Operation): void {
  const body = operation.requestBody as { required?: boolean; content?: Record<string, { schema?: Json }> } | undefined;
  const json = body?.content?.['application/json'];
  if (body === undefined || json === undefined) return;
  body.content!['application/x-www-form-urlencoded'] ??= { schema: json.schema ?? {} };
  body.required = Array.isArray(json.schema?.required) && json.schema.required.length > 0;
}

/** swagger's `transformObject`: called once per document build (the plugin caches the result). */
export function completeDocument(document: OpenApiDocument): OpenApiDocument {
  const components = (document.components ??= {}) as Json;
  components.schemas = { ...(components.schemas as Json | undefined), Error: ERROR_SCHEMA };
  components.responses = { ...(components.responses as Json | undefined), ...ERROR_RESPONSES };
  for (const [path, item] of Object.entries(document.paths ?? {})) {
    for (const method of HTTP_METHODS) {
      const operation = item[method];
      if (operation !== undefined) completeOperation(path, method, operation as Operation);
    }
  }
  return document;
}
