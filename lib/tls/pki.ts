// @peculiar/x509 resolves algorithms through tsyringe, which needs the Reflect metadata API loaded first.
import 'reflect-metadata';
import * as x509 from '@peculiar/x509';
import { createPrivateKey, createPublicKey, generateKeyPairSync, randomBytes, webcrypto, X509Certificate } from 'node:crypto';
import { isIP } from 'node:net';
import { isServiceName, spiffeIdFor } from './spiffe.ts';

// Passed explicitly to every x509 call instead of mutating the library's global provider.
const crypto: webcrypto.Crypto = webcrypto;
const EC_P256 = { name: 'ECDSA', namedCurve: 'P-256' } as const;
const SIGNING = { name: 'ECDSA', hash: 'SHA-256' } as const;
// Peers' clocks drift; a certificate valid "from now" would be refused by a peer a second behind.
const CLOCK_SKEW_MS = 60_000;

export type CertificateAuthority = { readonly keyPem: string; readonly certPem: string };
export type KeyPair = { readonly privateKeyPem: string; readonly publicKeyPem: string };
export type CertificateUsage = 'server' | 'client' | 'both';

export type IssueOptions = {
  readonly publicKeyPem: string;
  readonly commonName: string;
  /** A service name (`api`) or its full SPIFFE ID (`spiffe://strongroom.local/api`). */
  readonly spiffeId?: string;
  readonly dnsNames?: readonly string[];
  readonly ipAddresses?: readonly string[];
  readonly validitySeconds: number;
  readonly usage: CertificateUsage;
};

/** ECDSA P-256 key pair; private key as PKCS#8 PEM, public key as SPKI PEM. */
export function generateKeyPair(): KeyPair {
  const { privateKey, publicKey } = generateKeyPairSync('ec', {
    namedCurve: 'P-256',
    privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
    publicKeyEncoding: { type: 'spki', format: 'pem' },
  });
  return { privateKeyPem: privateKey, publicKeyPem: publicKey };
}

/** Self-signed ECDSA P-256 CA that may sign leaf certificates only (pathlen 0). */
export async function createCertificateAuthority(options: {
  readonly commonName: string;
  readonly validityDays: number;
}): Promise<CertificateAuthority> {
  assertCommonName(options.commonName);
  if (!Number.isInteger(options.validityDays) || options.validityDays < 1 || options.validityDays > 3650) {
    throw new RangeError('validityDays must be an integer between 1 and 3650');
  }
  const pair = generateKeyPair();
  const keys = { privateKey: await importSigningKey(pair.privateKeyPem), publicKey: await importVerifyKey(pair.publicKeyPem) };
  const now = Date.now();
  const cert = await x509.X509CertificateGenerator.createSelfSigned(
    {
      serialNumber: randomSerial(),
      name: [{ CN: [options.commonName] }, { O: ['Strongroom'] }],
      notBefore: new Date(now - CLOCK_SKEW_MS),
      notAfter: new Date(now + options.validityDays * 86_400_000),
      keys,
      signingAlgorithm: SIGNING,
      extensions: [
        new x509.BasicConstraintsExtension(true, 0, true),
        new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
        await x509.SubjectKeyIdentifierExtension.create(keys.publicKey, false, crypto),
      ],
    },
    crypto,
  );
  return { keyPem: pair.privateKeyPem, certPem: cert.toString('pem') + '\n' };
}

/** Signs a leaf certificate for `publicKeyPem`; returns the certificate PEM. */
export async function issueCertificate(ca: CertificateAuthority, options: IssueOptions): Promise<string> {
  assertCommonName(options.commonName);
  if (!Number.isInteger(options.validitySeconds) || options.validitySeconds < 1) {
    throw new RangeError('validitySeconds must be a positive integer');
  }
  if (!['server', 'client', 'both'].includes(options.usage)) throw new TypeError(`invalid usage: ${String(options.usage)}`);

  const caCert = new x509.X509Certificate(ca.certPem);
  const caNodeCert = new X509Certificate(ca.certPem);
  if (!caNodeCert.ca) throw new Error('CA certificate lacks basicConstraints CA:TRUE');
  if (!caNodeCert.checkPrivateKey(createPrivateKey(ca.keyPem))) throw new Error('CA key does not match the CA certificate');

  const subjectKey = createPublicKey(options.publicKeyPem);
  const now = Date.now();
  const notAfter = new Date(now + options.validitySeconds * 1000);
  if (notAfter.getTime() > caNodeCert.validToDate.getTime()) throw new RangeError('certificate would outlive its CA');

  const names = subjectAltNames(options);
  const usages: string[] = [];
  if (options.usage !== 'client') usages.push(x509.ExtendedKeyUsage.serverAuth);
  if (options.usage !== 'server') usages.push(x509.ExtendedKeyUsage.clientAuth);
  // RSA key transport is not in our policy, but an RSA leaf still signs the ECDHE handshake.
  const keyUsage =
    subjectKey.asymmetricKeyType === 'rsa'
      ? x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyEncipherment
      : x509.KeyUsageFlags.digitalSignature;
  const caKeyId = caCert.getExtension(x509.SubjectKeyIdentifierExtension)?.keyId;
  const spki = new Uint8Array(subjectKey.export({ type: 'spki', format: 'der' }));

  const cert = await x509.X509CertificateGenerator.create(
    {
      serialNumber: randomSerial(),
      subject: [{ CN: [options.commonName] }],
      issuer: caCert.subjectName,
      notBefore: new Date(now - CLOCK_SKEW_MS),
      notAfter,
      publicKey: spki,
      signingKey: await importSigningKey(ca.keyPem),
      signingAlgorithm: SIGNING,
      extensions: [
        new x509.BasicConstraintsExtension(false, undefined, true),
        new x509.KeyUsagesExtension(keyUsage, true),
        new x509.ExtendedKeyUsageExtension(usages, false),
        ...(names.length > 0 ? [new x509.SubjectAlternativeNameExtension(names, false)] : []),
        await x509.SubjectKeyIdentifierExtension.create(spki, false, crypto),
        ...(caKeyId !== undefined ? [new x509.AuthorityKeyIdentifierExtension(caKeyId, false)] : []),
      ],
    },
    crypto,
  );
  return cert.toString('pem') + '\n';
}

function subjectAltNames(options: IssueOptions): { type: 'dns' | 'ip' | 'url'; value: string }[] {
  const names: { type: 'dns' | 'ip' | 'url'; value: string }[] = [];
  if (options.spiffeId !== undefined) names.push({ type: 'url', value: toSpiffeId(options.spiffeId) });
  for (const dns of options.dnsNames ?? []) {
    // Bounded: each label is at most 63 characters and must end in a dot, so matching is linear in the
    // number of labels; the length check keeps the whole name within DNS's 253.
    // eslint-disable-next-line security/detect-unsafe-regex -- see above
    if (dns.length > 253 || !/^(?:\*\.)?(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)*[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/i.test(dns)) {
      throw new TypeError(`invalid DNS name: ${JSON.stringify(dns)}`);
    }
    names.push({ type: 'dns', value: dns });
  }
  for (const ip of options.ipAddresses ?? []) {
    if (isIP(ip) === 0) throw new TypeError(`invalid IP address: ${JSON.stringify(ip)}`);
    names.push({ type: 'ip', value: ip });
  }
  return names;
}

function toSpiffeId(value: string): string {
  if (!value.startsWith('spiffe://')) return spiffeIdFor(value);
  const prefix = 'spiffe://strongroom.local/';
  const service = value.slice(prefix.length);
  if (!value.startsWith(prefix) || !isServiceName(service)) throw new TypeError(`invalid SPIFFE ID: ${JSON.stringify(value)}`);
  return value;
}

function assertCommonName(commonName: string): void {
  if (typeof commonName !== 'string' || commonName.length < 1 || commonName.length > 64) {
    throw new TypeError('commonName must be 1-64 characters');
  }
}

// 16 random bytes, top bit cleared (DER integers are signed) and second bit set so the encoding stays 16 bytes.
function randomSerial(): string {
  const bytes = randomBytes(16);
  bytes[0] = ((bytes[0] ?? 0) & 0x7f) | 0x40;
  return bytes.toString('hex');
}

async function importSigningKey(privateKeyPem: string): Promise<webcrypto.CryptoKey> {
  const key = createPrivateKey(privateKeyPem);
  if (key.asymmetricKeyType !== 'ec' || key.asymmetricKeyDetails?.namedCurve !== 'prime256v1') {
    throw new TypeError('CA key must be ECDSA P-256');
  }
  return webcrypto.subtle.importKey('pkcs8', key.export({ type: 'pkcs8', format: 'der' }), EC_P256, false, ['sign']);
}

async function importVerifyKey(publicKeyPem: string): Promise<webcrypto.CryptoKey> {
  const der = createPublicKey(publicKeyPem).export({ type: 'spki', format: 'der' });
  return webcrypto.subtle.importKey('spki', der, EC_P256, true, ['verify']);
}
