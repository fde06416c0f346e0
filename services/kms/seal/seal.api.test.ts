// Dual control and split knowledge, over the real mTLS API: an operator initialises the KMS into
// N custodian shares with threshold M; unsealing takes M distinct shares of this installation.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { KmsRequestError, KmsUnavailableError, type KmsClient } from '#lib/kms-client/index.ts';
import { readLog } from '#lib/audit/testing.ts';
import { createLocalBackend } from '../backends/local-backend.ts';
import { initializeSeal } from './seal-init.ts';
import { startKmsTestbed, type KmsTestbed } from '../testing.ts';

type Status = { sealed: boolean; initialized: boolean; progress: number; threshold: number };

describe('seal and unseal through the API (local backend, 5 shares, threshold 3)', () => {
  let bed: KmsTestbed;
  let operator: KmsClient;
  let vault: KmsClient;
  let api: KmsClient;
  let shares: string[];

  before(async () => {
    bed = await startKmsTestbed(createLocalBackend());
    operator = await bed.client('operator');
    vault = await bed.client('vault');
    api = await bed.client('api');
  });
  after(async () => bed?.close());

  const submit = (share: string) => operator.call<Status>('POST', '/v1/sys/unseal', { share });

  test('a fresh KMS is sealed and uninitialised: key operations answer 503, callers fail closed', async () => {
    const status = await vault.sealStatus();
    assert.equal(status.sealed, true);
    assert.equal(status.initialized, false);
    await assert.rejects(vault.dataKey('card-data'), (e: unknown) => e instanceof KmsUnavailableError && e.reason === 'sealed');
  });

  test('bad parameters are refused with 400, and initialise nothing', async () => {
    await assert.rejects(operator.call('POST', '/v1/sys/init', { shares: 2, threshold: 3 }), (e: unknown) => e instanceof KmsRequestError && e.status === 400);
    await assert.rejects(operator.call('POST', '/v1/sys/init', { shares: 40, threshold: 3 }), (e: unknown) => e instanceof KmsRequestError && e.status === 400);
    assert.equal((await vault.sealStatus()).initialized, false);
  });

  test('only an operator may initialise; initialisation returns the shares once', async () => {
    await assert.rejects(api.call('POST', '/v1/sys/init', { shares: 5, threshold: 3 }), (e: unknown) => e instanceof KmsRequestError && e.status === 403);
    const created = await operator.call<{ shares: string[]; threshold: number; install_id: string }>('POST', '/v1/sys/init', { shares: 5, threshold: 3 });
    shares = created.shares;
    assert.equal(shares.length, 5);
    assert.equal(new Set(shares).size, 5);
    await assert.rejects(operator.call('POST', '/v1/sys/init', { shares: 5, threshold: 3 }), /already initialised/);
  });

  test('a repeated share does not count twice; a share of another installation is refused; reset starts over', async () => {
    assert.equal((await submit(shares[0]!)).progress, 1);
    assert.equal((await submit(shares[0]!)).progress, 1, 'the same share again counts once');
    const foreign = (await initializeSeal({ shares: 5, threshold: 3 })).shares[1]!;
    await assert.rejects(submit(foreign), /another KMS installation/);
    await assert.rejects(submit('srkms1-not-a-share'), (e: unknown) => e instanceof KmsRequestError && e.status === 400);
    assert.equal((await submit(shares[1]!)).progress, 2);
    const reset = await operator.call<Status>('POST', '/v1/sys/unseal/reset');
    assert.equal(reset.progress, 0);
    assert.equal(reset.sealed, true);
    await assert.rejects(vault.dataKey('card-data'), KmsUnavailableError);
  });

  test('M-1 shares leave it sealed; the M-th distinct share unseals; keys work; sealing again forgets them', async () => {
    await submit(shares[4]!);
    const two = await submit(shares[2]!);
    assert.deepEqual([two.sealed, two.progress, two.threshold], [true, 2, 3]);
    await assert.rejects(vault.dataKey('card-data'), KmsUnavailableError);
    const three = await submit(shares[0]!);
    assert.equal(three.sealed, false);
    const key = await vault.dataKey('card-data');
    assert.equal((await vault.decrypt(key.wrapped)).plaintext, key.plaintext);

    await operator.call('POST', '/v1/sys/seal');
    await assert.rejects(vault.decrypt(key.wrapped), (e: unknown) => e instanceof KmsUnavailableError && e.reason === 'sealed');
    for (const share of [shares[1]!, shares[3]!, shares[4]!]) await submit(share);
    assert.equal((await vault.decrypt(key.wrapped)).plaintext, key.plaintext, 'another M-subset unseals the same master key');
  });

  test('seal events are audited, never with a share', async () => {
    await bed.kms.audit.chainNow();
    const entries = (await readLog(bed.database.db)).map((row) => row.entry as { action: string; outcome: { result: string } });
    const actions = entries.map((e) => e.action);
    for (const action of ['kms.seal.initialize', 'kms.seal.unseal_share', 'kms.seal.unseal_reset', 'kms.seal.unseal', 'kms.seal.seal']) {
      assert.ok(actions.includes(action), `${action} audited`);
    }
    assert.ok(entries.some((e) => e.action === 'kms.seal.unseal_share' && e.outcome.result === 'failure'), 'refused shares audited');
    const text = JSON.stringify(entries);
    for (const share of shares) assert.ok(!text.includes(share.split('-')[3]!), 'share material in the audit log');
  });
});
