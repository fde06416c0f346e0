// The KMS key API over real mTLS, on both backends: round trips, the key policy by certificate
// identity, rotation and re-wrap, lifecycle states, crypto-shredding, fail-closed sealing, audit.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createPublicKey, verify as edVerify, randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readLog } from '#lib/audit/testing.ts';
import { KmsRequestError, KmsUnavailableError, type KmsClient } from '#lib/kms-client/index.ts';
import { createLocalBackend } from '../backends/local-backend.ts';
import { createPkcs11Backend } from '../backends/pkcs11-backend.ts';
import { useSoftHsm } from '../backends/softhsm.testing.ts';
import type { KeyBackend } from '../backends/key-backend.ts';
import { startKmsTestbed, type KmsTestbed } from '../testing.ts';

async function refused(promise: Promise<unknown>, status: number, code?: string) {
  await assert.rejects(promise, (error: unknown) => {
    assert.ok(error instanceof KmsRequestError, `expected a KMS refusal, got ${String(error)}`);
    assert.equal(error.status, status);
    if (code) assert.equal(error.code, code);
    return true;
  });
}

const backends: Array<[string, () => Promise<{ backend: KeyBackend; devSharesFile?: string; cleanup(): Promise<void> }>]> = [
  ['local', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'kms-local-'));
    return { backend: createLocalBackend(), devSharesFile: join(dir, 'shares.json'), cleanup: () => rm(dir, { recursive: true, force: true }) };
  }],
  ['pkcs11', async () => {
    const hsm = await useSoftHsm({ tokenLabels: ['kms-api-test'] });
    return { backend: await createPkcs11Backend({ modulePath: hsm.modulePath, tokenLabel: 'kms-api-test', pin: hsm.pin }), cleanup: async () => {} };
  }],
];

for (const [name, open] of backends) {
  describe(`KMS API on the ${name} backend`, () => {
    let bed: KmsTestbed;
    let cleanup: () => Promise<void>;
    let vault: KmsClient, api: KmsClient, dashboard: KmsClient, operator: KmsClient, stranger: KmsClient;

    before(async () => {
      const opened = await open();
      cleanup = opened.cleanup;
      bed = await startKmsTestbed(opened.backend, { devSharesFile: opened.devSharesFile });
      vault = await bed.client('vault');
      api = await bed.client('api');
      dashboard = await bed.client('dashboard');
      operator = await bed.client('operator');
      stranger = await bed.client('billing');
    });
    after(async () => {
      await bed?.close();
      await cleanup?.();
    });

    test('vault: a data key round-trips, and the wrapped blob names its key and version', async () => {
      const key = await vault.dataKey('card-data');
      assert.equal(Buffer.from(key.plaintext, 'base64').length, 32);
      assert.match(key.wrapped, /^kms1:card-data:1:[A-Za-z0-9_-]+$/);
      assert.ok(!key.wrapped.includes(key.plaintext));
      const back = await vault.decrypt(key.wrapped);
      assert.equal(back.plaintext, key.plaintext);
      assert.equal(back.version, 1);
    });

    test('only vault may obtain or unwrap card-data keys or compute fingerprints: api and dashboard get 403', async () => {
      const key = await vault.dataKey('card-data');
      for (const caller of [api, dashboard, operator]) {
        await refused(caller.dataKey('card-data'), 403);
        await refused(caller.decrypt(key.wrapped), 403);
        await refused(caller.rewrap(key.wrapped), 403);
        await refused(caller.hmac('fingerprint.acct_test1', Buffer.from('4242')), 403);
      }
      // An identity on no allow-list is refused at the route, before the key policy.
      await refused(stranger.dataKey('card-data'), 403, 'forbidden');
      await refused(stranger.sign('audit-checkpoint', Buffer.from('x')), 403, 'forbidden');
    });

    test('refusals are audited with the caller identity; no key material reaches the audit log', async () => {
      await refused(dashboard.dataKey('card-data'), 403);
      const key = await vault.dataKey('card-data');
      await bed.kms.audit.chainNow();
      const log = await readLog(bed.database.db, undefined);
      const entries = log.map((row) => row.entry as { action: string; actor: { id: string }; outcome: { result: string; reason?: string } });
      // Refused at the route (no data-key operation is open to dashboard at all) …
      assert.ok(entries.some((e) => e.action === 'access.denied' && e.actor.id === 'dashboard' && e.outcome.reason === 'caller_not_allowed'));
      // … or by the key policy (the route admits vault, but not for a key id outside the policy).
      await refused(vault.hmac('fingerprint', Buffer.from('1')), 403);
      await bed.kms.audit.chainNow();
      const later = (await readLog(bed.database.db, undefined)).map((row) => row.entry as typeof entries[number]);
      assert.ok(later.some((e) => e.action === 'kms.hmac.compute' && e.actor.id === 'vault' && e.outcome.result === 'failure' && e.outcome.reason === 'forbidden'));
      assert.ok(entries.some((e) => e.action === 'kms.data_key.generate' && e.actor.id === 'vault' && e.outcome.result === 'success'));
      const text = JSON.stringify(log.map((row) => row.entry));
      assert.ok(!text.includes(key.plaintext), 'a data key in the audit log');
      assert.ok(!text.includes(key.wrapped.split(':')[3]!), 'a wrapped key in the audit log');
      assert.deepEqual((await bed.kms.audit.verify()).every((stream: { ok: boolean }) => stream.ok), true);
    });

    test('rotation: old blobs still decrypt, rewrap moves them to the newest version, min version retires the old', async () => {
      const old = await vault.dataKey('card-data.acct_rotation');
      const rotated = await operator.call<{ primary_version: number }>('POST', '/v1/keys/card-data.acct_rotation/rotate');
      assert.equal(rotated.primary_version, 2);
      assert.equal((await vault.decrypt(old.wrapped)).plaintext, old.plaintext);
      const fresh = await vault.dataKey('card-data.acct_rotation');
      assert.equal(fresh.version, 2);
      const moved = await vault.rewrap(old.wrapped);
      assert.equal(moved.version, 2);
      assert.equal((await vault.decrypt(moved.wrapped)).plaintext, old.plaintext);
      await operator.call('POST', '/v1/keys/card-data.acct_rotation/min-decrypt-version', { version: 2 });
      await refused(vault.decrypt(old.wrapped), 410, 'key_version_unavailable');
      assert.equal((await vault.decrypt(moved.wrapped)).plaintext, old.plaintext);
      const described = await operator.call<{ versions: { version: number; state: string }[] }>('GET', '/v1/keys/card-data.acct_rotation');
      assert.deepEqual(described.versions.map((v) => [v.version, v.state]), [[1, 'retired'], [2, 'active']]);
      // Lifecycle: retired → decrypt-only is refused below the minimum; destroyed is final.
      await assert.rejects(operator.call('POST', '/v1/keys/card-data.acct_rotation/versions/1/state', { state: 'decrypt-only' }), /minimum decryption version/);
      await operator.call('POST', '/v1/keys/card-data.acct_rotation/versions/1/state', { state: 'destroyed' });
      await assert.rejects(operator.call('POST', '/v1/keys/card-data.acct_rotation/versions/1/state', { state: 'retired' }), /destroyed/);
      await assert.rejects(operator.call('POST', '/v1/keys/card-data.acct_rotation/versions/2/state', { state: 'retired' }), /primary version/);
    });

    test('crypto-shredding: destroying a key makes every blob under it unrecoverable; the key then starts afresh', async () => {
      const a = await vault.dataKey('card-data.acct_erased');
      await operator.call('POST', '/v1/keys/card-data.acct_erased/rotate');
      const b = await vault.dataKey('card-data.acct_erased');
      const result = await vault.destroy('card-data.acct_erased');
      assert.deepEqual(result.destroyed_versions, [1, 2]);
      await refused(vault.decrypt(a.wrapped), 410);
      await refused(vault.decrypt(b.wrapped), 410);
      const c = await vault.dataKey('card-data.acct_erased');
      assert.equal(c.version, 3);
      await refused(api.destroy('card-data.acct_erased'), 403);
    });

    test('tampered or foreign blobs are refused with a 4xx, never a 500', async () => {
      const key = await vault.dataKey('card-data');
      const [prefix, keyId, version, body] = key.wrapped.split(':') as [string, string, string, string];
      const bytes = Buffer.from(body, 'base64url');
      bytes[bytes.length - 1]! ^= 1;
      await refused(vault.decrypt(`${prefix}:${keyId}:${version}:${bytes.toString('base64url')}`), 422, 'unwrap_failed');
      await refused(vault.decrypt(`${prefix}:card-data.acct_other:${version}:${body}`), 404);
      await refused(vault.decrypt('not a blob'), 400, 'invalid_wrapped_key');
      await refused(vault.decrypt(`${prefix}:${keyId}:99:${body}`), 404);
    });

    test('webhook-secret keys: only api obtains and unwraps them, per merchant; vault, dashboard, operator get 403, audited', async () => {
      const key = await api.dataKey('webhook-secret.acct_hooks');
      assert.match(key.wrapped, /^kms1:webhook-secret\.acct_hooks:1:[A-Za-z0-9_-]+$/);
      assert.equal((await api.decrypt(key.wrapped)).plaintext, key.plaintext);
      for (const caller of [vault, dashboard, operator, stranger]) {
        await refused(caller.dataKey('webhook-secret.acct_hooks'), 403);
        await refused(caller.decrypt(key.wrapped), 403);
      }
      // A tenant is required, the api gets nothing else but its checkpoint signatures, and nobody may rewrap or destroy these keys.
      await refused(api.dataKey('webhook-secret'), 403);
      await refused(api.rewrap(key.wrapped), 403);
      await refused(api.destroy('webhook-secret.acct_hooks'), 403);
      await refused(vault.destroy('webhook-secret.acct_hooks'), 403);
      await refused(api.decrypt((await vault.dataKey('card-data')).wrapped), 403);
      await bed.kms.audit.chainNow();
      const entries = (await readLog(bed.database.db, undefined)).map((row) => row.entry as { action: string; actor: { id: string }; targets: { id: string }[]; outcome: { result: string; reason?: string } });
      assert.ok(entries.some((e) => e.action === 'kms.data_key.generate' && e.actor.id === 'vault' && e.targets[0]?.id === 'webhook-secret.acct_hooks' && e.outcome.reason === 'forbidden'));
      assert.ok(entries.some((e) => e.action === 'kms.data_key.decrypt' && e.actor.id === 'api' && e.targets[0]?.id === 'card-data' && e.outcome.reason === 'forbidden'));
    });

    test('mfa-secret key (dashboard TOTP secrets): only the dashboard obtains and unwraps its data keys', async () => {
      const key = await dashboard.dataKey('mfa-secret');
      assert.match(key.wrapped, /^kms1:mfa-secret:1:[A-Za-z0-9_-]+$/);
      assert.equal((await dashboard.decrypt(key.wrapped)).plaintext, key.plaintext);
      for (const caller of [vault, api, operator, stranger]) {
        await refused(caller.dataKey('mfa-secret'), 403);
        await refused(caller.decrypt(key.wrapped), 403);
      }
      // One key for the platform (no tenant), no rewrap or destroy, and nothing else for the dashboard.
      await refused(dashboard.dataKey('mfa-secret.acct_x'), 403);
      await refused(dashboard.rewrap(key.wrapped), 403);
      await refused(dashboard.destroy('mfa-secret'), 403);
      await refused(dashboard.dataKey('webhook-secret.acct_hooks'), 403);
      await refused(dashboard.decrypt((await vault.dataKey('card-data')).wrapped), 403);
    });

    test('fingerprint HMAC: stable per merchant, different across merchants', async () => {
      const pan = Buffer.from('4242424242424242');
      const a1 = await vault.hmac('fingerprint.acct_a', pan);
      const a2 = await vault.hmac('fingerprint.acct_a', pan);
      const b = await vault.hmac('fingerprint.acct_b', pan);
      assert.equal(a1.mac, a2.mac);
      assert.notEqual(a1.mac, b.mac);
      await refused(vault.hmac('fingerprint', pan), 403);
    });

    test('batch HMAC: same MACs as one at a time, in order; only the vault; 1–1000 items', async () => {
      const pans = ['4242424242424242', '5555555555554444', '4242424242424242'].map((p) => Buffer.from(p));
      const batch = await vault.hmacBatch('fingerprint.acct_batch', pans);
      assert.equal(batch.macs.length, 3);
      assert.equal(batch.macs[0], (await vault.hmac('fingerprint.acct_batch', pans[0]!)).mac);
      assert.equal(batch.macs[1], (await vault.hmac('fingerprint.acct_batch', pans[1]!)).mac);
      assert.equal(batch.macs[0], batch.macs[2]);
      assert.notEqual(batch.macs[0], batch.macs[1]);
      await refused(api.hmacBatch('fingerprint.acct_batch', pans), 403);
      await refused(vault.hmacBatch('fingerprint.acct_batch', []), 400);
      await refused(vault.hmacBatch('fingerprint.acct_batch', Array.from({ length: 1001 }, () => pans[0]!)), 400);
    });

    test('signing: every service signs checkpoints; anyone verifies against the published public key', async () => {
      const data = randomBytes(64);
      const signed = await api.sign('audit-checkpoint', data);
      const published = await dashboard.publicKeys('audit-checkpoint');
      const key = published.keys.find((k) => k.version === signed.version);
      assert.ok(key);
      assert.ok(edVerify(null, data, createPublicKey(key.public_key_pem), Buffer.from(signed.signature, 'base64')));
      assert.ok(!edVerify(null, randomBytes(64), createPublicKey(key.public_key_pem), Buffer.from(signed.signature, 'base64')));
      await refused(api.hmac('audit-checkpoint', data), 403);
    });

    test('signed audit checkpoints: the KMS signs its own stream heads; the verifier checks them with the public keys', async () => {
      await vault.dataKey('card-data');
      await bed.kms.audit.chainNow();
      assert.ok((await bed.kms.checkpoints.runOnce()) >= 1);
      const published = await api.publicKeys('audit-checkpoint');
      const keys = new Map(published.keys.map((k) => [k.version, createPublicKey(k.public_key_pem)]));
      const results = await bed.kms.audit.verify(undefined, { publicKeys: (keyId, version) => (keyId === 'audit-checkpoint' ? keys.get(version) : undefined) });
      assert.ok(results.length > 0);
      for (const stream of results) {
        assert.equal(stream.ok, true);
        if (stream.checkpoints) assert.equal(stream.checkpoints.ok, true, JSON.stringify(stream.checkpoints));
      }
      assert.ok(results.some((stream) => stream.checkpoints?.ok === true && stream.checkpoints.count > 0), 'at least one checkpoint was checked');
    });

    test('metrics report operations and the seal state', async () => {
      const text = await operator.call<string>('GET', '/metrics');
      assert.match(text, /strongroom_kms_sealed\{backend="[a-z0-9]+"\} 0/);
      assert.match(text, /strongroom_kms_operations_total\{operation="kms.data_key.generate",outcome="success"\} [1-9]/);
      assert.match(text, /strongroom_kms_operation_duration_ms_count\{operation="kms.data_key.decrypt"\} [1-9]/);
    });

    if (name === 'local') {
      test('a sealed KMS answers 503 to every key operation, and the caller fails closed', async () => {
        const key = await vault.dataKey('card-data');
        await operator.call('POST', '/v1/sys/seal');
        try {
          for (const attempt of [() => vault.dataKey('card-data'), () => vault.decrypt(key.wrapped), () => vault.hmac('fingerprint.acct_a', Buffer.from('1'))]) {
            await assert.rejects(attempt(), (error: unknown) => error instanceof KmsUnavailableError && error.reason === 'sealed');
          }
          assert.equal((await vault.sealStatus()).sealed, true);
        } finally {
          const shares = JSON.parse(await readFile(bed.sharesFile!, 'utf8')).shares as string[];
          for (const share of shares.slice(0, 2)) await operator.call('POST', '/v1/sys/unseal', { share });
        }
        assert.equal((await vault.decrypt(key.wrapped)).plaintext, key.plaintext);
      });
    }
  });
}
