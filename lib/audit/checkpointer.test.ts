import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from '#lib/log/index.ts';
import { checkpointPayload, createAudit, createCheckpointer, verifyCheckpointSignature, type CheckpointerLogger } from './index.ts';
import { countRows, createAuditTestDatabase, createTestSigner, readCheckpoints, readLog, sampleRecord } from './testing.ts';

const A = 'acct_test_a';
const B = 'acct_test_b';

async function until(condition: () => Promise<boolean>, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await sleep(10);
  }
}

test('a checkpoint is written per stream head, signs the head, and verifies; later entries show as an unsigned tail', async () => {
  const t = await createAuditTestDatabase();
  try {
    const audit = createAudit({ db: t.db, service: 'vault' });
    for (const tenant of [A, A, A, B, null]) await audit.recordStandalone(sampleRecord({ tenant }));
    await audit.chainNow();
    const keys = createTestSigner();
    const at = new Date('2025-06-01T12:00:00.123Z');
    const checkpointer = createCheckpointer({ db: t.db, service: 'vault', signer: keys.signer, intervalMs: 1000, now: () => at });
    assert.equal(await checkpointer.runOnce(), 3);

    const rows = await readCheckpoints(t.db);
    assert.deepEqual(rows.map((r) => [r.stream, r.seq]), [['_platform', 1], [A, 3], [B, 1]]);
    for (const row of rows) {
      const head = (await readLog(t.db, row.stream)).at(-1)!;
      assert.deepEqual(row.hash, head.hash, 'the signed hash is the stream head');
      assert.equal(row.signed_at.toISOString(), at.toISOString());
      assert.deepEqual([row.service, row.key_id, row.key_version], ['vault', keys.keyId, keys.keyVersion]);
      const claim = { service: row.service, stream: row.stream, seq: row.seq, hash: row.hash, signedAt: row.signed_at };
      assert.ok(verifyCheckpointSignature(claim, row.signature, keys.publicKey));
    }
    assert.deepEqual(keys.signed.map((p) => Buffer.from(p)), rows.map((r) => Buffer.from(checkpointPayload({ ...r, signedAt: r.signed_at }))));

    const verified = await audit.verify(undefined, { publicKeys: keys.publicKeys });
    assert.deepEqual(verified.map((s) => [s.stream, s.ok, s.checkpoints]), [
      ['_platform', true, { ok: true, count: 1, lastSeq: 1, unsignedTail: 0 }],
      [A, true, { ok: true, count: 1, lastSeq: 3, unsignedTail: 0 }],
      [B, true, { ok: true, count: 1, lastSeq: 1, unsignedTail: 0 }],
    ]);
    assert.equal((await audit.verify(A))[0]!.checkpoints, undefined, 'without keys, checkpoints are not checked');

    await audit.recordStandalone(sampleRecord({ tenant: A }));
    await audit.recordStandalone(sampleRecord({ tenant: A }));
    await audit.chainNow();
    assert.deepEqual((await audit.verify(A, { publicKeys: keys.publicKeys }))[0]!.checkpoints, { ok: true, count: 1, lastSeq: 3, unsignedTail: 2 });
    assert.equal(await checkpointer.runOnce(), 1);
    assert.deepEqual((await audit.verify(A, { publicKeys: keys.publicKeys }))[0]!.checkpoints, { ok: true, count: 2, lastSeq: 5, unsignedTail: 0 });
  } finally {
    await t.close();
  }
});

test('runOnce twice without new entries writes nothing new', async () => {
  const t = await createAuditTestDatabase();
  try {
    const audit = createAudit({ db: t.db, service: 'api' });
    const keys = createTestSigner();
    const checkpointer = createCheckpointer({ db: t.db, service: 'api', signer: keys.signer, intervalMs: 1000 });
    assert.equal(await checkpointer.runOnce(), 0, 'no streams yet');
    for (const tenant of [A, B]) await audit.recordStandalone(sampleRecord({ tenant }));
    await audit.chainNow();
    assert.equal(await checkpointer.runOnce(), 2);
    assert.equal(await checkpointer.runOnce(), 0);
    assert.equal(await checkpointer.runOnce(), 0);
    assert.equal(await countRows(t.db, 'audit_checkpoints'), 2);
    assert.equal(keys.signed.length, 2, 'nothing was even signed again');
    await audit.recordStandalone(sampleRecord({ tenant: B }));
    assert.equal(await checkpointer.runOnce(), 0, 'an entry still in the outbox is not a new head');
    await audit.chainNow();
    assert.equal(await checkpointer.runOnce(), 1);
    assert.deepEqual((await readCheckpoints(t.db)).map((r) => [r.stream, r.seq]), [[A, 1], [B, 1], [B, 2]]);
  } finally {
    await t.close();
  }
});

test('concurrent runOnce calls (one instance and two) never duplicate a checkpoint', async () => {
  const t = await createAuditTestDatabase();
  try {
    const audit = createAudit({ db: t.db, service: 'api' });
    const tenants = Array.from({ length: 6 }, (_, i) => `acct_test_${i}`);
    for (const tenant of tenants) await audit.recordStandalone(sampleRecord({ tenant }));
    await audit.chainNow();
    const keys = createTestSigner();
    // A slow signer keeps each stream's transaction open, so the runs really overlap.
    const slow = async (payload: Uint8Array) => {
      await sleep(20);
      return keys.signer(payload);
    };
    const one = createCheckpointer({ db: t.db, service: 'api', signer: slow, intervalMs: 1000 });
    const two = createCheckpointer({ db: t.db, service: 'api', signer: slow, intervalMs: 1000 });
    const written = await Promise.all([one.runOnce(), two.runOnce(), one.runOnce(), two.runOnce()]);
    assert.equal(written.reduce((a, b) => a + b, 0), tenants.length, `written per run: ${written}`);
    const rows = await readCheckpoints(t.db);
    assert.deepEqual(rows.map((r) => [r.stream, r.seq]), tenants.map((s) => [s, 1]));
    assert.ok(keys.signed.length >= tenants.length);
    const verified = await audit.verify(undefined, { publicKeys: keys.publicKeys });
    assert.ok(verified.every((s) => s.ok && s.checkpoints?.ok), JSON.stringify(verified));
  } finally {
    await t.close();
  }
});

test('a failing signer never throws out of the interval loop: logged, retried next tick, then written', async () => {
  const t = await createAuditTestDatabase();
  const rejections: unknown[] = [];
  const onRejection = (reason: unknown) => rejections.push(reason);
  process.on('unhandledRejection', onRejection);
  try {
    const audit = createAudit({ db: t.db, service: 'api' });
    await audit.recordStandalone(sampleRecord({ tenant: A }));
    await audit.chainNow();
    const keys = createTestSigner();
    let calls = 0;
    const warnings: Array<{ obj: object; msg: string }> = [];
    const logger: CheckpointerLogger = { warn: (obj, msg) => void warnings.push({ obj, msg }) };
    const checkpointer = createCheckpointer({
      db: t.db, service: 'api', intervalMs: 10, logger,
      signer: async (payload) => {
        calls += 1;
        if (calls <= 2) throw new Error('kms unavailable');
        if (calls === 3) return { keyId: 'audit-checkpoint', keyVersion: 1, signature: 'bm90IGEgc2lnbmF0dXJl' }; // malformed answer
        return keys.signer(payload);
      },
    });
    await assert.rejects(checkpointer.runOnce(), /kms unavailable/, 'runOnce itself reports the failure');
    checkpointer.start();
    await until(async () => (await countRows(t.db, 'audit_checkpoints')) === 1);
    await checkpointer.stop();
    assert.ok(calls >= 4);
    assert.deepEqual(warnings.map((w) => w.msg), Array(2).fill('audit checkpointer: run failed, retrying next tick'));
    assert.match(JSON.stringify(warnings[0]!.obj), /kms unavailable/);
    assert.match(JSON.stringify(warnings[1]!.obj), /not base64 of 64 bytes/);
    assert.equal((await readCheckpoints(t.db))[0]?.seq, 1, 'the malformed answer was never stored');
    assert.deepEqual(rejections, []);
  } finally {
    process.off('unhandledRejection', onRejection);
    await t.close();
  }
});

test('a signer that never answers fails the run after signTimeoutMs and writes nothing', async () => {
  const t = await createAuditTestDatabase();
  try {
    const audit = createAudit({ db: t.db, service: 'api' });
    await audit.recordStandalone(sampleRecord({ tenant: A }));
    await audit.chainNow();
    const checkpointer = createCheckpointer({ db: t.db, service: 'api', intervalMs: 1000, signTimeoutMs: 50, signer: () => new Promise(() => {}) });
    await assert.rejects(checkpointer.runOnce(), /signer gave no answer within 50 ms/);
    assert.equal(await countRows(t.db, 'audit_checkpoints'), 0);
  } finally {
    await t.close();
  }
});

test('options are checked, and a pino logger fits the logger option', () => {
  const keys = createTestSigner();
  const db = {} as never;
  assert.throws(() => createCheckpointer({ db, service: 'Vault!', signer: keys.signer, intervalMs: 10 }), /service must match/);
  assert.throws(() => createCheckpointer({ db, service: 'vault', signer: keys.signer, intervalMs: 0 }), /intervalMs/);
  const pinoLike = { warn: () => {} } as unknown as Logger;
  const logger: CheckpointerLogger = pinoLike; // compile-time: Logger is assignable
  assert.equal(typeof createCheckpointer({ db, service: 'vault', signer: keys.signer, intervalMs: 10, logger }).runOnce, 'function');
});
