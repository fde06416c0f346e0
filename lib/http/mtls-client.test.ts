import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { TLSSocket } from 'node:tls';
import type { FastifyInstance } from 'fastify';
import { createRenewingIdentity, createStaticIdentity, localIssuer, type CertificateAuthority } from '#lib/tls/index.ts';
import { createHttpsApp } from './https-app.ts';
import { createMtlsClient } from './mtls-client.ts';
import { httpError } from './errors.ts';
import { createTestCa, createTestLogger, issueMaterial, listen, staticIdentity, type TestLogger } from './testing.ts';

let ca: CertificateAuthority;
let app: FastifyInstance;
let port: number;
let log: TestLogger;
const connections = new Set<unknown>();

before(async () => {
  ca = await createTestCa();
  log = createTestLogger('vault');
  app = createHttpsApp({ service: 'vault', identity: await staticIdentity(ca, 'vault'), mtls: true, logger: log.logger });
  app.post('/cards', { config: { allowedCallers: ['api'] } }, async (request) => {
    connections.add(request.raw.socket);
    const socket = request.raw.socket as TLSSocket;
    return { caller: request.caller, serial: socket.getPeerCertificate().serialNumber, echo: request.body, requestId: request.id };
  });
  app.get('/missing-card', { config: { allowedCallers: ['api'] } }, async () => {
    throw httpError(404, 'not_found', 'card was not found');
  });
  port = await listen(app);
});

after(async () => {
  await app.close();
  log.cleanup();
});

test('JSON round trip over mTLS with keep-alive, caller identity seen by the server', async () => {
  const client = createMtlsClient({ identity: await staticIdentity(ca, 'api'), baseUrl: `https://127.0.0.1:${port}`, expectedServer: 'vault' });
  try {
    connections.clear();
    const first = await client.request('POST', '/cards', { token: 'tokn_1' }, { requestId: 'req_propagatedFromApi' });
    assert.equal(first.status, 200);
    const body = first.body as { caller: string; echo: unknown; requestId: string };
    assert.equal(body.caller, 'api');
    assert.deepEqual(body.echo, { token: 'tokn_1' });
    assert.equal(body.requestId, 'req_propagatedFromApi');
    // undici frees the connection just after the body resolves; a request issued in that same tick
    // would open a second connection, which is keep-alive working as designed, not what we measure.
    for (let i = 0; i < 4; i++) {
      await new Promise((resolve) => setImmediate(resolve));
      assert.equal((await client.request('POST', '/cards', {})).status, 200);
    }
    assert.equal(connections.size, 1, 'one kept-alive connection for five requests');
  } finally {
    await client.close();
  }
});

test('error responses come back as status and body', async () => {
  const client = createMtlsClient({ identity: await staticIdentity(ca, 'api'), baseUrl: `https://127.0.0.1:${port}`, expectedServer: 'vault' });
  try {
    const missing = await client.request('GET', '/missing-card');
    assert.equal(missing.status, 404);
    assert.equal((missing.body as { code: string }).code, 'not_found');
  } finally {
    await client.close();
  }
  const dashboard = createMtlsClient({ identity: await staticIdentity(ca, 'dashboard'), baseUrl: `https://127.0.0.1:${port}`, expectedServer: 'vault' });
  try {
    const refused = await dashboard.request('POST', '/cards', {});
    assert.equal(refused.status, 403);
  } finally {
    await dashboard.close();
  }
});

test('refuses a server whose certificate carries another identity', async () => {
  const client = createMtlsClient({ identity: await staticIdentity(ca, 'api'), baseUrl: `https://127.0.0.1:${port}`, expectedServer: 'kms' });
  try {
    await assert.rejects(client.request('POST', '/cards', {}), (error: NodeJS.ErrnoException) => {
      assert.equal(error.code, 'ERR_STRONGROOM_SERVER_IDENTITY');
      assert.match(error.message, /server identity vault is not the expected kms/);
      return true;
    });
  } finally {
    await client.close();
  }
});

test('refuses a server certificate from another CA (CA pinned to the internal one)', async () => {
  const otherCa = await createTestCa('Other CA');
  const impostor = createHttpsApp({
    service: 'vault',
    identity: createStaticIdentity(await issueMaterial(otherCa, 'vault')),
    mtls: false,
    logger: log.logger,
  });
  impostor.post('/cards', async () => ({ stolen: true }));
  const impostorPort = await listen(impostor);
  const client = createMtlsClient({ identity: await staticIdentity(ca, 'api'), baseUrl: `https://127.0.0.1:${impostorPort}`, expectedServer: 'vault' });
  try {
    await assert.rejects(client.request('POST', '/cards', { pan: 'never sent' }), (error: NodeJS.ErrnoException) => {
      assert.equal(error.code, 'UNABLE_TO_VERIFY_LEAF_SIGNATURE');
      return true;
    });
  } finally {
    await client.close();
    await impostor.close();
  }
});

test('a renewed client identity is used for new connections', async () => {
  const identity = await createRenewingIdentity({
    name: 'api-internal',
    issue: localIssuer(ca, { name: 'api', validitySeconds: 3, usage: 'client' }),
    onError: (e) => assert.fail(String(e)),
  });
  const client = createMtlsClient({ identity, baseUrl: `https://127.0.0.1:${port}`, expectedServer: 'vault' });
  try {
    const before = ((await client.request('POST', '/cards', {})).body as { serial: string }).serial;
    await new Promise((resolve) => identity.onChange(resolve));
    const after = ((await client.request('POST', '/cards', {})).body as { serial: string }).serial;
    assert.notEqual(after, before, 'server saw the new client certificate');
  } finally {
    identity.stop();
    await client.close();
  }
});

test('validates its configuration', async () => {
  const identity = await staticIdentity(ca, 'api');
  assert.throws(() => createMtlsClient({ identity, baseUrl: 'http://127.0.0.1:1', expectedServer: 'vault' }), /https/);
  assert.throws(() => createMtlsClient({ identity, baseUrl: 'https://u:p@127.0.0.1:1', expectedServer: 'vault' }), /credentials/);
  assert.throws(() => createMtlsClient({ identity, baseUrl: 'https://127.0.0.1:1', expectedServer: 'Vault!' }), /expectedServer/);
  const client = createMtlsClient({ identity, baseUrl: `https://127.0.0.1:${port}`, expectedServer: 'vault' });
  await assert.rejects(client.request('GET', '//evil.example/x'), /single \//);
  await assert.rejects(client.request('GET', 'relative'), /single \//);
  await client.close();
});
