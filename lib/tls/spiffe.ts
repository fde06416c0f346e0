import { X509Certificate } from 'node:crypto';

export const SPIFFE_TRUST_DOMAIN = 'strongroom.local';

// Both patterns are anchored and bounded ({0,61}): at most 63 characters are ever examined per name.
// eslint-disable-next-line security/detect-unsafe-regex -- see above
const SERVICE_NAME = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;
// eslint-disable-next-line security/detect-unsafe-regex -- see above
const SPIFFE_URI = /^spiffe:\/\/strongroom\.local\/([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)$/;

export function isServiceName(name: string): boolean {
  return SERVICE_NAME.test(name);
}

/** `spiffe://strongroom.local/<service>`; throws on a name that could not be parsed back. */
export function spiffeIdFor(service: string): string {
  if (!isServiceName(service)) throw new TypeError(`invalid service name: ${JSON.stringify(service)}`);
  return `spiffe://${SPIFFE_TRUST_DOMAIN}/${service}`;
}

/** What `tlsSocket.getPeerCertificate()` returns, or a parsed certificate. */
export type PeerCertificateLike = { readonly subjectaltname?: string } | X509Certificate | null | undefined;

/**
 * The service name carried by a peer certificate, or null.
 * Follows the SPIFFE X.509-SVID rule that a certificate carries exactly one URI SAN: a certificate
 * with zero or several URIs, another trust domain, or a path that is not one `[a-z0-9-]` segment
 * has no identity. Node quotes SAN entries containing separators (`URI:"…, …"`), so such an entry
 * never matches the pattern and cannot smuggle a second identity.
 */
export function identityOfPeer(peer: PeerCertificateLike): string | null {
  if (peer === null || peer === undefined) return null;
  const san = peer instanceof X509Certificate ? peer.subjectAltName : peer.subjectaltname;
  if (typeof san !== 'string' || san === '') return null;
  const uris = san
    .split(', ')
    .filter((entry) => entry.startsWith('URI:'))
    .map((entry) => entry.slice(4));
  if (uris.length !== 1) return null;
  const match = SPIFFE_URI.exec(uris[0] ?? '');
  return match?.[1] ?? null;
}
