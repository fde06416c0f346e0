import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { FastifyInstance } from 'fastify';
import type { CertificateAuthority, IdentityMaterial } from '#lib/tls/index.ts';
import { createHttpsApp } from './https-app.ts';
import type { Denial } from './caller-authorization.ts';
import { createTestCa, createTestLogger, issueMaterial, listen, rawRequest, staticIdentity, type TestLogger } from './testing.ts';

let ca: CertificateAuthority;
let app: FastifyInstance;
let port: number;
let log: TestLogger;
const denials: Denial[] = [];
let vault: IdentityMaterial;
let dashboard: IdentityMaterial;

before(async () => {
  ca = await createTestCa();
  log = createTestLogger('kms');
  vault = await issueMaterial(ca, 'vault', { usage: 'client' });
  dashboard = await issueMaterial(ca, 'dashboard', { usage: 'client' });
  app = createHttpsApp({ service: 'kms', identity: await staticIdentity(ca, 'kms'), mtls: true, logger: log.logger, onDenied: (d) => denials.push(d) });
  app.post('/keys/:id/unwrap', { config: { allowedCallers: ['vault'] } }, async (request) => ({ caller: request.caller, requestId: request.id }));
  app.get('/anyone', { config: { allowedCallers: ['*'] } }, async (request) => ({ caller: request.caller }));
  port = await listen(app);
});

after(async () => {
  await app.close();
  log.cleanup();
});

const call = (material: Pick<IdentityMaterial, 'keyPem' | 'certPem'> | undefined, path: string, method = 'GET', headers?: Record<string, string>) =>
  rawRequest(port, { ca: ca.certPem, path, method, headers, ...(material ? { key: material.keyPem, cert: material.certPem } : {}) });

async function waitForDenial(predicate: (d: Denial) => boolean): Promise<Denial> {
  for (let i = 0; i < 50; i++) {
    const found = denials.find(predicate);
    if (found) return found;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  throw new Error(`no matching denial in ${JSON.stringify(denials)}`);
}

describe('handshake refusals (reported with caller null)', () => {
  test('no client certificate: handshake refused', async () => {
    await assert.rejects(call(undefined, '/anyone'), (error: NodeJS.ErrnoException) => /CERTIFICATE_REQUIRED|ECONNRESET|socket hang up/.test(`${error.code} ${error.message}`));
    const denial = await waitForDenial((d) => d.reason === 'no_client_certificate');
    assert.equal(denial.caller, null);
    assert.equal(denial.route, undefined);
    assert.equal(denial.ip, '127.0.0.1');
  });

  test('certificate from another CA: handshake refused', async () => {
    const impostor = await issueMaterial(await createTestCa('Other CA'), 'vault', { usage: 'client' });
    await assert.rejects(call(impostor, '/keys/k1/unwrap', 'POST'));
    const denial = await waitForDenial((d) => d.reason === 'client_certificate_unknown_ca');
    assert.equal(denial.caller, null);
  });

  test('expired certificate: handshake refused', async () => {
    const expiring = await issueMaterial(ca, 'vault', { usage: 'client', validitySeconds: 1 });
    await new Promise((resolve) => setTimeout(resolve, 2_100));
    await assert.rejects(call(expiring, '/keys/k1/unwrap', 'POST'));
    await waitForDenial((d) => d.reason === 'client_certificate_expired');
  });
});

describe('route allow-lists', () => {
  test('an allowed identity gets 200 and request.caller', async () => {
    const response = await call(vault, '/keys/k1/unwrap', 'POST');
    assert.equal(response.status, 200);
    assert.equal((response.json() as { caller: string }).caller, 'vault');
  });

  test('a valid certificate whose identity is not on the list gets 403 forbidden and onDenied is called', async () => {
    const before = denials.length;
    const response = await call(dashboard, '/keys/k1/unwrap?x=1', 'POST');
    assert.equal(response.status, 403);
    assert.deepEqual(response.json(), {
      object: 'error',
      location: 'https://www.omise.co/api-errors#forbidden',
      code: 'forbidden',
      message: 'this caller is not allowed to use this endpoint',
    });
    assert.equal(denials.length, before + 1);
    assert.deepEqual(denials.at(-1), {
      caller: 'dashboard',
      route: 'POST /keys/:id/unwrap',
      reason: 'caller_not_allowed',
      ip: '127.0.0.1',
      requestId: response.headers['x-request-id'],
    });
  });

  test("'*' admits any verified internal identity, but not a certificate without one", async () => {
    assert.equal((await call(dashboard, '/anyone')).status, 200);
    const anonymous = await issueMaterial(ca, undefined, { usage: 'client' });
    const response = await call(anonymous, '/anyone');
    assert.equal(response.status, 403);
    await waitForDenial((d) => d.reason === 'no_service_identity' && d.route === 'GET /anyone');
  });

  test('unknown routes are 404 for verified callers', async () => {
    const response = await call(vault, '/nowhere');
    assert.equal(response.status, 404);
  });

  test('a well-formed X-Request-Id from an mTLS caller is kept; a malformed one replaced', async () => {
    const kept = await call(vault, '/keys/k1/unwrap', 'POST', { 'x-request-id': 'req_fromTheApiService1' });
    assert.equal((kept.json() as { requestId: string }).requestId, 'req_fromTheApiService1');
    assert.equal(kept.headers['x-request-id'], 'req_fromTheApiService1');
    const replaced = await call(vault, '/keys/k1/unwrap', 'POST', { 'x-request-id': 'req_<script>' });
    assert.match(String(replaced.headers['x-request-id']), /^req_[A-Za-z0-9_-]{16}$/);
  });

  test('request log lines carry the caller identity', async () => {
    const response = await call(vault, '/anyone');
    const line = log.lines().find((l) => l.reqId === response.headers['x-request-id'] && l.msg === 'request completed');
    assert.equal(line?.caller, 'vault');
  });
});

describe('fail closed at registration', () => {
  test('a route without allowedCallers on an mTLS app throws', async () => {
    const internal = createHttpsApp({ service: 'kms', identity: await staticIdentity(ca, 'kms'), mtls: true, logger: log.logger });
    assert.throws(() => internal.get('/open', async () => 'oops'), /must declare config\.allowedCallers/);
    assert.throws(() => internal.get('/empty', { config: { allowedCallers: [] } }, async () => 'oops'), /must declare/);
    assert.throws(() => internal.get('/bad', { config: { allowedCallers: ['Vault Service'] } }, async () => 'oops'), /invalid caller/);
    internal.register(async (child) => {
      child.get('/in-plugin', async () => 'oops');
    });
    await assert.rejects(async () => { await internal.ready(); }, /must declare config\.allowedCallers/);
  });

  test('a public app does not need allow-lists', async () => {
    const publicApp = createHttpsApp({ service: 'api', identity: await staticIdentity(ca, 'api'), mtls: false, logger: log.logger });
    publicApp.get('/open', async () => 'fine');
    await publicApp.ready();
    assert.equal((await publicApp.inject({ url: '/open' })).body, 'fine');
    await publicApp.close();
  });
});
