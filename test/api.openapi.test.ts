// The OpenAPI document of the api host (GET /openapi.json) against the routes Fastify really
// registered on the public app: same methods and paths both ways, structurally valid OpenAPI 3.1,
// every schema valid JSON Schema 2020-12, and the error shape it describes is the one the api sends.
// The api is built in process without listening (nothing connects to a database or a peer).
import { before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import Fastify from 'fastify';
import Ajv2020Module from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';
import { buildApi } from '../services/api/server.ts';
import { HTTP_METHODS, PUBLIC_KEY_OPERATIONS, PUBLIC_OPERATIONS, type OpenApiDocument } from '../services/api/openapi/document.ts';
import { OPENAPI_PATH } from '../services/api/openapi/openapi.ts';
import { inspectApi, listRoutes, type RegisteredRoute } from '../services/api/openapi/testing.ts';
import { createTestCa, createTestLogger, staticIdentity } from '#lib/http/testing.ts';

type Obj = Record<string, any>;
const Ajv2020 = ((Ajv2020Module as unknown as { default?: unknown }).default ?? Ajv2020Module) as unknown as new (options: object) => Obj;
const addFormats = ((addFormatsModule as unknown as { default?: unknown }).default ?? addFormatsModule) as unknown as (ajv: unknown) => void;
const UNUSED_DATABASE = 'postgres://nobody@127.0.0.1:1/unused';

const toOpenApiPath = (path: string) => path.replace(/:([A-Za-z0-9_]+)/g, '{$1}');
const operationsOf = (document: OpenApiDocument) => Object.entries(document.paths ?? {}).flatMap(([path, item]) =>
  HTTP_METHODS.filter((method) => item[method] !== undefined).map((method) => ({ method: method.toUpperCase(), path, operation: item[method] as Obj })));
/** HEAD routes are Fastify's automatic twins of GET routes; the document leaves them implied. */
const documentable = (routes: RegisteredRoute[]) => routes.filter((route) => route.method !== 'HEAD');

function resolve(document: Obj, ref: string): unknown {
  assert.ok(ref.startsWith('#/'), `only local $refs are expected, got ${ref}`);
  return ref.slice(2).split('/').reduce<any>((node, key) => node?.[key.replaceAll('~1', '/').replaceAll('~0', '~')], document);
}

function walk(node: unknown, visit: (value: Obj, at: string) => void, at = '#'): void {
  if (node === null || typeof node !== 'object') return;
  visit(node as Obj, at);
  for (const [key, value] of Object.entries(node)) walk(value, visit, `${at}/${key}`);
}

describe('the OpenAPI description of the api host', () => {
  let routes: RegisteredRoute[];
  let document: OpenApiDocument;
  let served: number;

  before(async () => {
    ({ routes, document, openapiStatus: served } = await inspectApi(UNUSED_DATABASE));
  });

  test('the route lister reads every method and path of a router, nested and parameterised', async () => {
    const app = Fastify();
    for (const [method, url] of [['GET', '/a'], ['POST', '/a'], ['GET', '/a/:id'], ['POST', '/a/:id/go'], ['GET', '/a/:id/b/:bId'], ['DELETE', '/c/d'], ['PATCH', '/c/e']] as const) {
      app.route({ method, url, handler: async () => ({}) });
    }
    await app.ready();
    const listed = documentable(listRoutes(app)).map((r) => `${r.method} ${r.path}`).sort();
    assert.deepEqual(listed, ['DELETE /c/d', 'GET /a', 'GET /a/:id', 'GET /a/:id/b/:bId', 'PATCH /c/e', 'POST /a', 'POST /a/:id/go']);
    await app.close();
  });

  test('GET /openapi.json answers without a key', () => {
    assert.equal(served, 200);
    assert.ok(routes.some((r) => r.method === 'GET' && r.path === OPENAPI_PATH));
  });

  test('every registered route is in the document, with the same method and path', () => {
    const documented = new Set(operationsOf(document).map((o) => `${o.method} ${o.path}`));
    const missing = documentable(routes).map((r) => `${r.method} ${toOpenApiPath(r.path)}`).filter((key) => !documented.has(key));
    assert.deepEqual(missing, [], `registered on the api's public app but missing from ${OPENAPI_PATH} (hidden, or registered before registerOpenApi in services/api/server.ts?): ${missing.join(', ')}`);
    assert.ok(documentable(routes).length >= 20, `only ${routes.length} routes were found: is the route lister broken?`);
  });

  test('every operation in the document is a registered route', () => {
    const registered = new Set(documentable(routes).map((r) => `${r.method} ${toOpenApiPath(r.path)}`));
    const invented = operationsOf(document).map((o) => `${o.method} ${o.path}`).filter((key) => !registered.has(key));
    assert.deepEqual(invented, [], `in ${OPENAPI_PATH} but not a route: ${invented.join(', ')}`);
  });

  test('the document is structurally valid OpenAPI 3.1', () => {
    assert.match(document.openapi, /^3\.1\.\d+$/);
    const info = document.info as Obj;
    assert.ok(typeof info?.title === 'string' && info.title.length > 0, 'info.title');
    assert.ok(typeof info?.version === 'string' && info.version.length > 0, 'info.version');
    assert.equal(typeof document.paths, 'object', 'paths');
    const schemes = (document.components as Obj)?.securitySchemes as Obj;
    for (const [name, scheme] of Object.entries(schemes ?? {})) {
      assert.ok(['apiKey', 'http', 'mutualTLS', 'oauth2', 'openIdConnect'].includes(scheme.type), `securitySchemes.${name}.type`);
      if (scheme.type === 'http') assert.equal(typeof scheme.scheme, 'string', `securitySchemes.${name}.scheme`);
    }
    const operationIds = new Set<string>();
    for (const { method, path, operation } of operationsOf(document)) {
      const where = `${method} ${path}`;
      assert.ok(path.startsWith('/'), `${where}: paths start with /`);
      const responses = Object.entries(operation.responses ?? {});
      assert.ok(responses.length > 0, `${where}: responses`);
      for (const [status, response] of responses) {
        assert.match(status, /^(default|[1-5](\d\d|XX))$/, `${where}: response key ${status}`);
        const resolved = (response as Obj).$ref ? resolve(document, (response as Obj).$ref) as Obj : response as Obj;
        assert.equal(typeof resolved?.description, 'string', `${where} ${status}: description`);
      }
      const parameters = (operation.parameters ?? []) as Obj[];
      for (const parameter of parameters) {
        assert.ok(['query', 'header', 'path', 'cookie'].includes(parameter.in), `${where}: parameter ${parameter.name} in`);
        assert.ok(typeof parameter.name === 'string' && (parameter.schema !== undefined || parameter.content !== undefined), `${where}: parameter ${parameter.name}`);
        if (parameter.in === 'path') assert.equal(parameter.required, true, `${where}: path parameter ${parameter.name} is required`);
      }
      const templated = [...path.matchAll(/\{([^}]+)\}/g)].map((m) => m[1]).sort();
      assert.deepEqual(parameters.filter((p) => p.in === 'path').map((p) => p.name).sort(), templated, `${where}: one path parameter per template variable`);
      if (operation.requestBody !== undefined) assert.ok(Object.keys(operation.requestBody.content ?? {}).length > 0, `${where}: requestBody.content`);
      for (const requirement of operation.security ?? document.security ?? []) {
        for (const name of Object.keys(requirement)) assert.ok(schemes?.[name], `${where}: security scheme ${name} is defined`);
      }
      if (operation.operationId !== undefined) {
        assert.ok(!operationIds.has(operation.operationId), `${where}: operationId ${operation.operationId} is unique`);
        operationIds.add(operation.operationId);
      }
      assert.ok(operation.summary && operation.tags?.length, `${where}: a summary and tags`);
    }
    walk(document, (node, at) => {
      if (typeof node.$ref === 'string') assert.notEqual(resolve(document, node.$ref), undefined, `${at}: $ref ${node.$ref} resolves`);
    });
  });

  test('every schema in the document is valid JSON Schema 2020-12 (the OpenAPI 3.1 dialect)', () => {
    const ajv = new Ajv2020({ strict: false, allErrors: true });
    addFormats(ajv);
    ajv.addSchema(document, 'openapi.json');
    let compiled = 0;
    walk(document, (node, at) => {
      if (!/\/schema$|^#\/components\/schemas\/[^/]+$/.test(at)) return;
      // Local refs point into the document, which is registered under its own id.
      const schema = JSON.parse(JSON.stringify(node).replaceAll('"$ref":"#/', '"$ref":"openapi.json#/'));
      assert.doesNotThrow(() => ajv.compile(schema), `${at} compiles`);
      compiled++;
    });
    assert.ok(compiled > 10, `only ${compiled} schemas found`);
  });

  test('keys: a secret key unless an operation says otherwise; the public ones say they are', () => {
    for (const { method, path, operation } of operationsOf(document)) {
      const security = operation.security ?? document.security;
      if (PUBLIC_OPERATIONS[path] !== undefined) assert.deepEqual(security, [], `${method} ${path} is public`);
      else if (PUBLIC_KEY_OPERATIONS.has(path)) assert.deepEqual(security, [{ publicKey: [] }, { secretKey: [] }], `${method} ${path} takes either key`);
      // Anything else is checked against the api's behaviour by test/api.route-matrix.test.ts.
      else if (operation.security === undefined) assert.deepEqual(security, [{ secretKey: [] }], `${method} ${path} takes a secret key`);
    }
    assert.ok(operationsOf(document).filter((o) => o.operation.security === undefined).length >= 15, 'most operations inherit the secret key');
    assert.deepEqual(document.security, [{ secretKey: [] }]);
    assert.deepEqual((document.components as Obj).securitySchemes.secretKey, {
      type: 'http', scheme: 'basic', description: (document.components as Obj).securitySchemes.secretKey.description,
    });
  });

  test('the error shape is described, referenced by every operation, and is what the api sends', async () => {
    const error = (document.components as Obj).schemas.Error;
    assert.deepEqual(error.required, ['object', 'location', 'code', 'message']);
    assert.deepEqual(error.properties.object, { const: 'error' });
    assert.deepEqual((document.paths as Obj)['/charges'].post.responses.default, { $ref: '#/components/responses/Error' });
    for (const code of ['bad_request', 'authentication_failure', 'not_found', 'invalid_charge', 'internal_error']) assert.ok(error.properties.code.enum.includes(code), code);
    assert.ok(!error.properties.code.enum.includes('kms_sealed'), 'the KMS\'s own codes are not the api\'s');
    for (const { method, path, operation } of operationsOf(document)) {
      const where = `${method} ${path}`;
      assert.ok(operation.responses.default !== undefined, `${where}: a default (error) response`);
      if ((operation.security ?? document.security).length > 0) assert.deepEqual(operation.responses['401'], { $ref: '#/components/responses/Unauthorized' }, `${where}: 401`);
      // A page for a browser (the payer's 3-D Secure page) answers its errors in HTML, and its operations say so.
      if (operation.responses.default.content?.['text/html'] !== undefined) {
        for (const status of ['404', 'default']) assert.deepEqual(Object.keys(operation.responses[status]?.content ?? {}), ['text/html'], `${where}: ${status} is a page`);
        continue;
      }
      if (path.includes('{')) assert.deepEqual(operation.responses['404'], { $ref: '#/components/responses/NotFound' }, `${where}: 404`);
    }
    const pageOperations = operationsOf(document).filter((o) => o.path.startsWith('/payments/'));
    assert.deepEqual(pageOperations.map((o) => o.method).sort(), ['GET', 'POST'], 'the 3-D Secure page is described');
    assert.ok(pageOperations.every((o) => o.operation.responses.default.content['text/html']), 'its errors are described as HTML');
    // The real error bodies validate against the described schema.
    const ajv = new Ajv2020({ strict: false });
    addFormats(ajv);
    const validate = ajv.compile(error);
    const ca = await createTestCa();
    const log = createTestLogger('api');
    const identities = { internal: await staticIdentity(ca, 'api'), public: await staticIdentity(ca, 'api'), stop() {} };
    const api = await buildApi({ config: { databaseUrl: UNUSED_DATABASE, peers: { vault: 'https://127.0.0.1:9', kms: 'https://127.0.0.1:9' } }, logger: log.logger, identities });
    try {
      for (const request of [{ method: 'GET', url: '/charges' }, { method: 'GET', url: '/no/such/route' }, { method: 'POST', url: OPENAPI_PATH }] as const) {
        const response = await api.publicApp.inject(request);
        assert.ok(response.statusCode >= 400, `${request.method} ${request.url} is refused`);
        assert.ok(validate(response.json()), `${request.method} ${request.url}: ${response.body} does not match the Error schema: ${JSON.stringify(validate.errors)}`);
      }
      // What the page really answers is what the document says for that status: HTML, not the Error object.
      for (const request of [
        { method: 'GET', url: '/payments/chrg_test_0000000000000000000/authorize?key=wrong' },
        { method: 'POST', url: '/payments/chrg_test_0000000000000000000/authorize', payload: 'result=success', headers: { 'content-type': 'application/x-www-form-urlencoded' } },
      ] as const) {
        const response = await api.publicApp.inject(request);
        const documented = (document.paths as Obj)['/payments/{id}/authorize'][request.method.toLowerCase()].responses;
        const described = documented[String(response.statusCode)] ?? documented.default;
        assert.equal(response.statusCode, 404, `${request.method} ${request.url}`);
        assert.match(String(response.headers['content-type']), /^text\/html/, `${request.method} ${request.url} answers a page`);
        assert.deepEqual(Object.keys(described.content), ['text/html'], `${request.method} ${request.url} ${response.statusCode} is documented as a page`);
      }
    } finally {
      await api.close();
      log.cleanup();
    }
  });

  test('list operations document the §5 pagination parameters; bodies may be JSON or form-encoded', () => {
    const list = (document.paths as Obj)['/charges'].get;
    assert.deepEqual(list.parameters.map((p: Obj) => p.name), ['limit', 'offset', 'order', 'from', 'to']);
    const create = (document.paths as Obj)['/charges'].post;
    assert.deepEqual(Object.keys(create.requestBody.content).sort(), ['application/json', 'application/x-www-form-urlencoded']);
    assert.equal(create.requestBody.content['application/json'].schema.properties.description.maxLength, 255, 'TypeBox schemas appear as they are');
  });
});
