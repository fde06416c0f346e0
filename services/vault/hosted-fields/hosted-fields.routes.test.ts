import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import type { FastifyInstance } from 'fastify';
import { createHttpsApp, DEFAULT_CSP } from '#lib/http/index.ts';
import { createTestCa, createTestLogger, listen, rawRequest, staticIdentity, type RawResponse, type TestLogger } from '#lib/http/testing.ts';
import { ASSET_CACHE_CONTROL, CARD_FRAME_CSP, HOSTED_FIELDS_ASSETS, HOSTED_FIELDS_PREFIX, hostedFieldsRoutes } from './hosted-fields.routes.ts';

let app: FastifyInstance;
let port: number;
let caPem: string;
let log: TestLogger;

before(async () => {
  const ca = await createTestCa();
  caPem = ca.certPem;
  log = createTestLogger('vault');
  app = createHttpsApp({ service: 'vault', identity: await staticIdentity(ca, 'vault'), mtls: false, logger: log.logger });
  await app.register(hostedFieldsRoutes);
  app.get('/other', async () => ({ ok: true }));
  port = await listen(app);
});

after(async () => {
  await app.close();
  log.cleanup();
});

const get = (path: string, headers?: Record<string, string>): Promise<RawResponse> => rawRequest(port, { path, ca: caPem, headers });
const fileText = (name: string) => readFile(new URL(`./assets/${name}`, import.meta.url), 'utf8');

const EXPECTED = [
  { name: 'strongroom.js', type: 'text/javascript; charset=utf-8', corp: 'cross-origin' },
  { name: 'card-frame.html', type: 'text/html; charset=utf-8', corp: 'cross-origin' },
  { name: 'card-frame.js', type: 'text/javascript; charset=utf-8', corp: 'same-origin' },
  { name: 'card-frame.css', type: 'text/css; charset=utf-8', corp: 'same-origin' },
] as const;

describe('hosted fields assets', () => {
  test('the table serves exactly the four documented files', () => {
    assert.deepEqual(Object.keys(HOSTED_FIELDS_ASSETS).sort(), EXPECTED.map((e) => e.name).sort());
  });

  for (const { name, type, corp } of EXPECTED) {
    test(`${name}: 200, the file's bytes, its content type, caching and resource policy`, async () => {
      const response = await get(`${HOSTED_FIELDS_PREFIX}/${name}`);
      assert.equal(response.status, 200);
      assert.equal(response.body, await fileText(name));
      assert.equal(response.headers['content-type'], type);
      assert.equal(response.headers['cache-control'], ASSET_CACHE_CONTROL);
      assert.equal(response.headers['cross-origin-resource-policy'], corp);
      assert.equal(response.headers['x-content-type-options'], 'nosniff');
      assert.match(String(response.headers['strict-transport-security']), /max-age=\d+/);
      assert.match(String(response.headers.etag), /^"[A-Za-z0-9_-]{27}"$/);
    });
  }

  test('only the card frame is frameable, by HTTPS pages, under the frame CSP', async () => {
    const frame = await get(`${HOSTED_FIELDS_PREFIX}/card-frame.html`);
    assert.equal(frame.headers['x-frame-options'], undefined);
    assert.equal(
      frame.headers['content-security-policy'],
      "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; form-action 'none'; base-uri 'none'; frame-ancestors https:",
    );
    assert.equal(frame.headers['content-security-policy'], CARD_FRAME_CSP);
    for (const name of ['strongroom.js', 'card-frame.js', 'card-frame.css']) {
      const response = await get(`${HOSTED_FIELDS_PREFIX}/${name}`);
      assert.equal(response.headers['x-frame-options'], 'DENY', name);
      assert.equal(response.headers['content-security-policy'], DEFAULT_CSP, name);
    }
    const other = await get('/other');
    assert.equal(other.status, 200);
    assert.equal(other.headers['x-frame-options'], 'DENY');
    assert.equal(other.headers['content-security-policy'], DEFAULT_CSP);
    assert.equal(other.headers['cache-control'], 'no-store');
    assert.equal(other.headers['cross-origin-resource-policy'], 'same-origin');
  });

  test("no 'unsafe-inline' or 'unsafe-eval' in any policy, and no inline script, style or handler in the page", async () => {
    for (const { name } of EXPECTED) {
      const csp = String((await get(`${HOSTED_FIELDS_PREFIX}/${name}`)).headers['content-security-policy']);
      assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval|\*/, name);
    }
    const html = await fileText('card-frame.html');
    const scripts = [...html.matchAll(/<script\b([^>]*)>([\s\S]*?)<\/script>/gi)];
    assert.equal(scripts.length, 1);
    for (const [, attributes, content] of scripts) {
      assert.match(attributes ?? '', /\bsrc="card-frame\.js"/);
      assert.equal(content?.trim(), '');
    }
    assert.match(html, /<link rel="stylesheet" href="card-frame\.css">/);
    assert.doesNotMatch(html, /<style\b|\sstyle=|\son[a-z]+=|javascript:/i);
  });

  test('a matching If-None-Match gets 304 without a body; another tag gets the file', async () => {
    const first = await get(`${HOSTED_FIELDS_PREFIX}/strongroom.js`);
    const etag = String(first.headers.etag);
    const cached = await get(`${HOSTED_FIELDS_PREFIX}/strongroom.js`, { 'if-none-match': `"other", W/${etag}` });
    assert.equal(cached.status, 304);
    assert.equal(cached.body, '');
    assert.equal(cached.headers['cross-origin-resource-policy'], 'cross-origin');
    const stale = await get(`${HOSTED_FIELDS_PREFIX}/strongroom.js`, { 'if-none-match': '"stale"' });
    assert.equal(stale.status, 200);
    assert.equal(stale.body, first.body);
  });

  test('no other path under the prefix answers, and none needs credentials', async () => {
    for (const path of ['/hosted/v1/', '/hosted/v1/../server.ts', '/hosted/v1/hosted-fields.routes.ts', '/hosted/v1/assets/strongroom.js', '/hosted/v2/strongroom.js']) {
      const response = await get(path);
      assert.equal(response.status, 404, path);
      assert.equal((response.json() as { code: string }).code, 'not_found', path);
    }
    const posted = await rawRequest(port, { path: `${HOSTED_FIELDS_PREFIX}/strongroom.js`, method: 'POST', ca: caPem, headers: { 'content-type': 'application/json' }, body: '{}' });
    assert.equal(posted.status, 404);
  });

  test('the frame script answers only the origin that initialised it and never posts data to "*"', async () => {
    const script = await fileText('card-frame.js');
    const wildcardPosts = [...script.matchAll(/postMessage\(([^;]*)\)/g)].filter(([, args]) => /'\*'/.test(args ?? ''));
    assert.deepEqual(wildcardPosts.map(([, args]) => args), ["{ type: 'strongroom:ready' }, '*'"]);
    assert.match(script, /postMessage\(answer, parentOrigin\)/);
    assert.match(script, /event\.source !== window\.parent/);
    assert.match(script, /event\.origin !== parentOrigin/);
    const library = await fileText('strongroom.js');
    assert.match(library, /event\.origin !== vaultOrigin \|\| event\.source !== iframe\.contentWindow/);
    assert.doesNotMatch(library + script, /\beval\(|new Function|innerHTML|document\.write|localStorage|sessionStorage|console\./);
  });
});
