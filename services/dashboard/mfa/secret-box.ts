// TOTP secrets at rest, by envelope encryption as the api seals webhook secrets: each secret is
// sealed (AES-256-GCM, bound to its user) under a fresh data key from the KMS, made under the KEK
// `mfa-secret` (the dashboard's alone, lib/contracts/kms.ts). The row keeps the wrapped data key and
// the sealed secret, never the secret. Opening asks the KMS to unwrap the data key for that one use
// (sign-ins are rare enough that nothing is cached). Fails closed: a KMS that cannot serve raises
// KmsUnavailableError, and TOTP is refused until it is back (WebAuthn and recovery codes still work).
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { parseWrapped } from '#lib/contracts/index.ts';
import { KmsUnavailableError, type KmsClient } from '#lib/kms-client/index.ts';

export const MFA_SECRET_KEK = 'mfa-secret';
const DEK_BYTES = 32;
const IV_BYTES = 12;
const TAG_BYTES = 16;
const VERSION = 1;

/** For a dashboard configured without a KMS peer: TOTP is unavailable (fails closed); WebAuthn still works. */
export const NO_KMS: Pick<KmsClient, 'dataKey' | 'decrypt'> = {
  dataKey: async () => { throw new KmsUnavailableError('unreachable', 'no KMS is configured for the dashboard'); },
  decrypt: async () => { throw new KmsUnavailableError('unreachable', 'no KMS is configured for the dashboard'); },
};

export type SealedTotpSecret = { secret_wrapped_key: string; secret_ciphertext: Buffer };

/** The sealed secret cannot be opened for this user (tampered, moved to another user, or a wrong KMS answer). */
export class SecretBoxError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SecretBoxError';
  }
}

const aad = (userId: string) => Buffer.from(`strongroom/mfa-totp/v${VERSION}\0${userId}`, 'utf8');

function keyFrom(base64: string): Buffer {
  if (Buffer.byteLength(base64, 'base64') !== DEK_BYTES) throw new SecretBoxError('the KMS answered with a data key of the wrong size');
  const key = Buffer.alloc(DEK_BYTES);
  key.write(base64, 'base64');
  return key;
}

export function createSecretBox(deps: { kms: Pick<KmsClient, 'dataKey' | 'decrypt'> }) {
  const { kms } = deps;
  return {
    async seal(userId: string, secret: Buffer): Promise<SealedTotpSecret> {
      const fresh = await kms.dataKey(MFA_SECRET_KEK);
      if (fresh.key_id !== MFA_SECRET_KEK || parseWrapped(fresh.wrapped)?.keyId !== MFA_SECRET_KEK) throw new SecretBoxError('the KMS answered for another key');
      const key = keyFrom(fresh.plaintext);
      try {
        const iv = randomBytes(IV_BYTES);
        const cipher = createCipheriv('aes-256-gcm', key, iv).setAAD(aad(userId));
        const body = Buffer.concat([cipher.update(secret), cipher.final()]);
        return { secret_wrapped_key: fresh.wrapped, secret_ciphertext: Buffer.concat([Buffer.from([VERSION]), iv, body, cipher.getAuthTag()]) };
      } finally {
        key.fill(0);
      }
    },

    /** The user's secret; the caller zeroises it when done. */
    async open(userId: string, sealed: SealedTotpSecret): Promise<Buffer> {
      if (parseWrapped(sealed.secret_wrapped_key)?.keyId !== MFA_SECRET_KEK) throw new SecretBoxError('the wrapped key names another key');
      const blob = sealed.secret_ciphertext;
      if (blob.length < 1 + IV_BYTES + TAG_BYTES + 1 || blob[0] !== VERSION) throw new SecretBoxError('the sealed secret is malformed');
      const answer = await kms.decrypt(sealed.secret_wrapped_key);
      if (answer.key_id !== MFA_SECRET_KEK) throw new SecretBoxError('the KMS answered for another key');
      const key = keyFrom(answer.plaintext);
      try {
        const decipher = createDecipheriv('aes-256-gcm', key, blob.subarray(1, 1 + IV_BYTES)).setAAD(aad(userId));
        decipher.setAuthTag(blob.subarray(blob.length - TAG_BYTES));
        return Buffer.concat([decipher.update(blob.subarray(1 + IV_BYTES, blob.length - TAG_BYTES)), decipher.final()]);
      } catch {
        throw new SecretBoxError('the sealed secret does not open for this user');
      } finally {
        key.fill(0);
      }
    },
  };
}
export type SecretBox = ReturnType<typeof createSecretBox>;
