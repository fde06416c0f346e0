// The rate-limit hooks in an app built like the api's public one, with a stand-in secret-key check
// (`Authorization: good-<key id>`), in the order server.ts registers them.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { FastifyInstance } from 'fastify';
import { createHttpsApp, httpError } from '#lib/http/index.ts';
import { createTestCa, createTestLogger, staticIdentity, type TestLogger } from '#lib/http/testing.ts';
import type { Identity } from '#lib/tls/index.ts';
import { registerAuthFailureLimit } from '#lib/http/index.ts';
import { DEFAULT_RATE_LIMITS, readRateLimits, registerKeyRateLimit, type RateLimits } from './rate-limit.ts';

let identity: Identity;
let log: TestLogger;
const apps: FastifyInstance[] = [];
let t = 0;
const now = () => t;

async function build(limits: RateLimits): Promise<FastifyInstance> {
  const app = createHttpsApp({ service: 'api', identity, mtls: false, logger: log.logger });
  app.get('/healthz', async () => ({ ok: true }));
  await app.register(async (scope) => {
    registerAuthFailureLimit(scope, limits.authFailuresPerIp, { now });
    scope.decorateRequest('merchant', null);
    scope.addHook('onRequest', async (request) => {
      const match = /^good-(\w+)$/.exec(request.headers.authorization ?? '');
      if (!match?.[1]) throw httpError(401, 'authentication_failure', 'authentication failed');
      request.merchant = { accountId: 'acct_test_1', livemode: false, keyId: match[1] };
    });
    registerKeyRateLimit(scope, limits.perKey, { now });
    scope.get('/account', async () => ({ object: 'account' }));
  });
  await app.ready();
  apps.push(app);
  return app;
}

const get = (app: FastifyInstance, authorization: string, remoteAddress = '198.51.100.7', url = '/account') =>
  app.inject({ method: 'GET', url, headers: { authorization }, remoteAddress });

before(async () => {
  identity = await staticIdentity(await createTestCa(), 'api');
  log = createTestLogger('api');
});
after(async () => {
  for (const app of apps) await app.close();
  log?.cleanup();
});

test('per key: over the limit is 429 too_many_requests with Retry-After, the request id and the Omise error object', async () => {
  t = 0;
  const app = await build({ perKey: { capacity: 3, perSeconds: 60 }, authFailuresPerIp: { capacity: 100, perSeconds: 60 } });
  const statuses = [];
  for (let i = 0; i < 4; i++) statuses.push((await get(app, 'good-keyA')).statusCode);
  assert.deepEqual(statuses, [200, 200, 200, 429]);
  const limited = await get(app, 'good-keyA');
  assert.equal(limited.statusCode, 429);
  assert.equal(limited.headers['retry-after'], '20');
  assert.match(String(limited.headers['x-request-id']), /^req_/);
  const body = JSON.parse(limited.body);
  assert.deepEqual([body.object, body.code, body.location], ['error', 'too_many_requests', 'https://www.omise.co/api-errors#too-many-requests']);
  assert.match(body.message, /too many requests for this key; retry after 20 s/);
  assert.equal((await get(app, 'good-keyB')).statusCode, 200, 'another key has its own bucket');
  t += 20_000;
  assert.equal((await get(app, 'good-keyA')).statusCode, 200, 'after Retry-After');
  assert.equal((await app.inject({ method: 'GET', url: '/healthz' })).statusCode, 200, 'health is not limited');
});

test('failed authentications per IP: after the limit, that IP is refused before its key is even checked', async () => {
  t = 0;
  const app = await build({ perKey: { capacity: 100, perSeconds: 60 }, authFailuresPerIp: { capacity: 2, perSeconds: 60 } });
  const statuses = [];
  for (let i = 0; i < 3; i++) statuses.push((await get(app, 'bad')).statusCode);
  assert.deepEqual(statuses, [401, 401, 429]);
  const limited = await get(app, 'good-keyA');
  assert.deepEqual([limited.statusCode, limited.headers['retry-after']], [429, '30'], 'a guesser cannot tell a right key from a wrong one');
  assert.match(JSON.parse(limited.body).message, /failed authentications from this address/);
  assert.equal((await get(app, 'good-keyA', '203.0.113.9')).statusCode, 200, 'other addresses are not affected');
  t += 30_000;
  assert.equal((await get(app, 'good-keyA')).statusCode, 200, 'successes do not use up the failure budget');
  assert.equal((await get(app, 'good-keyA')).statusCode, 200);
});

test('limits come from the api config section, with documented defaults', () => {
  assert.deepEqual(readRateLimits({}), DEFAULT_RATE_LIMITS);
  assert.deepEqual(DEFAULT_RATE_LIMITS, { perKey: { capacity: 1000, perSeconds: 60 }, authFailuresPerIp: { capacity: 20, perSeconds: 60 } });
  assert.deepEqual(readRateLimits({ rateLimits: { perKeyPerMinute: 5, authFailuresPerMinute: 2 } }), {
    perKey: { capacity: 5, perSeconds: 60 }, authFailuresPerIp: { capacity: 2, perSeconds: 60 },
  });
  assert.throws(() => readRateLimits({ rateLimits: { perKeyPerMinute: 0 } }), /perKeyPerMinute/);
  assert.throws(() => readRateLimits({ rateLimits: { authFailuresPerMinute: '5' } }), /authFailuresPerMinute/);
});
