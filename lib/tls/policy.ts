import { createSecureContext, type SecureContextOptions } from 'node:tls';
import { constants as cryptoConstants } from 'node:crypto';
import type { IdentityMaterial } from './identity-material.ts';

const TLS12_CIPHERS = [
  'ECDHE-ECDSA-AES256-GCM-SHA384',
  'ECDHE-RSA-AES256-GCM-SHA384',
  'ECDHE-ECDSA-CHACHA20-POLY1305',
  'ECDHE-RSA-CHACHA20-POLY1305',
  'ECDHE-ECDSA-AES128-GCM-SHA256',
  'ECDHE-RSA-AES128-GCM-SHA256',
] as const;

const TLS13_CIPHERSUITES = ['TLS_AES_256_GCM_SHA384', 'TLS_CHACHA20_POLY1305_SHA256', 'TLS_AES_128_GCM_SHA256'] as const;

const PREFERRED_GROUPS = 'X25519MLKEM768:X25519:P-256';
const CLASSIC_GROUPS = 'X25519:P-256';

// Hybrid post-quantum key exchange needs OpenSSL ≥ 3.5; fall back so the process still starts elsewhere.
function supportedGroups(): string {
  try {
    createSecureContext({ ecdhCurve: PREFERRED_GROUPS });
    return PREFERRED_GROUPS;
  } catch {
    return CLASSIC_GROUPS;
  }
}

/** The one TLS policy for every Strongroom listener and client. */
export const tlsPolicy = Object.freeze({
  minVersion: 'TLSv1.2',
  maxVersion: 'TLSv1.3',
  // Node splits TLS_* names into the TLS 1.3 ciphersuite list; TLS 1.3 suites come first by convention.
  ciphers: [...TLS13_CIPHERSUITES, ...TLS12_CIPHERS].join(':'),
  ecdhCurve: supportedGroups(),
  honorCipherOrder: true,
  // OpenSSL 3 never compresses; renegotiation is the remaining legacy surface (DoS, splicing).
  secureOptions: cryptoConstants.SSL_OP_NO_RENEGOTIATION,
} as const satisfies SecureContextOptions);

export const TLS12_CIPHER_LIST: readonly string[] = TLS12_CIPHERS;
export const TLS13_CIPHERSUITE_LIST: readonly string[] = TLS13_CIPHERSUITES;

export type ServerTlsOptions = SecureContextOptions & {
  readonly requestCert: boolean;
  readonly rejectUnauthorized: boolean;
  readonly handshakeTimeout: number;
};

/** Options for `https.createServer` / fastify `https` / `server.setSecureContext`. */
export function serverTlsOptions(identity: IdentityMaterial, options: { readonly mtls: boolean }): ServerTlsOptions {
  return {
    ...tlsPolicy,
    key: identity.keyPem,
    cert: identity.certPem,
    // Only internal listeners trust the internal CA, and only they ask for a client certificate.
    ...(options.mtls ? { ca: identity.caPem } : {}),
    requestCert: options.mtls,
    rejectUnauthorized: options.mtls,
    handshakeTimeout: 10_000,
  };
}

export type ClientTlsOptions = SecureContextOptions & { readonly rejectUnauthorized: true };

/** Options for outgoing mTLS (`tls.connect`, undici `connect`): our certificate, only the internal CA trusted. */
export function clientTlsOptions(identity: IdentityMaterial): ClientTlsOptions {
  return {
    ...tlsPolicy,
    key: identity.keyPem,
    cert: identity.certPem,
    ca: identity.caPem,
    rejectUnauthorized: true,
  };
}
