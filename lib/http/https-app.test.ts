import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import tls from 'node:tls';
import type { FastifyInstance } from 'fastify';
import type { CertificateAuthority } from '#lib/tls/index.ts';
import { createHttpsApp } from './https-app.ts';
import { createTestCa, createTestLogger, listen, rawRequest, staticIdentity, type TestLogger } from './testing.ts';

let ca: CertificateAuthority;
let app: FastifyInstance;
let port: number;
let log: TestLogger;

before(async () => {
  ca = await createTestCa();
  log = createTestLogger('api');
  app = createHttpsApp({ service: 'api', identity: await staticIdentity(ca, 'api'), mtls: false, logger: log.logger });
  app.get('/ok', async () => ({ ok: true }));
  app.post('/echo-size', async (request) => ({ size: JSON.stringify(request.body).length }));
  app.get('/page', async (_request, reply) => {
    reply.header('content-security-policy', "default-src 'self'").type('text/html');
    return '<p>page</p>';
  });
  app.get('/asset.css', async (_request, reply) => {
    reply.header('cache-control', 'public, max-age=300').type('text/css');
    return 'p{}';
  });
  app.get('/caller', async (request) => ({ caller: request.caller, id: request.id }));
  app.get('/boom', async () => {
    throw new Error('kaboom');
  });
  port = await listen(app);
});

after(async () => {
  await app.close();
  log.cleanup();
});

const SECURITY_HEADERS = {
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'x-frame-options': 'DENY',
  'content-security-policy': "default-src 'none'; frame-ancestors 'none'",
  'cache-control': 'no-store',
} as const;

function assertSecurityHeaders(headers: Record<string, string | string[] | undefined>, label: string) {
  const hsts = String(headers['strict-transport-security']);
  const maxAge = Number(/max-age=(\d+)/.exec(hsts)?.[1]);
  assert.ok(maxAge >= 31_536_000, `${label}: HSTS max-age ${hsts}`);
  assert.match(hsts, /includeSubDomains/, label);
  for (const [name, value] of Object.entries(SECURITY_HEADERS)) assert.equal(headers[name], value, `${label}: ${name}`);
  assert.match(String(headers['x-request-id']), /^req_[A-Za-z0-9_-]{16}$/, label);
}

describe('security headers', () => {
  test('on success, 404, 400, 413, 415 and 500 responses alike', async () => {
    const cases = [
      { label: '200', path: '/ok', status: 200 },
      { label: '404', path: '/missing', status: 404 },
      { label: '400', path: '/echo-size', method: 'POST', body: '{bad', headers: { 'content-type': 'application/json' }, status: 400 },
      { label: '413', path: '/echo-size', method: 'POST', body: JSON.stringify({ a: 'x'.repeat(70_000) }), headers: { 'content-type': 'application/json' }, status: 413 },
      { label: '415', path: '/echo-size', method: 'POST', body: 'hello', headers: { 'content-type': 'text/plain' }, status: 415 },
      { label: '500', path: '/boom', status: 500 },
      { label: '400 malformed URL (answered before any hook)', path: '/%zz', status: 400 },
    ];
    for (const { label, status, ...request } of cases) {
      const response = await rawRequest(port, { ca: ca.certPem, ...request });
      assert.equal(response.status, status, label);
      assertSecurityHeaders(response.headers, label);
    }
  });

  test('a page may override the CSP and a static asset the cache policy, nothing else', async () => {
    const page = await rawRequest(port, { ca: ca.certPem, path: '/page' });
    assert.equal(page.headers['content-security-policy'], "default-src 'self'");
    assert.equal(page.headers['x-frame-options'], 'DENY');
    const asset = await rawRequest(port, { ca: ca.certPem, path: '/asset.css' });
    assert.equal(asset.headers['cache-control'], 'public, max-age=300');
    assert.equal(asset.headers['content-security-policy'], SECURITY_HEADERS['content-security-policy']);
  });

  test('refuses an HSTS max-age under one year', async () => {
    const identity = await staticIdentity(ca, 'api');
    assert.throws(() => createHttpsApp({ service: 'api', identity, mtls: false, logger: log.logger, hstsMaxAgeSeconds: 86_400 }), /one year/);
  });
});

describe('request id', () => {
  test('a public caller cannot choose the request id', async () => {
    const response = await rawRequest(port, { ca: ca.certPem, path: '/caller', headers: { 'x-request-id': 'req_chosenByTheCaller123' } });
    const body = response.json() as { caller: unknown; id: string };
    assert.notEqual(body.id, 'req_chosenByTheCaller123');
    assert.equal(response.headers['x-request-id'], body.id);
    assert.equal(body.caller, null, 'no caller identity on a public app');
  });

  test('a malformed URL gets the Omise error object and a request id too', async () => {
    const response = await rawRequest(port, { ca: ca.certPem, path: '/charges/%zz' });
    assert.equal(response.status, 400);
    assert.equal((response.json() as { code: string }).code, 'bad_request');
    assert.match(String(response.headers['x-request-id']), /^req_[A-Za-z0-9_-]{16}$/);
  });

  test('ids are unique', async () => {
    const a = await rawRequest(port, { ca: ca.certPem, path: '/ok' });
    const b = await rawRequest(port, { ca: ca.certPem, path: '/ok' });
    assert.notEqual(a.headers['x-request-id'], b.headers['x-request-id']);
  });
});

describe('logging', () => {
  test('one line per request: id, method, path without query, status, duration; never headers or bodies', async () => {
    const response = await rawRequest(port, {
      ca: ca.certPem,
      path: '/echo-size?card=4242424242424242&q=secretquery',
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: 'Basic c2tleV90ZXN0X3NlY3JldA==', cookie: 'session=topsecretcookie' },
      body: JSON.stringify({ password: 'hunter2-in-body' }),
    });
    assert.equal(response.status, 200);
    const id = response.headers['x-request-id'];
    const line = log.lines().find((l) => l.reqId === id && l.msg === 'request completed');
    assert.ok(line, 'request completed line');
    assert.equal(line.method, 'POST');
    assert.equal(line.url, '/echo-size');
    assert.equal(line.statusCode, 200);
    assert.equal(typeof line.durationMs, 'number');
    assert.equal(line.service, 'api');
    const text = log.text();
    for (const secret of ['c2tleV9', 'topsecretcookie', 'hunter2-in-body', 'secretquery', '4242424242424242']) {
      assert.ok(!text.includes(secret), `${secret} leaked into logs`);
    }
  });
});

describe('body limits and media types', () => {
  test('64 KiB default body limit answers 413 payload_too_large', async () => {
    const ok = await rawRequest(port, { ca: ca.certPem, path: '/echo-size', method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ a: 'x'.repeat(60_000) }) });
    assert.equal(ok.status, 200);
    const big = await rawRequest(port, { ca: ca.certPem, path: '/echo-size', method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ a: 'x'.repeat(66_000) }) });
    assert.equal(big.status, 413);
    assert.equal((big.json() as { code: string }).code, 'payload_too_large');
  });

  test('anything but JSON answers 415 unsupported_media_type', async () => {
    for (const type of ['text/plain', 'application/xml', 'application/x-www-form-urlencoded']) {
      const response = await rawRequest(port, { ca: ca.certPem, path: '/echo-size', method: 'POST', headers: { 'content-type': type }, body: 'a=1' });
      assert.equal(response.status, 415, type);
      assert.equal((response.json() as { code: string }).code, 'unsupported_media_type');
    }
  });
});

describe('TLS policy on the HTTPS listener', () => {
  const handshake = (options: tls.ConnectionOptions) =>
    new Promise<{ protocol: string | null; cipher: string } | { error: string }>((resolve) => {
      const socket = tls.connect({ host: '127.0.0.1', port, servername: 'localhost', ca: ca.certPem, ...options }, () => {
        resolve({ protocol: socket.getProtocol(), cipher: socket.getCipher().name });
        socket.destroy();
      });
      socket.on('error', (error: NodeJS.ErrnoException) => resolve({ error: error.code ?? error.message }));
    });

  test('TLS 1.0 and 1.1 fail', async () => {
    for (const version of ['TLSv1', 'TLSv1.1'] as const) {
      const result = await handshake({ minVersion: version, maxVersion: version, ciphers: 'DEFAULT@SECLEVEL=0' });
      assert.ok('error' in result && /PROTOCOL_VERSION/.test(result.error), `${version}: ${JSON.stringify(result)}`);
    }
  });

  test('TLS 1.2 with a CBC suite fails; with GCM or ChaCha20 it negotiates ECDHE', async () => {
    const cbc = await handshake({ maxVersion: 'TLSv1.2', ciphers: 'ECDHE-ECDSA-AES128-SHA256:ECDHE-ECDSA-AES256-SHA' });
    assert.ok('error' in cbc, JSON.stringify(cbc));
    const gcm = await handshake({ maxVersion: 'TLSv1.2' });
    assert.ok('cipher' in gcm && /^ECDHE-ECDSA-(AES(128|256)-GCM-SHA(256|384)|CHACHA20-POLY1305)$/.test(gcm.cipher), JSON.stringify(gcm));
    const chacha = await handshake({ maxVersion: 'TLSv1.2', ciphers: 'ECDHE-ECDSA-CHACHA20-POLY1305' });
    assert.ok('cipher' in chacha && chacha.cipher === 'ECDHE-ECDSA-CHACHA20-POLY1305');
  });

  test('TLS 1.3 works', async () => {
    const result = await handshake({});
    assert.ok('protocol' in result && result.protocol === 'TLSv1.3', JSON.stringify(result));
  });
});
