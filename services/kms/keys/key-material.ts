// Creating the material of a new key version, per purpose. A KEK is created inside the backend and
// never leaves it; HMAC and signing secrets are generated here and kept only wrapped under their
// version's KEK (and, while the KMS is unsealed, unwrapped in memory for use).
import { createPrivateKey, generateKeyPairSync, randomBytes } from 'node:crypto';
import type { KeyPurpose } from '#lib/contracts/index.ts';
import type { KekVersionRef, KeyBackend } from '../backends/key-backend.ts';

export type NewVersionMaterial = { handle: string; wrappedSecret: string | null; publicKey: string | null };

export async function createVersionMaterial(backend: KeyBackend, ref: KekVersionRef, purpose: KeyPurpose): Promise<NewVersionMaterial> {
  const handle = await backend.createKek(ref);
  if (purpose === 'kek') return { handle, wrappedSecret: null, publicKey: null };
  let secret: Buffer;
  let publicKey: string | null = null;
  if (purpose === 'hmac') {
    secret = randomBytes(32);
  } else {
    const pair = generateKeyPairSync('ed25519');
    secret = pair.privateKey.export({ format: 'der', type: 'pkcs8' });
    publicKey = pair.publicKey.export({ format: 'pem', type: 'spki' }).toString();
  }
  try {
    const wrapped = await backend.wrap(ref, handle, secret);
    return { handle, wrappedSecret: wrapped.toString('base64'), publicKey };
  } finally {
    secret.fill(0);
  }
}

/** The signing key object from its unwrapped PKCS#8 bytes. */
export function signingKeyFrom(secret: Buffer) {
  return createPrivateKey({ key: secret, format: 'der', type: 'pkcs8' });
}
