export { createKmsClient, KmsUnavailableError, KmsRequestError, type KmsClient } from './kms-client.ts';
export { kmsCheckpointSigner, AUDIT_CHECKPOINT_KEY } from './checkpoint-signer.ts';
