// The persisted half of the seal: the master key encrypted under the unseal key, plus what an unseal
// needs to check shares against. Holds neither key in clear. Shared by seal-init and unseal-progress.
import { createCipheriv, createDecipheriv } from 'node:crypto';

export const KEY_BYTES = 32;
export const NONCE_BYTES = 12;
export const TAG_BYTES = 16;
export const MAX_SHARES = 16;

export type SealRecord = {
  readonly installId: string;
  readonly threshold: number;
  readonly shareCount: number;
  /** AES-256-GCM nonce for the master key encryption. */
  readonly nonce: Buffer;
  /** The master key encrypted under the unseal key: ciphertext ‖ 16-byte GCM tag. */
  readonly ciphertext: Buffer;
  readonly createdAt: Date;
};

export function masterKeyAad(installId: string): Buffer {
  return Buffer.from(`strongroom-kms-master:v1:${installId}`, 'utf8');
}

export function encryptMasterKey(unsealKey: Uint8Array, masterKey: Uint8Array, nonce: Buffer, installId: string): Buffer {
  const cipher = createCipheriv('aes-256-gcm', unsealKey, nonce, { authTagLength: TAG_BYTES });
  cipher.setAAD(masterKeyAad(installId));
  return Buffer.concat([cipher.update(masterKey), cipher.final(), cipher.getAuthTag()]);
}

/** Throws if the unseal key is wrong or the record was altered (GCM authenticates both). */
export function decryptMasterKey(unsealKey: Uint8Array, record: SealRecord): Buffer {
  if (record.nonce.length !== NONCE_BYTES || record.ciphertext.length !== KEY_BYTES + TAG_BYTES) {
    throw new Error('seal record has the wrong shape');
  }
  const decipher = createDecipheriv('aes-256-gcm', unsealKey, record.nonce, { authTagLength: TAG_BYTES });
  decipher.setAAD(masterKeyAad(record.installId));
  decipher.setAuthTag(record.ciphertext.subarray(KEY_BYTES));
  const head = decipher.update(record.ciphertext.subarray(0, KEY_BYTES));
  try {
    const tail = decipher.final();
    const masterKey = Buffer.alloc(KEY_BYTES);
    masterKey.set(head, 0);
    masterKey.set(tail, head.length);
    tail.fill(0);
    return masterKey;
  } finally {
    head.fill(0);
  }
}
