import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createAudit, listEntries } from './index.ts';
import { createAuditTestDatabase, sampleRecord } from './testing.ts';

test('listEntries: one tenant, newest first, filtered by actor, action, target and time, paged by seq', async () => {
  const t = await createAuditTestDatabase();
  try {
    let minute = 0;
    const audit = createAudit({ db: t.db, service: 'dashboard', now: () => new Date(Date.UTC(2025, 0, 1, 0, minute++)) });
    const actors = ['user_1', 'user_2'];
    for (let n = 0; n < 10; n++) {
      await audit.recordStandalone(sampleRecord({
        actor: { type: 'user', id: actors[n % 2]! },
        action: n < 5 ? 'customer.create' : 'customer.update',
        targets: [{ type: 'customer', id: `cust_${n % 3}` }],
        metadata: { n },
      }));
    }
    await audit.recordStandalone(sampleRecord({ tenant: 'acct_other', metadata: { n: 99 } }));
    await audit.recordStandalone(sampleRecord({ tenant: null, action: 'access.denied', metadata: { n: 100 } }));
    await audit.chainNow();
    const ns = (page: Awaited<ReturnType<typeof listEntries>>) => page.entries.map((e) => e.entry.metadata.n);

    const all = await listEntries(t.db, { tenant: 'acct_test_a', limit: 50 });
    assert.deepEqual(ns(all), [9, 8, 7, 6, 5, 4, 3, 2, 1, 0]);
    assert.equal(all.nextBefore, null);
    assert.equal(all.entries[0]?.seq, 10);
    assert.match(all.entries[0]!.hash, /^[0-9a-f]{64}$/);
    assert.ok(all.entries[0]!.chainedAt instanceof Date);

    assert.deepEqual(ns(await listEntries(t.db, { tenant: 'acct_test_a', actorId: 'user_2', limit: 50 })), [9, 7, 5, 3, 1]);
    assert.deepEqual(ns(await listEntries(t.db, { tenant: 'acct_test_a', action: 'customer.create', limit: 50 })), [4, 3, 2, 1, 0]);
    assert.deepEqual(ns(await listEntries(t.db, { tenant: 'acct_test_a', targetId: 'cust_1', limit: 50 })), [7, 4, 1]);
    assert.deepEqual(ns(await listEntries(t.db, { tenant: 'acct_test_a', actorId: 'user_1', action: 'customer.update', limit: 50 })), [8, 6]);
    const from = new Date(Date.UTC(2025, 0, 1, 0, 2));
    const to = new Date(Date.UTC(2025, 0, 1, 0, 5));
    assert.deepEqual(ns(await listEntries(t.db, { tenant: 'acct_test_a', from, to, limit: 50 })), [4, 3, 2]);
    assert.deepEqual(ns(await listEntries(t.db, { tenant: null, limit: 50 })), [100]);
    assert.deepEqual(ns(await listEntries(t.db, { tenant: 'acct_nobody', limit: 50 })), []);

    const first = await listEntries(t.db, { tenant: 'acct_test_a', limit: 4 });
    assert.deepEqual(ns(first), [9, 8, 7, 6]);
    const second = await listEntries(t.db, { tenant: 'acct_test_a', limit: 4, before: first.nextBefore! });
    assert.deepEqual(ns(second), [5, 4, 3, 2]);
    const third = await listEntries(t.db, { tenant: 'acct_test_a', limit: 4, before: second.nextBefore! });
    assert.deepEqual(ns(third), [1, 0]);
    assert.equal(third.nextBefore, null);

    await assert.rejects(listEntries(t.db, { tenant: 'acct_test_a', limit: 0 }), /limit/);
    await assert.rejects(listEntries(t.db, { tenant: 'acct_test_a', limit: 501 }), /limit/);
  } finally {
    await t.close();
  }
});
