import { test } from 'node:test';
import assert from 'node:assert/strict';
import { sql, type Kysely, type Transaction } from '#lib/db/index.ts';
import { canonicalJson } from './canonical.ts';
import { entryHash, GENESIS_HASH } from './chain.ts';
import { createAudit } from './index.ts';
import { countRows, createAuditTestDatabase, readLog, sampleRecord } from './testing.ts';

type Shop = { orders: { id: string; tenant: string } };
const shop = { name: 'shop', migrations: { '0001_orders': `CREATE TABLE orders (id text PRIMARY KEY, tenant text NOT NULL);
  GRANT SELECT, INSERT ON orders TO {{runtime_role}};` } };

async function orders(db: Kysely<Shop>): Promise<number> {
  return (await sql<{ n: number }>`SELECT count(*)::int AS n FROM orders`.execute(db)).rows[0]!.n;
}

test('record in the transaction, chain, verify: the log holds exactly what was recorded, linked, in order', async () => {
  const t = await createAuditTestDatabase<Shop>([shop]);
  try {
    // Twelve, so that ordering by id as text ('10' < '2') would show.
    const ids = Array.from({ length: 12 }, (_, k) => `o${k + 1}`);
    const times = ids.map((_, k) => new Date(Date.UTC(2025, 0, 1, 0, 0, k)).toISOString());
    let i = 0;
    const audit = createAudit({ db: t.db, service: 'api', now: () => new Date(times[i++]!) });
    for (const id of ids) {
      await t.db.transaction().execute(async (tx) => {
        await tx.insertInto('orders').values({ id, tenant: 'acct_test_a' }).execute();
        await audit.record(tx, sampleRecord({ targets: [{ type: 'order', id }] }));
      });
    }
    assert.equal(await countRows(t.db, 'audit_outbox'), 12, 'waiting in the outbox until chained');
    assert.equal(await countRows(t.db, 'audit_log'), 0);
    assert.equal(await audit.chainNow(), 12);
    assert.equal(await countRows(t.db, 'audit_outbox'), 0);
    assert.equal(await audit.chainNow(), 0);

    const log = await readLog(t.db, 'acct_test_a');
    assert.deepEqual(log.map((r) => r.seq), ids.map((_, k) => k + 1));
    assert.deepEqual(log.map((r) => (r.entry.targets as Array<{ id: string }>)[0]!.id), ids);
    assert.deepEqual(log[0]!.prev_hash, GENESIS_HASH);
    for (const [k, row] of log.entries()) {
      assert.deepEqual(row.prev_hash, k === 0 ? GENESIS_HASH : log[k - 1]!.hash);
      assert.deepEqual(row.hash, entryHash(row.prev_hash, row.entry));
      assert.equal(row.recorded_at.toISOString(), times[k]);
      assert.equal(row.entry.time, times[k]);
    }
    assert.equal(canonicalJson(log[0]!.entry).includes('"service":"api"'), true);

    const [result] = await audit.verify('acct_test_a');
    assert.deepEqual(result, { stream: 'acct_test_a', ok: true, count: 12, head: { seq: 12, hash: log[11]!.hash.toString('hex') } });
  } finally {
    await t.close();
  }
});

test('a rolled-back transaction leaves no audit entry', async () => {
  const t = await createAuditTestDatabase<Shop>([shop]);
  try {
    const audit = createAudit({ db: t.db, service: 'api' });
    await assert.rejects(t.db.transaction().execute(async (tx) => {
      await tx.insertInto('orders').values({ id: 'o1', tenant: 'acct_test_a' }).execute();
      await audit.record(tx, sampleRecord());
      throw new Error('business rule failed after the audit call');
    }), /business rule failed/);
    assert.equal(await audit.chainNow(), 0);
    assert.equal(await countRows(t.db, 'audit_outbox'), 0);
    assert.equal(await countRows(t.db, 'audit_log'), 0);
    assert.equal(await orders(t.db), 0);
  } finally {
    await t.close();
  }
});

test('record() needs a transaction', async () => {
  const t = await createAuditTestDatabase<Shop>([shop]);
  try {
    const audit = createAudit({ db: t.db, service: 'api' });
    await assert.rejects(audit.record(t.db as unknown as Transaction<Shop>, sampleRecord()), { code: 'audit_invalid' });
    assert.equal(await countRows(t.db, 'audit_outbox'), 0);
  } finally {
    await t.close();
  }
});

test('refused entries are never written, and the change they came with rolls back', async () => {
  const t = await createAuditTestDatabase<Shop>([shop]);
  try {
    const audit = createAudit({ db: t.db, service: 'api' });
    const refused = [
      { record: sampleRecord({ metadata: { note: 'paid with 4242 4242 4242 4242' } }), path: 'metadata.note' },
      { record: sampleRecord({ metadata: { key: 'skey_test_5xuy4w91xqz7d1w9u0t' } }), path: 'metadata.key' },
      { record: sampleRecord({ metadata: { password: 'correct horse battery staple' } }), path: 'metadata.password' },
    ];
    for (const [n, { record, path }] of refused.entries()) {
      await assert.rejects(t.db.transaction().execute(async (tx) => {
        await tx.insertInto('orders').values({ id: `o${n}`, tenant: 'acct_test_a' }).execute();
        await audit.record(tx, record);
      }), (error: Error & { code?: string; path?: string }) => {
        assert.equal(error.code, 'audit_refused');
        assert.equal(error.path, path);
        assert.doesNotMatch(error.message, /4242|skey_test|horse/);
        return true;
      });
      await assert.rejects(audit.recordStandalone(record), { code: 'audit_refused' });
    }
    assert.equal(await audit.chainNow(), 0);
    assert.equal(await countRows(t.db, 'audit_outbox'), 0);
    assert.equal(await countRows(t.db, 'audit_log'), 0);
    assert.equal(await orders(t.db), 0);
    // Nothing anywhere in the database holds the values either.
    const dump = await sql<{ t: string }>`SELECT coalesce(string_agg(entry::text, ''), '') AS t FROM audit_log`.execute(t.ownerDb);
    assert.doesNotMatch(dump.rows[0]!.t, /4242|skey_|horse/);
  } finally {
    await t.close();
  }
});

test('recordStandalone commits on its own; platform events chain in the _platform stream', async () => {
  const t = await createAuditTestDatabase<Shop>([shop]);
  try {
    const audit = createAudit({ db: t.db, service: 'vault' });
    await audit.recordStandalone(sampleRecord({ tenant: null, action: 'access.denied', outcome: { result: 'failure', reason: 'no client certificate' } }));
    await audit.recordStandalone(sampleRecord({ tenant: 'acct_test_b' }));
    assert.equal(await audit.chainNow(), 2);
    const streams = await audit.verify();
    assert.deepEqual(streams.map((s) => [s.stream, s.ok && s.count]), [['_platform', 1], ['acct_test_b', 1]]);
    const [platform] = await readLog(t.db, '_platform');
    assert.equal(platform?.entry.tenant, null);
    assert.equal(platform?.entry.service, 'vault');
  } finally {
    await t.close();
  }
});

test('start() chains on its timer; stop() stops it', async () => {
  const t = await createAuditTestDatabase<Shop>([shop]);
  try {
    const audit = createAudit({ db: t.db, service: 'api', intervalMs: 10 });
    audit.start();
    await audit.recordStandalone(sampleRecord());
    for (let i = 0; i < 200 && (await countRows(t.db, 'audit_log')) === 0; i++) await new Promise((r) => setTimeout(r, 10));
    assert.equal(await countRows(t.db, 'audit_log'), 1);
    await audit.stop();
    await audit.recordStandalone(sampleRecord());
    await new Promise((r) => setTimeout(r, 100));
    assert.equal(await countRows(t.db, 'audit_outbox'), 1, 'stopped: nothing chains it');
    assert.equal(await audit.chainNow(), 1, 'chainNow drains at shutdown');
  } finally {
    await t.close();
  }
});

test('chainer failures on the timer go to onError and do not stop the timer', async () => {
  const t = await createAuditTestDatabase<Shop>([shop]);
  const errors: string[] = [];
  try {
    const audit = createAudit({ db: t.db, service: 'api', intervalMs: 10, onError: (e) => errors.push(e.message) });
    // A row that cannot be hashed (as only a direct INSERT, never record(), could write) poisons its stream.
    await sql`INSERT INTO audit_outbox (stream, entry) VALUES ('acct_x', '{"n": 1e400}'::jsonb)`.execute(t.db);
    audit.start();
    for (let i = 0; i < 200 && errors.length < 2; i++) await new Promise((r) => setTimeout(r, 10));
    await audit.stop();
    assert.ok(errors.length >= 2, 'reported, and the timer kept running');
    assert.match(errors[0]!, /finite/);
  } finally {
    await t.close();
  }
});

test('recordMany writes every entry in the caller transaction, and rolls back with it', async () => {
  const t = await createAuditTestDatabase<Shop>([shop]);
  try {
    const audit = createAudit({ db: t.db, service: 'vault' });
    const many = Array.from({ length: 1203 }, (_, k) => sampleRecord({ targets: [{ type: 'order', id: `m${k}` }] }));
    await t.db.transaction().execute(async (tx) => audit.recordMany(tx, many));
    assert.equal(await countRows(t.db, 'audit_outbox'), 1203);
    await assert.rejects(t.db.transaction().execute(async (tx) => {
      await audit.recordMany(tx, many.slice(0, 10));
      throw new Error('roll back');
    }), /roll back/);
    assert.equal(await countRows(t.db, 'audit_outbox'), 1203, 'the rolled-back batch left nothing');
    await assert.rejects(audit.recordMany(t.db as unknown as Transaction<Shop>, many.slice(0, 1)), /needs the transaction/);
    assert.equal(await audit.chainNow(), 1203);
  } finally {
    await t.close();
  }
});
