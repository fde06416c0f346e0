// AES-256-GCM sealing of one webhook signing secret under a data key (DEK). The additional
// authenticated data binds the sealed secret to its endpoint (account and mode), so a sealed value
// copied to another merchant's endpoint, or from the test endpoint to the live one, does not open.
// Pure apart from the random nonce; the caller owns (and zeroises) the key and every Buffer returned.
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';

export const DEK_BYTES = 32;
export const SECRET_BYTES = 32;
const NONCE_BYTES = 12;
const TAG_BYTES = 16;
/** nonce ‖ ciphertext ‖ tag: what the `secret_ciphertext` column holds (checked there too). */
export const SEALED_BYTES = NONCE_BYTES + SECRET_BYTES + TAG_BYTES;
const ALGORITHM = 'aes-256-gcm';
/** Domain separation: these AAD bytes mean nothing to any other use of a key. */
const AAD_DOMAIN = 'strongroom/api/webhook-secret/v1';

/** The endpoint a secret belongs to: one per account and mode. */
export type EndpointBinding = { accountId: string; livemode: boolean };

/** Fixed message: never a secret, a key or the binding's values. */
export class SecretCipherError extends Error {
  constructor() {
    super('the webhook secret could not be sealed or opened');
    this.name = 'SecretCipherError';
  }
}

/** Length-prefixed fields (domain, account, mode): distinct bindings give distinct bytes. */
export function encodeAad(binding: EndpointBinding): Buffer {
  const fields = [AAD_DOMAIN, binding.accountId, binding.livemode ? 'live' : 'test'];
  const parts: Buffer[] = [];
  for (const field of fields) {
    if (typeof field !== 'string' || field === '' || !field.isWellFormed()) throw new SecretCipherError();
    const bytes = Buffer.from(field, 'utf8');
    if (bytes.length > 255) throw new SecretCipherError();
    parts.push(Buffer.from([bytes.length]), bytes);
  }
  return Buffer.concat(parts);
}

export function sealSecret(dek: Buffer, secret: Buffer, binding: EndpointBinding): Buffer {
  if (dek.length !== DEK_BYTES || secret.length !== SECRET_BYTES) throw new SecretCipherError();
  const nonce = randomBytes(NONCE_BYTES);
  const cipher = createCipheriv(ALGORITHM, dek, nonce, { authTagLength: TAG_BYTES });
  cipher.setAAD(encodeAad(binding));
  return Buffer.concat([nonce, cipher.update(secret), cipher.final(), cipher.getAuthTag()]);
}

/** The secret, or SecretCipherError for any change to the key, the sealed bytes or the binding. */
export function openSecret(dek: Buffer, sealed: Buffer, binding: EndpointBinding): Buffer {
  let body: Buffer | undefined;
  try {
    if (dek.length !== DEK_BYTES || sealed.length !== SEALED_BYTES) throw new SecretCipherError();
    const decipher = createDecipheriv(ALGORITHM, dek, sealed.subarray(0, NONCE_BYTES), { authTagLength: TAG_BYTES });
    decipher.setAAD(encodeAad(binding));
    decipher.setAuthTag(sealed.subarray(SEALED_BYTES - TAG_BYTES));
    // GCM's update() releases unauthenticated bytes: they are returned only once final() checked the tag.
    body = decipher.update(sealed.subarray(NONCE_BYTES, SEALED_BYTES - TAG_BYTES));
    decipher.final();
    const secret = Buffer.alloc(SECRET_BYTES);
    body.copy(secret);
    return secret;
  } catch {
    throw new SecretCipherError();
  } finally {
    body?.fill(0);
  }
}
