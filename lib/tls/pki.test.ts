import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createPrivateKey, createPublicKey, X509Certificate } from 'node:crypto';
import 'reflect-metadata';
import * as x509 from '@peculiar/x509';
import { createCertificateAuthority, generateKeyPair, issueCertificate } from './pki.ts';
import { identityOfPeer } from './spiffe.ts';

const SERVER_AUTH = '1.3.6.1.5.5.7.3.1';
const CLIENT_AUTH = '1.3.6.1.5.5.7.3.2';

test('generateKeyPair: P-256, PKCS#8 private key and SPKI public key that belong together', () => {
  const pair = generateKeyPair();
  assert.match(pair.privateKeyPem, /^-----BEGIN PRIVATE KEY-----/);
  assert.match(pair.publicKeyPem, /^-----BEGIN PUBLIC KEY-----/);
  const key = createPrivateKey(pair.privateKeyPem);
  assert.equal(key.asymmetricKeyType, 'ec');
  assert.equal(key.asymmetricKeyDetails?.namedCurve, 'prime256v1');
  assert.equal(createPublicKey(key).export({ type: 'spki', format: 'pem' }), pair.publicKeyPem);
  assert.notEqual(generateKeyPair().privateKeyPem, pair.privateKeyPem);
});

test('createCertificateAuthority: self-signed ECDSA P-256 CA, pathlen 0, keyCertSign, validity as asked', async () => {
  const ca = await createCertificateAuthority({ commonName: 'Strongroom internal CA', validityDays: 30 });
  const cert = new X509Certificate(ca.certPem);
  assert.equal(cert.ca, true);
  assert.ok(cert.checkIssued(cert) && cert.verify(cert.publicKey), 'self-signed');
  assert.ok(cert.checkPrivateKey(createPrivateKey(ca.keyPem)));
  assert.match(cert.subject, /CN=Strongroom internal CA/);
  assert.equal(cert.publicKey.asymmetricKeyDetails?.namedCurve, 'prime256v1');
  const lifetimeDays = (cert.validToDate.getTime() - Date.now()) / 86_400_000;
  assert.ok(lifetimeDays > 29.9 && lifetimeDays <= 30, String(lifetimeDays));

  const parsed = new x509.X509Certificate(ca.certPem);
  const constraints = parsed.getExtension(x509.BasicConstraintsExtension);
  assert.equal(constraints?.ca, true);
  assert.equal(constraints?.pathLength, 0);
  assert.equal(constraints?.critical, true);
  const usage = parsed.getExtension(x509.KeyUsagesExtension);
  assert.equal(usage?.critical, true);
  assert.equal(usage?.usages, x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign);
});

test('createCertificateAuthority rejects nonsense parameters', async () => {
  await assert.rejects(createCertificateAuthority({ commonName: '', validityDays: 1 }), TypeError);
  await assert.rejects(createCertificateAuthority({ commonName: 'x', validityDays: 0 }), RangeError);
  await assert.rejects(createCertificateAuthority({ commonName: 'x', validityDays: 1.5 }), RangeError);
});

test('issueCertificate round trip: signed by the CA, SAN URI parsed back, DNS and IP SANs, random 16-byte serial', async () => {
  const ca = await createCertificateAuthority({ commonName: 'CA', validityDays: 1 });
  const pair = generateKeyPair();
  const pem = await issueCertificate(ca, {
    publicKeyPem: pair.publicKeyPem,
    commonName: 'vault',
    spiffeId: 'vault',
    dnsNames: ['localhost', 'vault.internal'],
    ipAddresses: ['127.0.0.1', '::1'],
    validitySeconds: 600,
    usage: 'both',
  });
  const cert = new X509Certificate(pem);
  const caCert = new X509Certificate(ca.certPem);
  assert.ok(cert.checkIssued(caCert) && cert.verify(caCert.publicKey));
  assert.ok(cert.checkPrivateKey(createPrivateKey(pair.privateKeyPem)));
  assert.equal(cert.ca, false);
  assert.equal(identityOfPeer(cert), 'vault');
  assert.match(cert.subjectAltName ?? '', /URI:spiffe:\/\/strongroom\.local\/vault/);
  assert.match(cert.subjectAltName ?? '', /DNS:vault\.internal/);
  assert.match(cert.subjectAltName ?? '', /IP Address:127\.0\.0\.1/);
  assert.equal(cert.serialNumber.length, 32, '16 bytes, no leading zero byte');
  const other = new X509Certificate(
    await issueCertificate(ca, { publicKeyPem: pair.publicKeyPem, commonName: 'vault', validitySeconds: 600, usage: 'both' }),
  );
  assert.notEqual(other.serialNumber, cert.serialNumber);
  assert.equal(other.subjectAltName, undefined, 'no SAN when none asked');
});

test('issueCertificate accepts a full SPIFFE ID but no other trust domain', async () => {
  const ca = await createCertificateAuthority({ commonName: 'CA', validityDays: 1 });
  const { publicKeyPem } = generateKeyPair();
  const base = { publicKeyPem, commonName: 'api', validitySeconds: 60, usage: 'client' } as const;
  const pem = await issueCertificate(ca, { ...base, spiffeId: 'spiffe://strongroom.local/api' });
  assert.equal(identityOfPeer(new X509Certificate(pem)), 'api');
  await assert.rejects(issueCertificate(ca, { ...base, spiffeId: 'spiffe://evil.example/api' }), /invalid SPIFFE ID/);
  await assert.rejects(issueCertificate(ca, { ...base, spiffeId: 'spiffe://strongroom.local/a/b' }), /invalid SPIFFE ID/);
  await assert.rejects(issueCertificate(ca, { ...base, spiffeId: 'API' }), /invalid service name/);
});

test('issueCertificate: notBefore backdated 60 s, notAfter = now + validitySeconds', async () => {
  const ca = await createCertificateAuthority({ commonName: 'CA', validityDays: 1 });
  const started = Date.now();
  const pem = await issueCertificate(ca, { publicKeyPem: generateKeyPair().publicKeyPem, commonName: 'x', validitySeconds: 3600, usage: 'server' });
  const cert = new X509Certificate(pem);
  // X.509 times have 1 s resolution.
  assert.ok(Math.abs(cert.validFromDate.getTime() - (started - 60_000)) < 2_000, cert.validFrom);
  assert.ok(Math.abs(cert.validToDate.getTime() - (started + 3_600_000)) < 2_000, cert.validTo);
});

test('issueCertificate: EKU follows usage', async () => {
  const ca = await createCertificateAuthority({ commonName: 'CA', validityDays: 1 });
  const { publicKeyPem } = generateKeyPair();
  const eku = async (usage: 'server' | 'client' | 'both') =>
    new X509Certificate(await issueCertificate(ca, { publicKeyPem, commonName: 'x', validitySeconds: 60, usage })).keyUsage;
  assert.deepEqual(await eku('server'), [SERVER_AUTH]);
  assert.deepEqual(await eku('client'), [CLIENT_AUTH]);
  assert.deepEqual(await eku('both'), [SERVER_AUTH, CLIENT_AUTH]);
});

test('issueCertificate refuses bad input instead of issuing something surprising', async () => {
  const ca = await createCertificateAuthority({ commonName: 'CA', validityDays: 1 });
  const { publicKeyPem } = generateKeyPair();
  const base = { publicKeyPem, commonName: 'x', validitySeconds: 60, usage: 'server' } as const;
  await assert.rejects(issueCertificate(ca, { ...base, validitySeconds: 0 }), RangeError);
  await assert.rejects(issueCertificate(ca, { ...base, validitySeconds: -5 }), RangeError);
  await assert.rejects(issueCertificate(ca, { ...base, validitySeconds: 2 * 86_400 }), /outlive its CA/);
  await assert.rejects(issueCertificate(ca, { ...base, dnsNames: ['bad name'] }), /invalid DNS name/);
  await assert.rejects(issueCertificate(ca, { ...base, ipAddresses: ['999.1.1.1'] }), /invalid IP address/);
  await assert.rejects(issueCertificate(ca, { ...base, usage: 'any' as 'server' }), /invalid usage/);
  const otherCa = await createCertificateAuthority({ commonName: 'Other', validityDays: 1 });
  await assert.rejects(issueCertificate({ keyPem: otherCa.keyPem, certPem: ca.certPem }, base), /does not match/);
  const leafPem = await issueCertificate(ca, base);
  await assert.rejects(issueCertificate({ keyPem: ca.keyPem, certPem: leafPem }, base), /CA:TRUE/);
});
