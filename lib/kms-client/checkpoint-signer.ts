// Audit checkpoints are signed by the KMS's `audit-checkpoint` key (Ed25519): every service's audit
// stream heads can then be verified against the KMS's published public keys.
import type { CheckpointSigner } from '#lib/audit/index.ts';
import type { KmsClient } from './kms-client.ts';

export const AUDIT_CHECKPOINT_KEY = 'audit-checkpoint';

export function kmsCheckpointSigner(kms: Pick<KmsClient, 'sign'>): CheckpointSigner {
  return async (payload) => {
    const signed = await kms.sign(AUDIT_CHECKPOINT_KEY, payload);
    return { keyId: signed.key_id, keyVersion: signed.version, signature: signed.signature };
  };
}
