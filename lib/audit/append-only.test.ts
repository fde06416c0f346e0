import { test } from 'node:test';
import assert from 'node:assert/strict';
import { sql } from '#lib/db/index.ts';
import { createAudit } from './index.ts';
import { countRows, createAuditTestDatabase, sampleRecord } from './testing.ts';

test('the runtime role can append and read audit_log but never change or remove a row', async () => {
  const t = await createAuditTestDatabase();
  try {
    const audit = createAudit({ db: t.db, service: 'api' });
    await audit.recordStandalone(sampleRecord());
    assert.equal(await audit.chainNow(), 1);
    await assert.rejects(sql`UPDATE audit_log SET entry = '{}'::jsonb`.execute(t.db), /permission denied/);
    await assert.rejects(sql`DELETE FROM audit_log`.execute(t.db), /permission denied/);
    await assert.rejects(sql`TRUNCATE audit_log`.execute(t.db), /permission denied/);
    await assert.rejects(sql`ALTER TABLE audit_log DISABLE TRIGGER USER`.execute(t.db), /must be owner/);
    await assert.rejects(sql`UPDATE audit_outbox SET entry = '{}'::jsonb`.execute(t.db), /permission denied/);
    await assert.rejects(sql`TRUNCATE audit_outbox`.execute(t.db), /permission denied/);
    assert.equal(await countRows(t.db, 'audit_log'), 1);
    assert.equal((await audit.verify())[0]?.ok, true);
  } finally {
    await t.close();
  }
});

test('even the owner is refused by the trigger unless it first disables it', async () => {
  const t = await createAuditTestDatabase();
  try {
    const audit = createAudit({ db: t.db, service: 'api' });
    await audit.recordStandalone(sampleRecord());
    await audit.chainNow();
    await assert.rejects(sql`UPDATE audit_log SET entry = '{}'::jsonb`.execute(t.ownerDb), /append-only: UPDATE refused/);
    await assert.rejects(sql`DELETE FROM audit_log`.execute(t.ownerDb), /append-only: DELETE refused/);
    await assert.rejects(sql`TRUNCATE audit_log`.execute(t.ownerDb), /append-only: TRUNCATE refused/);
    assert.equal(await countRows(t.db, 'audit_log'), 1);
  } finally {
    await t.close();
  }
});
