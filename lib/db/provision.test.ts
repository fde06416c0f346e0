import { test } from 'node:test';
import assert from 'node:assert/strict';
import { openDatabase, sql, type Generated } from './index.ts';
import { createTestDatabase } from './testing.ts';

const sets = [{
  name: 'probe',
  migrations: {
    '0001_items': `CREATE TABLE items (id bigserial PRIMARY KEY, label text NOT NULL);
                   GRANT SELECT, INSERT ON items TO {{runtime_role}};
                   GRANT USAGE ON SEQUENCE items_id_seq TO {{runtime_role}};`,
  },
}];

test('the runtime role owns nothing and holds only the grants its migrations give', async () => {
  const t = await createTestDatabase<{ items: { id: Generated<number>; label: string } }>(sets);
  try {
    await t.db.insertInto('items').values({ label: 'a' }).execute();
    assert.equal((await t.db.selectFrom('items').selectAll().execute()).length, 1);
    await assert.rejects(t.db.updateTable('items').set({ label: 'b' }).execute(), /permission denied/);
    await assert.rejects(t.db.deleteFrom('items').execute(), /permission denied/);
    await assert.rejects(sql`CREATE TABLE sneaky (x int)`.execute(t.db), /permission denied/);
    await assert.rejects(sql`DROP TABLE items`.execute(t.db), /must be owner/);
    const owned = await sql<{ n: number }>`SELECT count(*)::int AS n FROM pg_class c JOIN pg_roles r ON r.oid = c.relowner
      WHERE r.rolname = ${t.runtimeRole}`.execute(t.db);
    assert.equal(owned.rows[0]?.n, 0);
  } finally {
    await t.close();
  }
});

test('a service role cannot connect to another service database', async () => {
  const a = await createTestDatabase(sets);
  const b = await createTestDatabase(sets);
  try {
    const crossUrl = new URL(a.runtimeUrl);
    crossUrl.pathname = `/${b.database}`;
    const cross = openDatabase(crossUrl.toString(), { max: 1 });
    await assert.rejects(sql`SELECT 1`.execute(cross), /permission denied for database/);
    await cross.destroy();
  } finally {
    await a.close();
    await b.close();
  }
});

test('migrations are applied once and recorded per set', async () => {
  const t = await createTestDatabase(sets);
  try {
    const rows = await sql<{ name: string }>`SELECT name FROM migrations_probe`.execute(t.ownerDb);
    assert.deepEqual(rows.rows.map((r) => r.name), ['0001_items']);
  } finally {
    await t.close();
  }
});
