import type { IssueFunction } from './renewing-identity.ts';
import { issueCertificate, type CertificateAuthority, type CertificateUsage } from './pki.ts';

/**
 * Glue between an in-process CA (the supervisor's) and `createRenewingIdentity`: issues certificates
 * carrying the service's SPIFFE ID for whatever public key the identity generated.
 */
export function localIssuer(
  ca: CertificateAuthority,
  options: {
    readonly name: string;
    readonly validitySeconds: number;
    readonly usage?: CertificateUsage;
    readonly dnsNames?: readonly string[];
    readonly ipAddresses?: readonly string[];
  },
): IssueFunction {
  return async (publicKeyPem) => ({
    certPem: await issueCertificate(ca, {
      publicKeyPem,
      commonName: options.name,
      spiffeId: options.name,
      dnsNames: options.dnsNames ?? [],
      ipAddresses: options.ipAddresses ?? [],
      validitySeconds: options.validitySeconds,
      usage: options.usage ?? 'both',
    }),
    caPem: ca.certPem,
  });
}
