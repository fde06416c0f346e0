// The hash is computed over the entry as read back from jsonb, and verified over it again later:
// the canonical encoding must survive PostgreSQL's jsonb round trip for anything record() accepts.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { sql } from '#lib/db/index.ts';
import { canonicalJson } from './canonical.ts';
import { createAuditTestDatabase } from './testing.ts';

test('property: canonical(value) is unchanged by a jsonb round trip', async () => {
  const t = await createAuditTestDatabase();
  try {
    // What record() lets through: well-formed strings without NUL (jsonb refuses NUL).
    const text = fc.string({ unit: 'binary' }).filter((s) => s.isWellFormed() && !s.includes('\u0000'));
    const value = fc.letrec((tie) => ({
      leaf: fc.oneof(fc.constant(null), fc.boolean(), fc.double({ noNaN: true, noDefaultInfinity: true }), fc.integer(), text),
      node: fc.oneof({ depthSize: 'small' }, tie('leaf'), fc.array(tie('node'), { maxLength: 4 }), fc.dictionary(text, tie('node'), { maxKeys: 4 })),
    })).node;
    await fc.assert(fc.asyncProperty(fc.dictionary(text, value, { maxKeys: 5 }), async (entry) => {
      const back = await sql<{ v: unknown }>`SELECT ${JSON.stringify(entry)}::jsonb AS v`.execute(t.db);
      assert.equal(canonicalJson(back.rows[0]!.v), canonicalJson(entry));
    }), { numRuns: 300 });
  } finally {
    await t.close();
  }
});
