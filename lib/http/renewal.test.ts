import { test } from 'node:test';
import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { createRenewingIdentity, localIssuer } from '#lib/tls/index.ts';
import { createHttpsApp } from './https-app.ts';
import { createTestCa, createTestLogger, issueMaterial, listen, rawRequest } from './testing.ts';

test('a renewed server certificate is served to new clients without a restart', async () => {
  const ca = await createTestCa();
  const log = createTestLogger('kms');
  const identity = await createRenewingIdentity({
    name: 'kms-internal',
    expectedIdentity: 'kms',
    issue: localIssuer(ca, { name: 'kms', validitySeconds: 3, dnsNames: ['localhost'], ipAddresses: ['127.0.0.1'] }),
    onError: (e) => assert.fail(String(e)),
  });
  const app = createHttpsApp({ service: 'kms', identity, mtls: true, logger: log.logger });
  app.get('/serial', { config: { allowedCallers: ['*'] } }, async () => ({ ok: true }));
  const port = await listen(app);
  const vault = await issueMaterial(ca, 'vault', { usage: 'client', validitySeconds: 600 });
  const call = () => rawRequest(port, { ca: ca.certPem, path: '/serial', key: vault.keyPem, cert: vault.certPem });
  try {
    const initialSerial = new X509Certificate(identity.current().certPem).serialNumber;
    const first = await call();
    assert.equal(first.status, 200);
    assert.equal(first.serverSerial, initialSerial);

    const renewed = await new Promise<string>((resolve) => identity.onChange((m) => resolve(new X509Certificate(m.certPem).serialNumber)));
    assert.notEqual(renewed, initialSerial);
    const second = await call();
    assert.equal(second.status, 200);
    assert.equal(second.serverSerial, renewed, 'fresh connection sees the renewed certificate');
    assert.ok(log.lines().some((l) => l.msg === 'TLS certificate reloaded'));

    // Past the first certificate's expiry, the server still answers: it never served a stale cert.
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    const third = await call();
    assert.equal(third.status, 200);
    assert.notEqual(third.serverSerial, initialSerial);
  } finally {
    identity.stop();
    await app.close();
    log.cleanup();
  }
});
