import { createPrivateKey, X509Certificate } from 'node:crypto';

/** What a TLS endpoint needs: its key and certificate (chain), and the CA bundle it trusts. */
export type IdentityMaterial = {
  readonly keyPem: string;
  readonly certPem: string;
  readonly caPem: string;
  readonly notAfter: Date;
};

/** A source of identity material that may change over time (renewal, operator rotation). */
export type Identity = {
  current(): IdentityMaterial;
  /** Called after every swap; returns an unsubscribe function. */
  onChange(listener: (material: IdentityMaterial) => void): () => void;
  stop(): void;
};

const PEM_CERT = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g;

export function splitPemCertificates(pem: string): X509Certificate[] {
  return (pem.match(PEM_CERT) ?? []).map((block) => new X509Certificate(block));
}

/**
 * Checks that the pieces fit together before they are served: the key belongs to the leaf, the chain
 * is in order with valid signatures and (unless `requireIssuedByCa: false`, for public certificates
 * whose CA is not the internal one) links up to a certificate in the CA bundle, and the leaf is
 * inside its validity window. Throws with a reason otherwise. Used for issued and operator-supplied files alike,
 * so a half-rotated set of files can never replace a working identity.
 */
export function validateIdentityMaterial(
  pieces: { readonly keyPem: string; readonly certPem: string; readonly caPem: string },
  options: { readonly now?: Date; readonly requireIssuedByCa?: boolean } = {},
): IdentityMaterial {
  const now = options.now ?? new Date();
  const chain = splitPemCertificates(pieces.certPem);
  const cas = splitPemCertificates(pieces.caPem);
  const leaf = chain[0];
  if (leaf === undefined) throw new Error('certificate PEM contains no certificate');
  if (cas.length === 0) throw new Error('CA PEM contains no certificate');
  const key = createPrivateKey(pieces.keyPem);
  if (!leaf.checkPrivateKey(key)) throw new Error('private key does not match the certificate');

  for (let i = 0; i + 1 < chain.length; i++) {
    const child = chain[i];
    const parent = chain[i + 1];
    if (child === undefined || parent === undefined || !isIssuedBy(child, parent)) {
      throw new Error('certificate chain is not in order or not signed by its issuer');
    }
  }
  const top = chain[chain.length - 1] ?? leaf;
  const issuedByBundle = cas.some((ca) => isIssuedBy(top, ca) || top.fingerprint256 === ca.fingerprint256);
  if (options.requireIssuedByCa !== false && !issuedByBundle) {
    throw new Error('certificate is not issued by the CA bundle (for a public certificate from another CA, set requireIssuedByCa: false)');
  }
  if (leaf.validFromDate.getTime() > now.getTime()) throw new Error('certificate is not yet valid');
  if (leaf.validToDate.getTime() <= now.getTime()) throw new Error('certificate has expired');
  return { keyPem: pieces.keyPem, certPem: pieces.certPem, caPem: pieces.caPem, notAfter: leaf.validToDate };
}

function isIssuedBy(child: X509Certificate, issuer: X509Certificate): boolean {
  return issuer.ca && child.checkIssued(issuer) && child.verify(issuer.publicKey);
}

/** Listener registry shared by identity sources; a throwing listener never stops the others. */
export function createListeners<T>(onListenerError: (error: unknown) => void) {
  const listeners = new Set<(value: T) => void>();
  return {
    add(listener: (value: T) => void): () => void {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    emit(value: T): void {
      for (const listener of listeners) {
        try {
          listener(value);
        } catch (error) {
          onListenerError(error);
        }
      }
    },
    clear(): void {
      listeners.clear();
    },
  };
}
