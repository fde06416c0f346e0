// The page routes on the real app builder (security headers, form bodies, the Omise error handler of the
// rest of the host) with a stand-in service: answers are HTML whatever goes wrong, the CSP allows the
// page's stylesheet by hash and nothing else, the POST redirects, and there is no HEAD twin.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import qs from 'qs';
import type { FastifyInstance } from 'fastify';
import { createHttpsApp, httpError, registerFormBodies } from '#lib/http/index.ts';
import { createTestCa, createTestLogger, staticIdentity, type TestLogger } from '#lib/http/testing.ts';
import { authorizePage, formatAmount, pageCsp } from './authorize-page.html.ts';
import { pageRefusal } from './page-refusal.ts';
import { threeDSecureRoutes } from './three-d-secure.routes.ts';
import type { PageAnswer, ThreeDSecureService } from './three-d-secure.service.ts';

let app: FastifyInstance;
let log: TestLogger;
const seen: Array<{ id: string; key: unknown; form?: unknown; ip?: string }> = [];
let next: () => Promise<PageAnswer> = async () => ({ kind: 'page', html: '<p>ok</p>', csp: pageCsp() });

before(async () => {
  log = createTestLogger('api');
  const ca = await createTestCa();
  app = await createHttpsApp({ service: 'api', identity: await staticIdentity(ca, 'api'), mtls: false, logger: log.logger });
  registerFormBodies(app, qs.parse);
  const pages: ThreeDSecureService = {
    show: async (id, key) => { seen.push({ id, key }); return next(); },
    submit: async (id, key, form, origin) => { seen.push({ id, key, form, ip: origin.ip }); return next(); },
  };
  await app.register(threeDSecureRoutes, { pages });
  await app.ready();
});
after(async () => {
  await app?.close();
  log?.cleanup();
});

const PATH = '/payments/chrg_test_5x1753iuub61dfe41q4/authorize?key=abc';

test('GET: the page as HTML with its own CSP; the key comes from the query string', async () => {
  next = async () => ({ kind: 'page', html: authorizePage({ merchant: 'M', amount: 150, currency: 'JPY', formValue: 'f' }), csp: pageCsp('https://shop.example/x') });
  const response = await app.inject({ method: 'GET', url: PATH });
  assert.equal(response.statusCode, 200);
  assert.match(String(response.headers['content-type']), /^text\/html; charset=utf-8/);
  assert.equal(response.headers['cache-control'], 'no-store');
  assert.equal(response.headers['x-frame-options'], 'DENY');
  assert.deepEqual(seen.at(-1), { id: 'chrg_test_5x1753iuub61dfe41q4', key: 'abc' });
  // The one stylesheet is allowed by its hash; scripts are not allowed at all.
  const csp = String(response.headers['content-security-policy']);
  const style = /<style>([^<]*)<\/style>/.exec(response.body)![1]!;
  assert.ok(csp.includes(`style-src 'sha256-${createHash('sha256').update(style).digest('base64')}'`), csp);
  assert.match(csp, /^default-src 'none';/);
  assert.doesNotMatch(csp, /script-src|unsafe-inline/);
  assert.match(csp, /form-action 'self' https:\/\/shop\.example;/);
  assert.match(response.body, /JPY 150/);
  assert.equal((await app.inject({ method: 'HEAD', url: PATH })).statusCode, 404, 'no HEAD twin');
});

test('POST: a form body reaches the service with the payer IP; a redirect answers 302 to the location', async () => {
  next = async () => ({ kind: 'redirect', location: 'https://shop.example/back?order=1' });
  const response = await app.inject({
    method: 'POST', url: PATH, headers: { 'content-type': 'application/x-www-form-urlencoded' }, payload: 'form_value=f&result=success', remoteAddress: '203.0.113.9',
  });
  assert.equal(response.statusCode, 302);
  assert.equal(response.headers.location, 'https://shop.example/back?order=1');
  assert.deepEqual(seen.at(-1), { id: 'chrg_test_5x1753iuub61dfe41q4', key: 'abc', form: { form_value: 'f', result: 'success' }, ip: '203.0.113.9' });
});

test('refusals and bad requests are HTML pages with their status, never JSON or a stack', async () => {
  const cases: Array<[() => Promise<PageAnswer>, number, RegExp]> = [
    [async () => { throw pageRefusal('used'); }, 409, /Already completed/],
    [async () => { throw pageRefusal('expired'); }, 410, /Page expired/],
    [async () => { throw pageRefusal('unknown'); }, 404, /Page not found/],
    [async () => { throw httpError(400, 'bad_request', 'odd <input>'); }, 400, /odd &lt;input&gt;/],
    [async () => { throw new Error('database exploded at /secret/path'); }, 500, /Something went wrong/],
  ];
  for (const [answer, status, text] of cases) {
    next = answer;
    const response = await app.inject({ method: 'GET', url: PATH });
    assert.equal(response.statusCode, status);
    assert.match(String(response.headers['content-type']), /^text\/html/);
    assert.match(response.body, text);
    assert.doesNotMatch(response.body, /exploded|"object":"error"/);
  }
  const form = await app.inject({ method: 'POST', url: PATH, headers: { 'content-type': 'text/plain' }, payload: 'x' });
  assert.equal(form.statusCode, 415);
  assert.match(String(form.headers['content-type']), /^text\/html/);
});

test('amounts in major units with the currency\'s decimals', () => {
  assert.equal(formatAmount(100000, 'THB'), 'THB 1,000.00');
  assert.equal(formatAmount(12345, 'USD'), 'USD 123.45');
  assert.equal(formatAmount(1500, 'JPY'), 'JPY 1,500');
  assert.doesNotMatch(pageCsp('https://evil.example;script-src *'), /evil/, 'no odd origin reaches the CSP');
});
