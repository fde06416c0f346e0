// CSV cells: quoted, quotes doubled, and never read as a formula by a spreadsheet.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { csvCell, csvLine } from './audit-csv.ts';

test('formula starts get an apostrophe; plain text and nulls are only quoted', () => {
  assert.equal(csvCell('=1+2'), '"\'=1+2"');
  assert.equal(csvCell('+1'), '"\'+1"');
  assert.equal(csvCell('-1'), '"\'-1"');
  assert.equal(csvCell('@SUM(A1)'), '"\'@SUM(A1)"');
  assert.equal(csvCell('\tx'), '"\'\tx"');
  assert.equal(csvCell('a "quoted" word'), '"a ""quoted"" word"');
  assert.equal(csvCell('user.sign_in'), '"user.sign_in"');
  assert.equal(csvCell(42), '"42"');
  assert.equal(csvCell(null), '""');
  assert.equal(csvLine(['a', null, 1]), '"a","","1"\r\n');
});

test('property: a cell parses back to its text (minus the guard) and never starts with a formula character', () => {
  fc.assert(fc.property(fc.string(), (text) => {
    const cell = csvCell(text);
    assert.ok(cell.startsWith('"') && cell.endsWith('"'));
    const inner = cell.slice(1, -1);
    assert.ok(!/^[=+\-@\t\r]/.test(inner));
    assert.ok(!/(^|[^"])"(?!")/.test(inner.replaceAll('""', '')), 'every quote inside is doubled');
    const parsed = inner.replaceAll('""', '"');
    assert.equal(/^[=+\-@\t\r]/.test(text) ? parsed.slice(1) : parsed, text);
  }), { numRuns: 500 });
});
