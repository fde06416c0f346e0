// recordStandalone group-commits concurrent entries: every promise resolves only once its entry is
// committed (visible to another connection), an invalid entry is refused alone, and nothing is lost.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { sql } from '#lib/db/index.ts';
import { createAudit } from './index.ts';
import { countRows, createAuditTestDatabase, sampleRecord } from './testing.ts';

test('400 concurrent standalone entries: all committed when their promises resolve, in fewer transactions', async () => {
  const t = await createAuditTestDatabase();
  try {
    const audit = createAudit({ db: t.db, service: 'kms' });
    const ids = Array.from({ length: 400 }, (_, i) => `key_${i}`);
    const seen = await Promise.all(ids.map(async (id) => {
      await audit.recordStandalone(sampleRecord({ targets: [{ type: 'kms_key', id }] }));
      // Resolved means committed: another connection sees the entry now.
      const rows = await sql<{ n: number }>`SELECT count(*)::int AS n FROM audit_outbox WHERE entry->'targets'->0->>'id' = ${id}`.execute(t.ownerDb);
      return rows.rows[0]!.n;
    }));
    assert.deepEqual(new Set(seen), new Set([1]));
    assert.equal(await countRows(t.db, 'audit_outbox'), 400);
    // Rows written by one transaction share its id (xmin): 400 entries went in a handful of commits.
    const transactions = (await sql<{ n: number }>`SELECT count(DISTINCT xmin::text)::int AS n FROM audit_outbox`.execute(t.ownerDb)).rows[0]!.n;
    assert.ok(transactions <= 20, `400 entries in ${transactions} transactions`);
  } finally {
    await t.close();
  }
});

test('an invalid entry is refused on its own; the entries around it are committed', async () => {
  const t = await createAuditTestDatabase();
  try {
    const audit = createAudit({ db: t.db, service: 'kms' });
    const results = await Promise.allSettled([
      audit.recordStandalone(sampleRecord({ targets: [{ type: 'kms_key', id: 'a' }] })),
      audit.recordStandalone(sampleRecord({ metadata: { note: '4242 4242 4242 4242' } })),
      audit.recordStandalone(sampleRecord({ targets: [{ type: 'kms_key', id: 'b' }] })),
    ]);
    assert.deepEqual(results.map((r) => r.status), ['fulfilled', 'rejected', 'fulfilled']);
    assert.equal(await countRows(t.db, 'audit_outbox'), 2);
  } finally {
    await t.close();
  }
});
