import { test } from 'node:test';
import assert from 'node:assert/strict';
import { sql } from '#lib/db/index.ts';
import { createAudit, createCheckpointer } from './index.ts';
import { countRows, createAuditTestDatabase, createTestSigner, readCheckpoints, sampleRecord } from './testing.ts';

test('the runtime role can append and read audit_checkpoints but never change or remove one', async () => {
  const t = await createAuditTestDatabase();
  try {
    const audit = createAudit({ db: t.db, service: 'api' });
    await audit.recordStandalone(sampleRecord());
    await audit.chainNow();
    const keys = createTestSigner();
    assert.equal(await createCheckpointer({ db: t.db, service: 'api', signer: keys.signer, intervalMs: 1000 }).runOnce(), 1);
    const before = await readCheckpoints(t.db);
    await assert.rejects(sql`UPDATE audit_checkpoints SET signature = 'x'`.execute(t.db), /permission denied/);
    await assert.rejects(sql`UPDATE audit_checkpoints SET seq = seq + 1`.execute(t.db), /permission denied/);
    await assert.rejects(sql`DELETE FROM audit_checkpoints`.execute(t.db), /permission denied/);
    await assert.rejects(sql`TRUNCATE audit_checkpoints`.execute(t.db), /permission denied/);
    await assert.rejects(sql`ALTER TABLE audit_checkpoints DISABLE TRIGGER USER`.execute(t.db), /must be owner/);
    assert.deepEqual(await readCheckpoints(t.db), before);
  } finally {
    await t.close();
  }
});

test('even the owner is refused by the audit_checkpoints trigger unless it first disables it', async () => {
  const t = await createAuditTestDatabase();
  try {
    const audit = createAudit({ db: t.db, service: 'api' });
    await audit.recordStandalone(sampleRecord());
    await audit.chainNow();
    await createCheckpointer({ db: t.db, service: 'api', signer: createTestSigner().signer, intervalMs: 1000 }).runOnce();
    await assert.rejects(sql`UPDATE audit_checkpoints SET signature = 'x'`.execute(t.ownerDb), /append-only: UPDATE refused/);
    await assert.rejects(sql`DELETE FROM audit_checkpoints`.execute(t.ownerDb), /append-only: DELETE refused/);
    await assert.rejects(sql`TRUNCATE audit_checkpoints`.execute(t.ownerDb), /append-only: TRUNCATE refused/);
    assert.equal(await countRows(t.db, 'audit_checkpoints'), 1);
  } finally {
    await t.close();
  }
});
