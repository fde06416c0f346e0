import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHttpsApp } from './https-app.ts';
import { registerHealth } from './health.ts';
import { createTestCa, createTestLogger, issueMaterial, listen, rawRequest, staticIdentity } from './testing.ts';

test('GET /healthz: 200 when ready, 503 when not, when the check throws, or when it hangs', async () => {
  const log = createTestLogger('api');
  let state: 'ready' | 'not-ready' | 'throws' | 'hangs' = 'ready';
  const app = createHttpsApp({ service: 'api', identity: await staticIdentity(await createTestCa(), 'api'), mtls: false, logger: log.logger });
  registerHealth(app, {
    ready: async () => {
      if (state === 'throws') throw new Error('db down');
      if (state === 'hangs') return new Promise<boolean>(() => undefined);
      return state === 'ready';
    },
  });
  await app.ready();
  try {
    const ok = await app.inject({ url: '/healthz' });
    assert.equal(ok.statusCode, 200);
    assert.deepEqual(ok.json(), { status: 'ok' });
    for (const s of ['not-ready', 'throws', 'hangs'] as const) {
      state = s;
      const started = Date.now();
      const response = await app.inject({ url: '/healthz' });
      assert.equal(response.statusCode, 503, s);
      assert.equal((response.json() as { code: string }).code, 'service_unavailable');
      assert.ok(Date.now() - started < 3_000, `${s} answered in time`);
    }
  } finally {
    await app.close();
    log.cleanup();
  }
});

test("on an mTLS app, allowedCallers ['*'] admits any verified internal identity; omitting it fails closed", async () => {
  const ca = await createTestCa();
  const log = createTestLogger('kms');
  const internal = createHttpsApp({ service: 'kms', identity: await staticIdentity(ca, 'kms'), mtls: true, logger: log.logger });
  assert.throws(() => registerHealth(internal, { ready: async () => true }), /allowedCallers/);
  registerHealth(internal, { ready: async () => true, allowedCallers: ['*'] });
  const port = await listen(internal);
  try {
    for (const caller of ['api', 'vault', 'scanner']) {
      const material = await issueMaterial(ca, caller, { usage: 'client' });
      const response = await rawRequest(port, { ca: ca.certPem, path: '/healthz', key: material.keyPem, cert: material.certPem });
      assert.equal(response.status, 200, caller);
    }
  } finally {
    await internal.close();
    log.cleanup();
  }
});
