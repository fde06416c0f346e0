import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { constants as cryptoConstants, generateKeyPairSync } from 'node:crypto';
import tls from 'node:tls';
import { clientTlsOptions, serverTlsOptions, tlsPolicy, TLS12_CIPHER_LIST } from './policy.ts';
import type { CertificateAuthority } from './pki.ts';
import type { IdentityMaterial } from './identity-material.ts';
import { identityOfPeer } from './spiffe.ts';
import { attemptHandshake, createTestCa, issueTestIdentity, startTlsServer, type TestTlsServer } from './testing.ts';

let ca: CertificateAuthority;
let server: IdentityMaterial;
let policyServer: TestTlsServer;
// Same certificate, Node/OpenSSL defaults loosened: proves each refused client can otherwise connect,
// so a refusal is due to the policy and not to a broken test client.
let permissiveServer: TestTlsServer;

before(async () => {
  ca = await createTestCa();
  server = await issueTestIdentity(ca, 'kms', { usage: 'server' });
  policyServer = await startTlsServer(serverTlsOptions(server, { mtls: false }));
  permissiveServer = await startTlsServer({
    key: server.keyPem,
    cert: server.certPem,
    minVersion: 'TLSv1',
    ciphers: 'DEFAULT:@SECLEVEL=0',
  });
});

after(async () => {
  await policyServer.close();
  await permissiveServer.close();
});

describe('tlsPolicy', () => {
  test('is TLS 1.2+ with hybrid post-quantum key exchange first and no renegotiation', () => {
    assert.equal(tlsPolicy.minVersion, 'TLSv1.2');
    assert.equal(tlsPolicy.maxVersion, 'TLSv1.3');
    assert.equal(tlsPolicy.honorCipherOrder, true);
    assert.equal(tlsPolicy.ecdhCurve, 'X25519MLKEM768:X25519:P-256', 'Node 24 / OpenSSL 3.5 supports the hybrid group');
    assert.equal(tlsPolicy.secureOptions & cryptoConstants.SSL_OP_NO_RENEGOTIATION, cryptoConstants.SSL_OP_NO_RENEGOTIATION);
    assert.ok(Object.isFrozen(tlsPolicy));
  });

  test('every TLS 1.2 suite is ECDHE with an AEAD cipher', () => {
    for (const suite of TLS12_CIPHER_LIST) assert.match(suite, /^ECDHE-(ECDSA|RSA)-(AES(128|256)-GCM-SHA(256|384)|CHACHA20-POLY1305)$/);
    assert.ok(tlsPolicy.ciphers.startsWith('TLS_AES_256_GCM_SHA384:TLS_CHACHA20_POLY1305_SHA256:TLS_AES_128_GCM_SHA256:'));
  });

  test('serverTlsOptions asks for and requires client certificates only for mTLS', () => {
    const internal = serverTlsOptions(server, { mtls: true });
    assert.equal(internal.requestCert, true);
    assert.equal(internal.rejectUnauthorized, true);
    assert.equal(internal.ca, ca.certPem);
    const external = serverTlsOptions(server, { mtls: false });
    assert.equal(external.requestCert, false);
    assert.equal(external.ca, undefined);
  });
});

describe('handshakes against the policy', () => {
  for (const version of ['TLSv1', 'TLSv1.1'] as const) {
    test(`${version} is refused`, async () => {
      const client = { ca: ca.certPem, minVersion: version, maxVersion: version, ciphers: 'DEFAULT@SECLEVEL=0' } as const;
      const control = await attemptHandshake(permissiveServer.port, client);
      assert.ok(control.ok && control.protocol === version, `control server should speak ${version}`);
      const result = await attemptHandshake(policyServer.port, client);
      assert.equal(result.ok, false);
      assert.ok(!result.ok && /PROTOCOL_VERSION/.test(result.error), !result.ok ? result.error : '');
    });
  }

  test('TLS 1.2 with only CBC suites is refused', async () => {
    const client = { ca: ca.certPem, maxVersion: 'TLSv1.2', ciphers: 'ECDHE-ECDSA-AES128-SHA256:ECDHE-ECDSA-AES256-SHA:ECDHE-ECDSA-AES128-SHA' } as const;
    const control = await attemptHandshake(permissiveServer.port, client);
    assert.ok(control.ok && /-SHA(256)?$/.test(control.cipher), 'control negotiates CBC');
    const result = await attemptHandshake(policyServer.port, client);
    assert.equal(result.ok, false);
    assert.ok(!result.ok && /HANDSHAKE_FAILURE/.test(result.error), !result.ok ? result.error : '');
  });

  test('TLS 1.2 without ECDHE (RSA key transport, finite-field DHE) is refused', async () => {
    const rsa = generateKeyPairSync('rsa', {
      modulusLength: 2048,
      publicKeyEncoding: { type: 'spki', format: 'pem' },
      privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
    });
    const rsaIdentity = await issueTestIdentity(ca, 'rsa-server', { usage: 'server', publicKeyPem: rsa.publicKey, keyPem: rsa.privateKey });
    const policyRsa = await startTlsServer(serverTlsOptions(rsaIdentity, { mtls: false }));
    const permissiveRsa = await startTlsServer({ key: rsa.privateKey, cert: rsaIdentity.certPem, ciphers: 'DEFAULT:@SECLEVEL=0', dhparam: 'auto' });
    try {
      const ecdhe = await attemptHandshake(policyRsa.port, { ca: ca.certPem, maxVersion: 'TLSv1.2' });
      assert.ok(ecdhe.ok && ecdhe.cipher.startsWith('ECDHE-RSA-'), 'an RSA certificate still works with ECDHE-RSA');
      for (const cipher of ['AES128-GCM-SHA256', 'AES256-GCM-SHA384', 'DHE-RSA-AES128-GCM-SHA256']) {
        const client = { ca: ca.certPem, maxVersion: 'TLSv1.2', ciphers: cipher } as const;
        const control = await attemptHandshake(permissiveRsa.port, client);
        assert.ok(control.ok && control.cipher === cipher, `control negotiates ${cipher}`);
        const result = await attemptHandshake(policyRsa.port, client);
        assert.equal(result.ok, false, `${cipher} must be refused`);
      }
    } finally {
      await policyRsa.close();
      await permissiveRsa.close();
    }
  });

  test('TLS 1.2 negotiates ECDHE with AES-GCM or ChaCha20-Poly1305', async () => {
    const best = await attemptHandshake(policyServer.port, { ca: ca.certPem, maxVersion: 'TLSv1.2' });
    assert.ok(best.ok);
    assert.equal(best.protocol, 'TLSv1.2');
    assert.equal(best.cipher, 'ECDHE-ECDSA-AES256-GCM-SHA384', 'server order wins');
    for (const cipher of ['ECDHE-ECDSA-CHACHA20-POLY1305', 'ECDHE-ECDSA-AES128-GCM-SHA256']) {
      const result = await attemptHandshake(policyServer.port, { ca: ca.certPem, maxVersion: 'TLSv1.2', ciphers: cipher });
      assert.ok(result.ok && result.cipher === cipher, cipher);
    }
  });

  test('TLS 1.3 works and prefers the X25519MLKEM768 hybrid group', async () => {
    const result = await attemptHandshake(policyServer.port, { ca: ca.certPem });
    assert.ok(result.ok);
    assert.equal(result.protocol, 'TLSv1.3');
    assert.equal(result.cipher, 'TLS_AES_256_GCM_SHA384');
    assert.equal(result.group, 'X25519MLKEM768');
    const classic = await attemptHandshake(policyServer.port, { ca: ca.certPem, ecdhCurve: 'X25519' });
    assert.ok(classic.ok && classic.group === 'X25519', 'classic clients still connect');
  });

  test('renegotiation is refused (control server allows it)', async () => {
    const renegotiate = (port: number) =>
      new Promise<string>((resolve) => {
        const timer = setTimeout(() => resolve('no answer'), 5_000);
        const done = (outcome: string) => {
          clearTimeout(timer);
          socket.destroy();
          resolve(outcome);
        };
        const socket = tls.connect({ host: '127.0.0.1', port, servername: 'localhost', ca: ca.certPem, maxVersion: 'TLSv1.2' }, () => {
          socket.renegotiate({}, (error) => done(error === null ? 'renegotiated' : ((error as NodeJS.ErrnoException).code ?? error.message)));
        });
        socket.on('error', (error: NodeJS.ErrnoException) => done(error.code ?? error.message));
      });
    assert.equal(await renegotiate(permissiveServer.port), 'renegotiated');
    assert.equal(await renegotiate(policyServer.port), 'ERR_SSL_NO_RENEGOTIATION');
  });
});

describe('mTLS with serverTlsOptions / clientTlsOptions', () => {
  let mtlsServer: TestTlsServer;
  before(async () => {
    mtlsServer = await startTlsServer(serverTlsOptions(server, { mtls: true }));
  });
  after(() => mtlsServer.close());

  test('a client certificate from the internal CA is accepted and its SPIFFE identity read', async () => {
    const vault = await issueTestIdentity(ca, 'vault', { usage: 'client' });
    const result = await attemptHandshake(mtlsServer.port, clientTlsOptions(vault));
    assert.ok(result.ok, !result.ok ? result.error : '');
    assert.equal(identityOfPeer(result.peer), 'kms', 'client sees the server identity');
  });

  test('no client certificate: refused at handshake', async () => {
    const before = mtlsServer.accepted();
    const result = await attemptHandshake(mtlsServer.port, { ca: ca.certPem });
    assert.equal(result.ok, false);
    assert.equal(mtlsServer.accepted(), before);
    assert.ok(mtlsServer.refusals().some((r) => r.code === 'ERR_SSL_PEER_DID_NOT_RETURN_A_CERTIFICATE'));
  });

  test('a client certificate from another CA: refused at handshake', async () => {
    const otherCa = await createTestCa('Other CA');
    const impostor = await issueTestIdentity(otherCa, 'vault', { usage: 'client' });
    const before = mtlsServer.accepted();
    const result = await attemptHandshake(mtlsServer.port, { ...clientTlsOptions(impostor), ca: ca.certPem });
    assert.equal(result.ok, false);
    assert.equal(mtlsServer.accepted(), before);
    assert.ok(mtlsServer.refusals().some((r) => r.authorizationError === 'UNABLE_TO_VERIFY_LEAF_SIGNATURE'));
  });

  test('a server-only certificate used as a client certificate: refused (EKU)', async () => {
    const serverOnly = await issueTestIdentity(ca, 'vault', { usage: 'server' });
    const result = await attemptHandshake(mtlsServer.port, clientTlsOptions(serverOnly));
    assert.equal(result.ok, false);
    assert.ok(mtlsServer.refusals().some((r) => r.authorizationError === 'INVALID_PURPOSE'));
  });

  test('an expired client certificate: refused at handshake', async () => {
    const shortLived = await issueTestIdentity(ca, 'vault', { usage: 'client', validitySeconds: 1 });
    await new Promise((resolve) => setTimeout(resolve, 2_100));
    const result = await attemptHandshake(mtlsServer.port, clientTlsOptions(shortLived));
    assert.equal(result.ok, false);
    assert.ok(mtlsServer.refusals().some((r) => r.authorizationError === 'CERT_HAS_EXPIRED'));
  });

  test('the client refuses a server certificate from another CA, and an expired one', async () => {
    const vault = await issueTestIdentity(ca, 'vault', { usage: 'client' });
    const otherCa = await createTestCa('Other CA');
    const foreign = await issueTestIdentity(otherCa, 'kms', { usage: 'server' });
    const foreignServer = await startTlsServer(serverTlsOptions(foreign, { mtls: false }));
    const expiring = await issueTestIdentity(ca, 'kms', { usage: 'server', validitySeconds: 1 });
    const expiringServer = await startTlsServer(serverTlsOptions(expiring, { mtls: false }));
    try {
      const foreignResult = await attemptHandshake(foreignServer.port, clientTlsOptions(vault));
      assert.ok(!foreignResult.ok && foreignResult.error === 'UNABLE_TO_VERIFY_LEAF_SIGNATURE', JSON.stringify(foreignResult));
      await new Promise((resolve) => setTimeout(resolve, 2_100));
      const expiredResult = await attemptHandshake(expiringServer.port, clientTlsOptions(vault));
      assert.ok(!expiredResult.ok && expiredResult.error === 'CERT_HAS_EXPIRED', JSON.stringify(expiredResult));
    } finally {
      await foreignServer.close();
      await expiringServer.close();
    }
  });
});
