// Form-encoded bodies over real HTTPS: bracketed keys nest, schemas coerce the string values, prototype
// pollution does nothing, limits and malformed bodies are 4xx Omise errors, and any object of strings
// and nested objects survives qs.stringify → the wire → the parser.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import https from 'node:https';
import fc from 'fast-check';
import qs from 'qs';
import Type from 'typebox';
import type { FastifyInstance } from 'fastify';
import type { CertificateAuthority } from '#lib/tls/index.ts';
import { createHttpsApp } from './https-app.ts';
import { registerFormBodies } from './form-body.ts';
import { createTestCa, createTestLogger, listen, staticIdentity, type TestLogger } from './testing.ts';

const BODY_LIMIT = 64 * 1024;
const FORM = 'application/x-www-form-urlencoded';

let ca: CertificateAuthority;
let app: FastifyInstance;
let port: number;
let log: TestLogger;
let agent: https.Agent;

const Typed = Type.Object({
  amount: Type.Integer({ minimum: 1 }),
  capture: Type.Optional(Type.Boolean()),
  card: Type.Optional(Type.Object({ name: Type.String(), expiration_month: Type.Integer({ minimum: 1, maximum: 12 }) }, { additionalProperties: false })),
  metadata: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
}, { additionalProperties: false });

before(async () => {
  ca = await createTestCa();
  log = createTestLogger('api');
  app = createHttpsApp({ service: 'api', identity: await staticIdentity(ca, 'api'), mtls: false, logger: log.logger, bodyLimit: BODY_LIMIT });
  registerFormBodies(app, qs.parse);
  app.post('/echo', async (request) => ({ body: request.body ?? null }));
  // A scope registered afterwards inherits the parser, as the api's merchant routes do.
  await app.register(async (scope) => {
    scope.post('/typed', { schema: { body: Typed } }, async (request) => ({ body: request.body }));
  });
  port = await listen(app);
  agent = new https.Agent({ keepAlive: true, ca: ca.certPem });
});

after(async () => {
  agent?.destroy();
  await app?.close();
  log?.cleanup();
});

type Answer = { status: number; json: Record<string, any> };

function post(path: string, body: string | Buffer, contentType = FORM): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const payload = typeof body === 'string' ? Buffer.from(body, 'utf8') : body;
    const request = https.request({
      host: '127.0.0.1', port, servername: 'localhost', path, method: 'POST', agent,
      headers: { 'content-type': contentType, 'content-length': payload.length },
    }, (response) => {
      let text = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => (text += chunk));
      response.on('end', () => {
        try {
          resolve({ status: response.statusCode ?? 0, json: JSON.parse(text) as Record<string, any> });
        } catch (error) {
          reject(new Error(`not JSON (${response.statusCode}): ${text.slice(0, 200)}`, { cause: error }));
        }
      });
    });
    request.on('error', reject);
    request.setTimeout(10_000, () => request.destroy(new Error('timeout')));
    request.end(payload);
  });
}

function assertOmiseError(answer: Answer, status: number, code: string, message?: RegExp) {
  assert.equal(answer.status, status, JSON.stringify(answer.json));
  assert.deepEqual(Object.keys(answer.json).sort(), ['code', 'location', 'message', 'object']);
  assert.equal(answer.json.object, 'error');
  assert.equal(answer.json.code, code);
  if (message) assert.match(answer.json.message, message);
}

describe('form-encoded bodies', () => {
  test('bracketed keys nest into objects and arrays; values are strings; + and %20 are spaces', async () => {
    const answer = await post('/echo', 'card[name]=Somchai+Prasert&card[expiration_month]=12&metadata[order]=42&metadata[note]=gift%20wrap'
      + '&metadata[tags][]=a&metadata[tags][]=b&metadata[deep][er]=x&email=a%40b.c&empty=');
    assert.equal(answer.status, 200);
    assert.deepEqual(answer.json.body, {
      card: { name: 'Somchai Prasert', expiration_month: '12' },
      metadata: { order: '42', note: 'gift wrap', tags: ['a', 'b'], deep: { er: 'x' } },
      email: 'a@b.c',
      empty: '',
    });
    // Encoded brackets are brackets too (curl --data-urlencode writes them so).
    assert.deepEqual((await post('/echo', 'card%5Bname%5D=A&card%5bcity%5d=B')).json.body, { card: { name: 'A', city: 'B' } });
    // An empty form is an empty object; a content-type with charset=utf-8 is the same format.
    assert.deepEqual((await post('/echo', '')).json.body, {});
    assert.deepEqual((await post('/echo', 'a=1', `${FORM}; charset=UTF-8`)).json.body, { a: '1' });
  });

  test("route schemas coerce the strings (integers, booleans) and still refuse what they don't allow", async () => {
    const ok = await post('/typed', 'amount=100000&capture=false&card[name]=A&card[expiration_month]=7&metadata[order]=42');
    assert.equal(ok.status, 200, JSON.stringify(ok.json));
    assert.deepEqual(ok.json.body, { amount: 100000, capture: false, card: { name: 'A', expiration_month: 7 }, metadata: { order: '42' } });
    assertOmiseError(await post('/typed', 'amount=ten'), 400, 'bad_request', /^amount must be integer$/);
    assertOmiseError(await post('/typed', 'amount=1&card[name]=A&card[expiration_month]=13'), 400, 'bad_request', /card\.expiration_month must be <= 12/);
    assertOmiseError(await post('/typed', 'amount=1&admin=true'), 400, 'bad_request', /admin is not allowed/);
    assertOmiseError(await post('/typed', 'amount=1&capture=maybe'), 400, 'bad_request', /capture must be boolean/);
  });

  test('prototype pollution attempts do nothing: no global change, no such keys in the body', async () => {
    const attempts = [
      '__proto__[polluted]=1', '__proto__=1', 'constructor[prototype][polluted]=1', 'a[__proto__][polluted]=1',
      'a[constructor][prototype][polluted]=1', '__proto__%5Bpolluted%5D=1', 'toString=1', 'hasOwnProperty=1', 'a[valueOf]=1',
    ];
    for (const attempt of attempts) {
      const answer = await post('/echo', `${attempt}&ok=1`);
      assert.equal(answer.status, 200, attempt);
      assert.deepEqual(answer.json.body, { ok: '1' }, attempt);
    }
    const combined = await post('/typed', 'amount=5&__proto__[admin]=true&constructor[prototype][admin]=true&metadata[__proto__][admin]=true');
    assert.equal(combined.status, 200, JSON.stringify(combined.json));
    assert.deepEqual(combined.json.body, { amount: 5 });
    const probe: Record<string, unknown> = {};
    assert.equal(probe.polluted, undefined);
    assert.equal(probe.admin, undefined);
    assert.equal(Object.prototype.hasOwnProperty.call(Object.prototype, 'polluted'), false);
    assert.equal(typeof probe.toString, 'function', 'Object.prototype is intact');
  });

  test('parameter, depth and array limits: at the limit read, past it refused with 400', async () => {
    const params = (n: number) => Array.from({ length: n }, (_, i) => `k${i}=v`).join('&');
    const thousand = await post('/echo', params(1000));
    assert.equal(thousand.status, 200);
    assert.equal(Object.keys(thousand.json.body).length, 1000);
    assertOmiseError(await post('/echo', params(1001)), 400, 'bad_request', /more than 1000 parameters/);

    assert.deepEqual((await post('/echo', 'a[b][c][d][e][f]=1')).json.body, { a: { b: { c: { d: { e: { f: '1' } } } } } });
    assertOmiseError(await post('/echo', 'a[b][c][d][e][f][g]=1'), 400, 'bad_request', /deeper than 5 levels/);

    const items = (n: number) => Array.from({ length: n }, () => 'a[]=x').join('&');
    assert.equal((await post('/echo', items(50))).json.body.a.length, 50);
    assertOmiseError(await post('/echo', items(51)), 400, 'bad_request', /more than 50 elements/);
    assertOmiseError(await post('/echo', 'a[50]=x'), 400, 'bad_request', /more than 50 elements/);
    assertOmiseError(await post('/echo', Array.from({ length: 51 }, () => 'a=x').join('&')), 400, 'bad_request', /more than 50 elements/);
  });

  test("the body is bounded by the app's bodyLimit: 413 payload_too_large past it", async () => {
    const near = `a=${'x'.repeat(BODY_LIMIT - 2)}`;
    assert.equal((await post('/echo', near)).status, 200);
    assertOmiseError(await post('/echo', `${near}x`), 413, 'payload_too_large');
  });

  test('malformed bodies are 400 bad_request (bad escapes, escapes of invalid UTF-8, raw non-UTF-8); other charsets 415', async () => {
    for (const body of ['a=%zz', 'a=%', 'a=%e', '%zz=1', 'a=%ff', 'a=%C3%28']) {
      assertOmiseError(await post('/echo', body), 400, 'bad_request', /not valid form encoding: a percent-escape is invalid/);
    }
    assertOmiseError(await post('/echo', Buffer.from([0x61, 0x3d, 0xff, 0xfe])), 400, 'bad_request', /not UTF-8/);
    assertOmiseError(await post('/echo', 'a=1', `${FORM}; charset=iso-8859-1`), 415, 'unsupported_media_type', /UTF-8/);
    // Raw UTF-8 (what `curl -d 'name=Jöhn'` sends) is fine.
    assert.deepEqual((await post('/echo', 'name=Jöhn')).json.body, { name: 'Jöhn' });
    // JSON keeps working beside forms.
    assert.deepEqual((await post('/typed', '{"amount":"12"}', 'application/json')).json.body, { amount: 12 });
    assert.equal(log.text().includes('%zz'), false, 'bodies are not logged');
  });

  test('property: any object of strings and nested objects, qs.stringify-encoded, round-trips', async () => {
    // Keys qs cannot carry as plain data: brackets (nesting syntax), canonical integers (array
    // indices), Object.prototype names (dropped by design, above) and the empty key.
    const reserved = new Set(Object.getOwnPropertyNames(Object.prototype));
    const key = fc.string({ unit: 'grapheme', minLength: 1, maxLength: 12 })
      .filter((k) => !/[[\]]/.test(k) && !/^\d+$/.test(k) && !reserved.has(k));
    const value = fc.string({ unit: 'grapheme', maxLength: 20 });
    const { tree } = fc.letrec<{ tree: Record<string, unknown>; node: unknown }>((tie) => ({
      tree: fc.dictionary(key, tie('node'), { minKeys: 1, maxKeys: 4, noNullPrototype: true }),
      node: fc.oneof({ depthSize: 'small', maxDepth: 4 }, value, tie('tree')),
    }));
    await fc.assert(
      fc.asyncProperty(tree, async (object) => {
        const answer = await post('/echo', qs.stringify(object));
        assert.equal(answer.status, 200, JSON.stringify(answer.json));
        assert.deepEqual(answer.json.body, object);
      }),
      { numRuns: 150 },
    );
  });
});
