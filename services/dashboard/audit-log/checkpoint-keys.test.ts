// The KMS checkpoint keys as a lookup: cached, read again when asked (after a rotation), and "no key
// yet" (the KMS's 404 before the first signature) as an empty lookup, never cached.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { KmsRequestError } from '#lib/kms-client/index.ts';
import { createTestSigner } from '#lib/audit/testing.ts';
import { checkpointKeysFrom } from './checkpoint-keys.ts';

const pem = (signer: ReturnType<typeof createTestSigner>) => signer.publicKey.export({ type: 'spki', format: 'pem' }).toString();

test('cached for minutes, read again when fresh; 404 is an empty lookup that is not cached', async () => {
  const v1 = createTestSigner('audit-checkpoint', 1);
  const v2 = createTestSigner('audit-checkpoint', 2);
  let published: Array<{ version: number; state: string; public_key_pem: string }> | null = null;
  let calls = 0;
  let clock = 0;
  const keys = checkpointKeysFrom({
    publicKeys: async () => {
      calls += 1;
      if (published === null) throw new KmsRequestError(404, 'key_not_found', 'no such key');
      return { key_id: 'audit-checkpoint', keys: published };
    },
  }, () => clock);

  assert.equal((await keys())('audit-checkpoint', 1), undefined, 'no key yet');
  published = [{ version: 1, state: 'active', public_key_pem: pem(v1) }];
  assert.ok((await keys())('audit-checkpoint', 1), 'the 404 was not cached');
  published = [...published, { version: 2, state: 'active', public_key_pem: pem(v2) }];
  assert.equal((await keys())('audit-checkpoint', 2), undefined, 'cached');
  assert.ok((await keys(true))('audit-checkpoint', 2), 'fresh reads again');
  clock += 5 * 60_000;
  const before = calls;
  await keys();
  assert.equal(calls, before + 1, 'the cache expires');
  await assert.rejects(checkpointKeysFrom({ publicKeys: async () => { throw new KmsRequestError(403, 'forbidden', 'no'); } })(), KmsRequestError);
});
