// Audit actions the KMS emits. Entries name the caller identity, the key id and version, the
// operation and its outcome: never key material, data keys, MACs or the data that was signed.
export const KMS_AUDIT_ACTIONS = {
  dataKey: 'kms.data_key.generate',
  decrypt: 'kms.data_key.decrypt',
  rewrap: 'kms.data_key.rewrap',
  hmac: 'kms.hmac.compute',
  sign: 'kms.signature.create',
  publicKeys: 'kms.public_keys.read',
  describe: 'kms.key.describe',
  create: 'kms.key.create',
  rotate: 'kms.key.rotate',
  setState: 'kms.key_version.state_change',
  minDecryptVersion: 'kms.key.min_decrypt_version',
  destroy: 'kms.key.destroy',
  init: 'kms.seal.initialize',
  unsealShare: 'kms.seal.unseal_share',
  unseal: 'kms.seal.unseal',
  unsealReset: 'kms.seal.unseal_reset',
  seal: 'kms.seal.seal',
} as const;

export type KmsAuditAction = (typeof KMS_AUDIT_ACTIONS)[keyof typeof KMS_AUDIT_ACTIONS];
