// Scheduled rotation at the end of a key's crypto-period: once per key however many KMS instances run
// the schedule, never for keys rotated on demand only, and old blobs keep decrypting.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { KmsClient } from '#lib/kms-client/index.ts';
import { createLocalBackend } from '../backends/local-backend.ts';
import { createKeyStore } from '../keys/keys.store.ts';
import { startKmsTestbed, type KmsTestbed } from '../testing.ts';
import { createRotationJob } from './rotation.job.ts';

let bed: KmsTestbed;
let dir: string;
let vault: KmsClient;
let operator: KmsClient;

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'kms-rotation-'));
  bed = await startKmsTestbed(createLocalBackend(), { devSharesFile: join(dir, 'shares.json') });
  vault = await bed.client('vault');
  operator = await bed.client('operator');
});
after(async () => {
  await bed?.close();
  await rm(dir, { recursive: true, force: true });
});

const jobAt = (at: Date) => createRotationJob({ store: createKeyStore(bed.database.db), keys: bed.kms.keys, logger: bed.log.logger, intervalMs: 60_000, now: () => at });

test('nothing is due within the crypto-period', async () => {
  await vault.dataKey('card-data');
  await vault.hmac('fingerprint.acct_rot', Buffer.from('x'));
  assert.deepEqual(await jobAt(new Date(Date.now() + 364 * 86_400_000)).runOnce(), []);
});

test('after a year card-data rotates once, even with two instances running the schedule; fingerprints never', async () => {
  const old = await vault.dataKey('card-data');
  const at = new Date(Date.now() + 366 * 86_400_000);
  const [a, b] = await Promise.all([jobAt(at).runOnce(), jobAt(at).runOnce()]);
  assert.deepEqual([...a, ...b], ['card-data']);
  const described = await operator.call<{ primary_version: number; versions: { state: string }[] }>('GET', '/v1/keys/card-data');
  assert.equal(described.primary_version, 2);
  assert.deepEqual(described.versions.map((v) => v.state), ['decrypt-only', 'active']);
  assert.equal((await vault.decrypt(old.wrapped)).plaintext, old.plaintext);
  assert.equal((await vault.dataKey('card-data')).version, 2);
  const fingerprint = await operator.call<{ primary_version: number }>('GET', '/v1/keys/fingerprint.acct_rot');
  assert.equal(fingerprint.primary_version, 1);
  assert.deepEqual(await jobAt(at).runOnce(), [], 'the new version starts a new period');
});
