// The chain must not serialize the service: concurrent transactions record without waiting on each
// other, and any number of chainers may run at once without a gap or a duplicate.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { openDatabase, type Kysely } from '#lib/db/index.ts';
import { createAudit } from './index.ts';
import { countRows, createAuditTestDatabase, readLog, sampleRecord } from './testing.ts';

type Shop = { orders: { id: string; tenant: string } };
const shop = { name: 'shop', migrations: { '0001_orders': `CREATE TABLE orders (id text PRIMARY KEY, tenant text NOT NULL);
  GRANT SELECT, INSERT ON orders TO {{runtime_role}};` } };
const TENANTS = ['acct_test_a', 'acct_test_b'] as const;

function assertContiguous(seqs: number[], label: string): void {
  assert.deepEqual(seqs, Array.from({ length: seqs.length }, (_, i) => i + 1), `${label}: seqs 1..n, no gap, no duplicate`);
}

test('16 transactions open at once across 2 tenants: none waits on another, all chained contiguously', async () => {
  const t = await createAuditTestDatabase<Shop>([shop]);
  const db = openDatabase<Shop>(t.runtimeUrl, { max: 20 });
  try {
    const audit = createAudit({ db, service: 'api' });
    // Every transaction records, then waits until all 16 have recorded before committing. If record()
    // took a lock that another transaction holds until commit, this would never finish.
    let release!: () => void;
    const allRecorded = new Promise<void>((resolve) => { release = resolve; });
    let recorded = 0;
    await Promise.all(Array.from({ length: 16 }, (_, i) => db.transaction().execute(async (tx) => {
      const tenant = TENANTS[i % 2]!;
      await tx.insertInto('orders').values({ id: `o${i}`, tenant }).execute();
      await audit.record(tx, sampleRecord({ tenant, targets: [{ type: 'order', id: `o${i}` }] }));
      if (++recorded === 16) release();
      await Promise.race([allRecorded, new Promise((_, reject) => setTimeout(() => reject(new Error('record() blocked')), 10_000))]);
    })));
    assert.equal(await audit.chainNow(), 16);
    for (const tenant of TENANTS) {
      const rows = await readLog(db, tenant);
      assertContiguous(rows.map((r) => r.seq), tenant);
      assert.equal(rows.length, 8);
    }
    const results = await audit.verify();
    assert.deepEqual(results.map((r) => [r.stream, r.ok && r.count]), [['acct_test_a', 8], ['acct_test_b', 8]]);
  } finally {
    await db.destroy();
    await t.close();
  }
});

test('two chainers running at once (two instances, two pools) never produce a gap or a duplicate', async () => {
  const t = await createAuditTestDatabase<Shop>([shop]);
  const pools: Kysely<Shop>[] = [openDatabase<Shop>(t.runtimeUrl, { max: 4 }), openDatabase<Shop>(t.runtimeUrl, { max: 4 })];
  const writers = openDatabase<Shop>(t.runtimeUrl, { max: 8 });
  try {
    const chainers = pools.map((db) => createAudit({ db, service: 'api', batchSize: 7 }));
    const recorder = createAudit({ db: writers, service: 'api' });
    const chained = [0, 0];
    let writing = true;
    const loops = chainers.map(async (audit, k) => {
      while (writing) chained[k]! += await audit.chainNow();
    });
    const PER_WRITER = 40;
    await Promise.all(Array.from({ length: 8 }, async (_, w) => {
      for (let n = 0; n < PER_WRITER; n++) {
        await writers.transaction().execute(async (tx) => {
          await tx.insertInto('orders').values({ id: `o${w}_${n}`, tenant: TENANTS[w % 2]! }).execute();
          await recorder.record(tx, sampleRecord({ tenant: TENANTS[w % 2]!, metadata: { w, n } }));
        });
      }
    }));
    writing = false;
    await Promise.all(loops);
    chained[0]! += await chainers[0]!.chainNow();
    chained[1]! += await chainers[1]!.chainNow();

    const total = 8 * PER_WRITER;
    assert.equal(chained[0]! + chained[1]!, total, 'every entry chained exactly once');
    assert.equal(await countRows(writers, 'audit_outbox'), 0);
    for (const tenant of TENANTS) {
      const rows = await readLog(writers, tenant);
      assert.equal(rows.length, total / 2);
      assertContiguous(rows.map((r) => r.seq), tenant);
    }
    for (const result of await chainers[0]!.verify()) assert.equal(result.ok, true, result.stream);
  } finally {
    for (const db of [...pools, writers]) await db.destroy();
    await t.close();
  }
});

test('two instances on their timers, with writers running: the same', async () => {
  const t = await createAuditTestDatabase<Shop>([shop]);
  const other = openDatabase<Shop>(t.runtimeUrl, { max: 2 });
  const a = createAudit({ db: t.db, service: 'api', intervalMs: 5, batchSize: 5 });
  const b = createAudit({ db: other, service: 'api', intervalMs: 5, batchSize: 5 });
  try {
    a.start();
    b.start();
    for (let n = 0; n < 60; n++) await a.recordStandalone(sampleRecord({ tenant: TENANTS[n % 2]!, metadata: { n } }));
    for (let i = 0; i < 300 && (await countRows(t.db, 'audit_outbox')) > 0; i++) await new Promise((r) => setTimeout(r, 10));
    await Promise.all([a.stop(), b.stop()]);
    assert.equal(await countRows(t.db, 'audit_outbox'), 0);
    for (const tenant of TENANTS) assertContiguous((await readLog(t.db, tenant)).map((r) => r.seq), tenant);
    for (const result of await a.verify()) assert.equal(result.ok && result.count, 30, result.stream);
  } finally {
    await a.stop();
    await b.stop();
    await other.destroy();
    await t.close();
  }
});
