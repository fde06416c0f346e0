import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import Type from 'typebox';
import type { FastifyInstance } from 'fastify';
import { createHttpsApp } from './https-app.ts';
import { httpError } from './errors.ts';
import { createTestCa, createTestLogger, staticIdentity, type TestLogger } from './testing.ts';

let app: FastifyInstance;
let log: TestLogger;

const ChargeBody = Type.Object(
  {
    amount: Type.Integer({ minimum: 1 }),
    currency: Type.String({ minLength: 3, maxLength: 3 }),
    capture: Type.Optional(Type.Boolean()),
    card: Type.Optional(Type.Object({ expiration_month: Type.Integer({ minimum: 1, maximum: 12 }) })),
    items: Type.Optional(Type.Array(Type.Object({ name: Type.String() }))),
    kind: Type.Optional(Type.Union([Type.Literal('a'), Type.Literal('b')])),
  },
  { additionalProperties: false },
);

before(async () => {
  log = createTestLogger('api');
  app = createHttpsApp({ service: 'api', identity: await staticIdentity(await createTestCa(), 'api'), mtls: false, logger: log.logger });
  app.post('/charges', { schema: { body: ChargeBody } }, async (request) => ({ ok: true, body: request.body }));
  app.get('/charges', { schema: { querystring: Type.Object({ limit: Type.Integer({ maximum: 100 }) }) } }, async () => ({ ok: true }));
  app.get('/throws', async () => {
    throw new Error('database password=hunter2 failed for card 4242 4242 4242 4242');
  });
  app.get('/throws-status', async () => {
    throw Object.assign(new Error('upstream said 404'), { statusCode: 404 });
  });
  app.get('/throws-string', async () => {
    throw 'not even an error';
  });
  app.get('/http-error', async () => {
    throw httpError(409, 'conflict', 'charge chrg_1 is already captured');
  });
  await app.ready();
});

after(async () => {
  await app.close();
  log.cleanup();
});

const post = (payload: unknown) => app.inject({ method: 'POST', url: '/charges', payload: payload as object });

function assertErrorShape(body: unknown, code: string): { message: string } {
  const b = body as Record<string, unknown>;
  assert.deepEqual(Object.keys(b).sort(), ['code', 'location', 'message', 'object']);
  assert.equal(b.object, 'error');
  assert.equal(b.code, code);
  assert.equal(b.location, `https://www.omise.co/api-errors#${code.replaceAll('_', '-')}`);
  assert.equal(typeof b.message, 'string');
  return b as { message: string };
}

test('schema violations answer 400 bad_request naming the field and the problem', async () => {
  const cases: [unknown, string][] = [
    [{ currency: 'thb' }, 'amount is required'],
    [{ amount: 'ten', currency: 'thb' }, 'amount must be integer'],
    [{ amount: 0, currency: 'thb' }, 'amount must be >= 1'],
    [{ amount: 100, currency: 'thbx' }, 'currency must NOT have more than 3 characters'],
    [{ amount: 100, currency: 'thb', card: { expiration_month: 13 } }, 'card.expiration_month must be <= 12'],
    [{ amount: 100, currency: 'thb', items: [{ name: 'a' }, {}] }, 'items[1].name is required'],
    [{ amount: 100, currency: 'thb', evil: true }, 'evil is not allowed'],
    [[1, 2], 'body must be object'],
  ];
  for (const [payload, message] of cases) {
    const response = await post(payload);
    assert.equal(response.statusCode, 400, JSON.stringify(payload));
    assert.equal(assertErrorShape(response.json(), 'bad_request').message, message);
  }
});

test('unknown fields are rejected, not silently dropped', async () => {
  const response = await post({ amount: 100, currency: 'thb', admin: true });
  assert.equal(response.statusCode, 400);
  const ok = await post({ amount: 100, currency: 'thb' });
  assert.deepEqual(ok.json(), { ok: true, body: { amount: 100, currency: 'thb' } });
});

test('querystring violations name the parameter', async () => {
  const response = await app.inject({ method: 'GET', url: '/charges?limit=1000' });
  assert.equal(response.statusCode, 400);
  assert.equal(assertErrorShape(response.json(), 'bad_request').message, 'limit must be <= 100');
});

test('malformed, empty and prototype-poisoning JSON answer 400, never 500', async () => {
  for (const payload of ['{bad', '', '{"__proto__":{"admin":true}}', '{"constructor":{"prototype":{"admin":true}}}']) {
    const response = await app.inject({ method: 'POST', url: '/charges', headers: { 'content-type': 'application/json' }, payload });
    assert.equal(response.statusCode, 400, payload);
    assertErrorShape(response.json(), 'bad_request');
  }
});

test('unknown route → 404 not_found; wrong method → 404 too', async () => {
  for (const [method, url] of [['GET', '/nope'], ['DELETE', '/charges'], ['PUT', '/charges'], ['OPTIONS', '/charges']] as const) {
    const response = await app.inject({ method, url });
    assert.equal(response.statusCode, 404, `${method} ${url}`);
    assertErrorShape(response.json(), 'not_found');
  }
});

test('an unexpected error → 500 internal_error, generic message, no stack; real error logged scrubbed with the request id', async () => {
  const response = await app.inject({ method: 'GET', url: '/throws' });
  assert.equal(response.statusCode, 500);
  const body = assertErrorShape(response.json(), 'internal_error');
  assert.doesNotMatch(response.body, /hunter2|4242|at |\.ts:|stack|database/);
  assert.match(body.message, /request id/);
  const requestId = response.headers['x-request-id'];
  const line = log.lines().find((l) => l.reqId === requestId && l.msg === 'request failed');
  assert.ok(line, 'error logged with the request id');
  const err = line.err as { message: string; stack: string };
  assert.match(err.message, /\*{4} \*{4} \*{4} 4242/, 'PAN scrubbed');
  assert.ok(err.stack.length > 0, 'stack kept in the log');
  assert.ok(!log.text().includes('4242 4242 4242 4242'));
});

test('an arbitrary error carrying a statusCode is still a 500 (only HttpError is trusted)', async () => {
  const response = await app.inject({ method: 'GET', url: '/throws-status' });
  assert.equal(response.statusCode, 500);
  assert.doesNotMatch(response.body, /upstream/);
});

test('a thrown non-Error is a 500 too', async () => {
  const response = await app.inject({ method: 'GET', url: '/throws-string' });
  assert.equal(response.statusCode, 500);
  assertErrorShape(response.json(), 'internal_error');
});

test('a thrown HttpError answers its status, code and message', async () => {
  const response = await app.inject({ method: 'GET', url: '/http-error' });
  assert.equal(response.statusCode, 409);
  assert.equal(assertErrorShape(response.json(), 'conflict').message, 'charge chrg_1 is already captured');
  assert.equal(response.headers['cache-control'], 'no-store');
});
