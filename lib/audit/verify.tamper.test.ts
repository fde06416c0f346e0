// Tampering as someone holding the owner role would do it (disabling the append-only trigger first):
// each kind is caught and the first broken sequence named.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { sql, type Kysely } from '#lib/db/index.ts';
import type { TestDatabase } from '#lib/db/testing.ts';
import { entryHash } from './chain.ts';
import { createAudit, runVerify } from './index.ts';
import { createAuditTestDatabase, readLog, sampleRecord } from './testing.ts';

const A = 'acct_test_a';
const B = 'acct_test_b';

/** Six entries in tenant A's stream, two in tenant B's, chained. */
async function seeded(): Promise<TestDatabase<unknown>> {
  const t = await createAuditTestDatabase();
  const audit = createAudit({ db: t.db, service: 'api' });
  for (let n = 1; n <= 6; n++) await audit.recordStandalone(sampleRecord({ tenant: A, metadata: { n } }));
  for (let n = 1; n <= 2; n++) await audit.recordStandalone(sampleRecord({ tenant: B, metadata: { n } }));
  await audit.chainNow();
  return t;
}

async function asOwner(db: Kysely<unknown>, edit: (tx: Kysely<unknown>) => Promise<void>): Promise<void> {
  await db.transaction().execute(async (tx) => {
    await sql`ALTER TABLE audit_log DISABLE TRIGGER USER`.execute(tx);
    await edit(tx);
    await sql`ALTER TABLE audit_log ENABLE TRIGGER USER`.execute(tx);
  });
}

async function verifyA(t: TestDatabase<unknown>) {
  const audit = createAudit({ db: t.db, service: 'api' });
  const [a] = await audit.verify(A);
  const [b] = await audit.verify(B);
  assert.equal(b?.ok, true, 'the other tenant stream is untouched');
  return a;
}

test('a hand-edited row is caught and its seq named', async () => {
  const t = await seeded();
  try {
    await asOwner(t.ownerDb, async (tx) => {
      await sql`UPDATE audit_log SET entry = jsonb_set(entry, '{outcome,result}', '"failure"')
        WHERE stream = ${A} AND seq = 3`.execute(tx);
    });
    assert.deepEqual(await verifyA(t), { stream: A, ok: false, firstBrokenSeq: 3, reason: 'modified' });
    const report = await runVerify(t.db);
    assert.equal(report.exitCode, 1);
    const lines = report.text.split('\n');
    assert.equal(lines.length, 2);
    assert.equal(lines[0], `stream ${A}: BROKEN at seq 3 (modified)`);
    assert.match(lines[1]!, new RegExp(`^stream ${B}: OK 2 entries, head [0-9a-f]{12}$`));
  } finally {
    await t.close();
  }
});

test('a moved time column (outside the hash) is caught as modified', async () => {
  const t = await seeded();
  try {
    await asOwner(t.ownerDb, async (tx) => {
      await sql`UPDATE audit_log SET recorded_at = recorded_at - interval '1 year' WHERE stream = ${A} AND seq = 2`.execute(tx);
    });
    assert.deepEqual(await verifyA(t), { stream: A, ok: false, firstBrokenSeq: 2, reason: 'modified' });
  } finally {
    await t.close();
  }
});

test('a deleted middle row is caught as missing at its seq', async () => {
  const t = await seeded();
  try {
    await asOwner(t.ownerDb, async (tx) => void await sql`DELETE FROM audit_log WHERE stream = ${A} AND seq = 4`.execute(tx));
    assert.deepEqual(await verifyA(t), { stream: A, ok: false, firstBrokenSeq: 4, reason: 'missing' });
  } finally {
    await t.close();
  }
});

test('swapped rows are caught as reordered at the first one', async () => {
  const t = await seeded();
  try {
    await asOwner(t.ownerDb, async (tx) => {
      await sql`UPDATE audit_log SET seq = 1003 WHERE stream = ${A} AND seq = 3`.execute(tx);
      await sql`UPDATE audit_log SET seq = 3 WHERE stream = ${A} AND seq = 4`.execute(tx);
      await sql`UPDATE audit_log SET seq = 4 WHERE stream = ${A} AND seq = 1003`.execute(tx);
    });
    assert.deepEqual(await verifyA(t), { stream: A, ok: false, firstBrokenSeq: 3, reason: 'reordered' });
  } finally {
    await t.close();
  }
});

test('an inserted forged row is caught at its seq, even when it links to its predecessor', async () => {
  const t = await seeded();
  try {
    const before = await readLog(t.db, A);
    const forged = { ...before[1]!.entry, action: 'refund.approve', metadata: { forged: true } };
    await asOwner(t.ownerDb, async (tx) => {
      await sql`UPDATE audit_log SET seq = seq + 1000 WHERE stream = ${A} AND seq >= 3`.execute(tx);
      await sql`UPDATE audit_log SET seq = seq - 999 WHERE stream = ${A} AND seq >= 1000`.execute(tx);
      await sql`INSERT INTO audit_log (stream, seq, prev_hash, hash, entry, recorded_at)
        VALUES (${A}, 3, ${before[1]!.hash}, ${entryHash(before[1]!.hash, forged)}, ${JSON.stringify(forged)}::jsonb, ${before[1]!.recorded_at})`.execute(tx);
    });
    assert.equal((await readLog(t.db, A)).length, 7);
    assert.deepEqual(await verifyA(t), { stream: A, ok: false, firstBrokenSeq: 3, reason: 'inserted' });
  } finally {
    await t.close();
  }
});

test('truncating the newest entries is caught only against a checkpoint', async () => {
  const t = await seeded();
  try {
    const audit = createAudit({ db: t.db, service: 'api' });
    const [intact] = await audit.verify(A);
    assert.ok(intact?.ok && intact.head);
    const checkpoint = intact.head;
    await asOwner(t.ownerDb, async (tx) => void await sql`DELETE FROM audit_log WHERE stream = ${A} AND seq >= 5`.execute(tx));
    assert.equal((await audit.verify(A))[0]?.ok, true, 'the remaining prefix is a valid chain');
    assert.deepEqual(await audit.verify(A, { checkpoint }), [{ stream: A, ok: false, firstBrokenSeq: 5, reason: 'missing' }]);
  } finally {
    await t.close();
  }
});
