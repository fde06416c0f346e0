// Card fingerprints: HMAC-SHA256 of the PAN under the merchant's fingerprint key, computed inside the
// KMS (the vault never holds that key), so a fingerprint recognises the same card for one merchant
// and means nothing across merchants or outside the platform. Never a plain hash of the PAN.
import { HMAC_BATCH_MAX } from '#lib/contracts/index.ts';
import type { KmsClient } from '#lib/kms-client/index.ts';
import { ACCOUNT_ID } from '../data-keys/data-key-registry.ts';

export function fingerprintKeyOf(accountId: string): string {
  if (!ACCOUNT_ID.test(accountId)) throw new RangeError('not an account id');
  return `fingerprint.${accountId}`;
}

export function createFingerprinter(kms: Pick<KmsClient, 'hmacBatch'>) {
  return {
    /** One fingerprint per PAN (ASCII digits), in order; one KMS call per HMAC_BATCH_MAX PANs. */
    async of(accountId: string, pans: readonly Buffer[]): Promise<string[]> {
      const keyId = fingerprintKeyOf(accountId);
      const out: string[] = [];
      for (let i = 0; i < pans.length; i += HMAC_BATCH_MAX) {
        const chunk = pans.slice(i, i + HMAC_BATCH_MAX);
        const answer = await kms.hmacBatch(keyId, chunk);
        if (answer.macs.length !== chunk.length || answer.key_id !== keyId) throw new Error('the KMS answered a fingerprint batch for another request');
        out.push(...answer.macs);
      }
      return out;
    },
  };
}

export type Fingerprinter = ReturnType<typeof createFingerprinter>;
