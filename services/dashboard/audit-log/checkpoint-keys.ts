// The KMS's published `audit-checkpoint` public keys as a lib/audit lookup, kept for a few minutes
// (new versions appear only at a rotation), to check the signed checkpoints of the dashboard's
// own stream. The KMS is the trust anchor of those signatures.
import { createPublicKey } from 'node:crypto';
import { publicKeyLookup, type PublicKeyLookup } from '#lib/audit/index.ts';
import { AUDIT_CHECKPOINT_KEY, KmsRequestError, type KmsClient } from '#lib/kms-client/index.ts';

const CACHE_MS = 5 * 60_000;

export function checkpointKeysFrom(kms: Pick<KmsClient, 'publicKeys'>, now: () => number = Date.now): (fresh?: boolean) => Promise<PublicKeyLookup> {
  let cached: { at: number; lookup: PublicKeyLookup } | undefined;
  /** `fresh`: skip the cache (a checkpoint named a key version the cached keys do not have). */
  return async (fresh = false) => {
    if (!fresh && cached && now() - cached.at < CACHE_MS) return cached.lookup;
    let published;
    try {
      published = await kms.publicKeys(AUDIT_CHECKPOINT_KEY);
    } catch (error) {
      // The key is made at the first signature: until then nothing can be signed, and a stored
      // checkpoint that claims a key the KMS does not have is reported (unknown_key). Not cached.
      if (error instanceof KmsRequestError && error.status === 404) return publicKeyLookup([]);
      throw error;
    }
    const lookup = publicKeyLookup(published.keys.map((k) => ({
      keyId: published.key_id, version: k.version, key: createPublicKey({ key: k.public_key_pem, format: 'pem' }),
    })));
    cached = { at: now(), lookup };
    return lookup;
  };
}
