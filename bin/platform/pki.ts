// Dev PKI, held by the supervisor only: an internal CA for mTLS between services and a separate
// public CA for the HTTPS listeners (its certificate at $DATA/pki/ca.crt for users to trust).
// Service keys are generated inside each service process; the supervisor only signs public keys,
// and the identity in the certificate is decided here, by which child asked, never by the request.
import { mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createCertificateAuthority, generateKeyPair, issueCertificate, spiffeIdFor } from '#lib/tls/index.ts';
import type { PlatformSettings, ServiceName } from '#lib/config/index.ts';

type Ca = { keyPem: string; certPem: string };
export type CertificateKind = 'internal' | 'public';

async function loadOrCreateCa(dir: string, name: string, commonName: string): Promise<Ca> {
  const keyFile = join(dir, `${name}.key`);
  const certFile = join(dir, `${name}.crt`);
  const present = await stat(keyFile).then(() => true, () => false);
  if (present) return { keyPem: await readFile(keyFile, 'utf8'), certPem: await readFile(certFile, 'utf8') };
  const ca = await createCertificateAuthority({ commonName, validityDays: 825 });
  await writeFile(keyFile, ca.keyPem, { mode: 0o600 });
  await writeFile(certFile, ca.certPem, { mode: 0o644 });
  return ca;
}

export async function createDevPki(settings: PlatformSettings) {
  const dir = join(settings.dataDir, 'pki');
  await mkdir(dir, { recursive: true, mode: 0o755 });
  const internal = await loadOrCreateCa(dir, 'internal-ca', 'Strongroom internal CA (dev)');
  // `ca.crt` is the public CA: the one a user adds to their trust store for https://localhost:844x.
  const publicCa = await loadOrCreateCa(dir, 'ca', 'Strongroom public CA (dev)');
  const dnsNames = ['localhost', ...settings.publicHostnames];

  return {
    internalCaPem: internal.certPem,
    publicCaPem: publicCa.certPem,
    async issue(service: ServiceName, kind: CertificateKind, publicKeyPem: string) {
      if (kind === 'internal') {
        const certPem = await issueCertificate(internal, {
          publicKeyPem,
          commonName: service,
          spiffeId: spiffeIdFor(service),
          dnsNames: ['localhost'],
          ipAddresses: ['127.0.0.1'],
          validitySeconds: settings.internalCertSeconds,
          usage: 'both',
        });
        return { certPem, caPem: internal.certPem };
      }
      const certPem = await issueCertificate(publicCa, {
        publicKeyPem,
        commonName: dnsNames[0] ?? 'localhost',
        dnsNames,
        ipAddresses: ['127.0.0.1', '::1'],
        validitySeconds: settings.publicCertSeconds,
        usage: 'server',
      });
      return { certPem, caPem: publicCa.certPem };
    },
    /** Server certificate of an embedded PostgreSQL cluster (`pg-cde`, `pg-core`), key made here. */
    async issueDatabaseServer(name: string) {
      const pair = generateKeyPair();
      const certPem = await issueCertificate(internal, {
        publicKeyPem: pair.publicKeyPem, commonName: name, spiffeId: spiffeIdFor(name),
        dnsNames: ['localhost'], ipAddresses: ['127.0.0.1', '::1'], validitySeconds: settings.publicCertSeconds, usage: 'server',
      });
      return { certPem, keyPem: pair.privateKeyPem, caFile: join(dir, 'internal-ca.crt') };
    },
    /** A client identity for operators' tools (the CI TLS scan of internal listeners), named `scanner`. */
    async issueToolIdentity(name: string, publicKeyPem: string) {
      return issueCertificate(internal, {
        publicKeyPem, commonName: name, spiffeId: spiffeIdFor(name), validitySeconds: 3600, usage: 'client',
      });
    },
  };
}
export type DevPki = Awaited<ReturnType<typeof createDevPki>>;
