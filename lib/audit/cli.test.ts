import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createAudit, formatVerification, runVerify } from './index.ts';
import { createAuditTestDatabase, readLog, sampleRecord } from './testing.ts';

test('runVerify: one line per stream in name order, exit code 0 when all verify', async () => {
  const t = await createAuditTestDatabase();
  try {
    assert.deepEqual(await runVerify(t.db), { text: 'no audit streams', exitCode: 0, streams: [] });
    const audit = createAudit({ db: t.db, service: 'kms' });
    for (const tenant of ['acct_b', 'acct_a', 'acct_b', null]) await audit.recordStandalone(sampleRecord({ tenant }));
    await audit.chainNow();
    const report = await runVerify(t.db);
    assert.equal(report.exitCode, 0);
    const heads = Object.fromEntries(['_platform', 'acct_a', 'acct_b'].map((s) => [s, '']));
    for (const s of Object.keys(heads)) heads[s] = (await readLog(t.db, s)).at(-1)!.hash.toString('hex').slice(0, 12);
    assert.equal(report.text, [
      `stream _platform: OK 1 entries, head ${heads._platform}`,
      `stream acct_a: OK 1 entries, head ${heads.acct_a}`,
      `stream acct_b: OK 2 entries, head ${heads.acct_b}`,
    ].join('\n'));
    assert.equal((await runVerify(t.db, { stream: 'acct_a' })).text, `stream acct_a: OK 1 entries, head ${heads.acct_a}`);
    assert.equal((await runVerify(t.db, { stream: 'acct_none' })).text, 'stream acct_none: OK 0 entries, head none');
  } finally {
    await t.close();
  }
});

test('formatVerification: broken streams, and stream names that could forge a line are quoted', () => {
  assert.equal(formatVerification({ stream: 'acct_a', ok: false, firstBrokenSeq: 7, reason: 'reordered' }), 'stream acct_a: BROKEN at seq 7 (reordered)');
  assert.equal(formatVerification({ stream: 'x\nstream y: OK', ok: true, count: 0, head: null }), 'stream "x\\nstream y: OK": OK 0 entries, head none');
});

test('formatVerification: checked checkpoints follow the chain on the same line; the unsigned tail is information', () => {
  const chain = { stream: 'acct_a', ok: true as const, count: 9, head: { seq: 9, hash: 'ab'.repeat(32) } };
  assert.equal(formatVerification({ ...chain, checkpoints: { ok: true, count: 2, lastSeq: 6, unsignedTail: 3 } }),
    'stream acct_a: OK 9 entries, head abababababab; checkpoints OK 2, signed to seq 6, 3 entries unsigned after it');
  assert.equal(formatVerification({ ...chain, checkpoints: { ok: true, count: 0, lastSeq: null, unsignedTail: 9 } }),
    'stream acct_a: OK 9 entries, head abababababab; no checkpoints, 9 entries unsigned');
  assert.equal(formatVerification({ stream: 'acct_a', ok: false, firstBrokenSeq: 2, reason: 'modified', checkpoints: { ok: false, firstBrokenCheckpoint: 6, reason: 'mismatch' } }),
    'stream acct_a: BROKEN at seq 2 (modified); checkpoint BROKEN at seq 6 (mismatch)');
});
