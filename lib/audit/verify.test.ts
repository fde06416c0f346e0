import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { entryHash, extendChain } from './chain.ts';
import { createStreamVerifier, verifyRows, type VerifyRow } from './verify.ts';

const STREAM = 'acct_a';

function chainOf(n: number): VerifyRow[] {
  const entries = Array.from({ length: n }, (_, i) => ({ tenant: STREAM, action: 'thing.do', n: i + 1 }));
  return extendChain(undefined, entries).map((link, i) => ({ ...link, entry: entries[i] }));
}

/** Rows renumbered 1..n in the order given (what an attacker with UPDATE could leave behind). */
const renumber = (rows: VerifyRow[]) => rows.map((row, i) => ({ ...row, seq: i + 1 }));

function forged(prevHash: Uint8Array, seq: number): VerifyRow {
  const entry = { tenant: STREAM, action: 'thing.forged', n: 0 };
  return { seq, prevHash, hash: entryHash(prevHash, entry), entry };
}

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

test('an intact stream verifies: count and head', () => {
  const rows = chainOf(5);
  assert.deepEqual(verifyRows(rows, { stream: STREAM }), { ok: true, count: 5, head: { seq: 5, hash: hex(rows[4]!.hash) } });
  assert.deepEqual(verifyRows([]), { ok: true, count: 0, head: null });
});

test('rows may come in any order; the walk is by seq', () => {
  const rows = chainOf(6);
  assert.equal(verifyRows([...rows].reverse()).ok, true);
});

test('an edited entry is modified at its seq', () => {
  const rows = chainOf(6);
  rows[2] = { ...rows[2]!, entry: { ...(rows[2]!.entry as object), n: 99 } };
  assert.deepEqual(verifyRows(rows), { ok: false, firstBrokenSeq: 3, reason: 'modified' });
});

test('an edited hash is modified at its seq', () => {
  const rows = chainOf(4);
  rows[1] = { ...rows[1]!, hash: Buffer.alloc(32, 7) };
  assert.deepEqual(verifyRows(rows), { ok: false, firstBrokenSeq: 2, reason: 'modified' });
});

test('a gap in the sequence is missing at the first absent seq', () => {
  const rows = chainOf(6);
  assert.deepEqual(verifyRows(rows.filter((r) => r.seq !== 4)), { ok: false, firstBrokenSeq: 4, reason: 'missing' });
  assert.deepEqual(verifyRows(rows.slice(1)), { ok: false, firstBrokenSeq: 1, reason: 'missing' });
});

test('swapped rows are reordered at the first moved seq', () => {
  const rows = chainOf(7);
  const swap = (a: number, b: number) => {
    const copy = [...rows];
    [copy[a - 1], copy[b - 1]] = [copy[b - 1]!, copy[a - 1]!];
    return renumber(copy);
  };
  assert.deepEqual(verifyRows(swap(3, 4)), { ok: false, firstBrokenSeq: 3, reason: 'reordered' });
  assert.deepEqual(verifyRows(swap(2, 6)), { ok: false, firstBrokenSeq: 2, reason: 'reordered' });
  assert.deepEqual(verifyRows(swap(1, 2)), { ok: false, firstBrokenSeq: 1, reason: 'reordered' });
});

test('a forged row slipped in is inserted at its seq, however well it links', () => {
  const rows = chainOf(6);
  // Well forged: it links to row 2, so the break only shows at the next row, which links to row 2 too.
  const wellForged = renumber([...rows.slice(0, 2), forged(rows[1]!.hash, 0), ...rows.slice(2)]);
  assert.deepEqual(verifyRows(wellForged), { ok: false, firstBrokenSeq: 3, reason: 'inserted' });
  const badlyForged = renumber([...rows.slice(0, 2), forged(Buffer.alloc(32, 1), 0), ...rows.slice(2)]);
  assert.deepEqual(verifyRows(badlyForged), { ok: false, firstBrokenSeq: 3, reason: 'inserted' });
  const replayed = renumber([...rows.slice(0, 3), rows[1]!, ...rows.slice(3)]);
  assert.deepEqual(verifyRows(replayed), { ok: false, firstBrokenSeq: 4, reason: 'inserted' });
  assert.deepEqual(verifyRows([...rows, { ...rows[2]! }]), { ok: false, firstBrokenSeq: 3, reason: 'inserted' }, 'duplicate seq');
});

test('a link to nowhere is bad_prev_hash: a rewrite with a recomputed hash shows at the next row', () => {
  const rows = chainOf(5);
  const entry = { tenant: STREAM, action: 'thing.do', n: 42 };
  rows[1] = { ...rows[1]!, entry, hash: entryHash(rows[1]!.prevHash, entry) };
  assert.deepEqual(verifyRows(rows), { ok: false, firstBrokenSeq: 3, reason: 'bad_prev_hash' });
  const deletedAndRenumbered = renumber(chainOf(5).filter((r) => r.seq !== 3));
  assert.deepEqual(verifyRows(deletedAndRenumbered), { ok: false, firstBrokenSeq: 3, reason: 'bad_prev_hash' });
});

test('an entry of another tenant is modified in this stream', () => {
  const rows = chainOf(3);
  assert.deepEqual(verifyRows(rows, { stream: 'acct_b' }), { ok: false, firstBrokenSeq: 1, reason: 'modified' });
});

test('checkpoint: truncation of the newest entries is caught only against one', () => {
  const rows = chainOf(6);
  const checkpoint = { seq: 6, hash: hex(rows[5]!.hash) };
  assert.equal(verifyRows(rows, { checkpoint }).ok, true);
  assert.equal(verifyRows(rows.slice(0, 4)).ok, true, 'without a checkpoint a truncated stream looks whole');
  assert.deepEqual(verifyRows(rows.slice(0, 4), { checkpoint }), { ok: false, firstBrokenSeq: 5, reason: 'missing' });
  // Every hash recomputed over edited entries: same length, another history.
  const edited = rows.map((r) => ({ ...(r.entry as object), forged: true }));
  const otherRows = extendChain(undefined, edited).map((link, i) => ({ ...link, entry: edited[i] }));
  assert.equal(verifyRows(otherRows).ok, true, 'a wholesale rewrite is self-consistent');
  assert.deepEqual(verifyRows(otherRows, { checkpoint }), { ok: false, firstBrokenSeq: 6, reason: 'modified' });
  assert.throws(() => verifyRows(rows, { checkpoint: { seq: 0, hash: 'zz' } }), /checkpoint/);
});

test('the verifier stops asking for rows once the outcome is known', () => {
  const rows = chainOf(5);
  const verifier = createStreamVerifier();
  assert.equal(verifier.push(rows[0]!), true);
  assert.equal(verifier.push(rows[2]!), false);
  assert.deepEqual(verifier.finish(), { ok: false, firstBrokenSeq: 2, reason: 'missing' });
});

test('property: any single tampering is caught at the right seq', () => {
  const tamper = fc.integer({ min: 3, max: 30 }).chain((n) => fc.record({
    n: fc.constant(n),
    kind: fc.constantFrom('modify', 'delete', 'swap', 'insert'),
    i: fc.integer({ min: 1, max: n - 1 }),
    j: fc.integer({ min: 2, max: n }),
  }));
  fc.assert(fc.property(tamper, ({ n, kind, i, j }) => {
    const rows = chainOf(n);
    if (kind === 'modify') {
      rows[i - 1] = { ...rows[i - 1]!, entry: { ...(rows[i - 1]!.entry as object), n: -1 } };
      assert.deepEqual(verifyRows(rows), { ok: false, firstBrokenSeq: i, reason: 'modified' });
    } else if (kind === 'delete') {
      assert.deepEqual(verifyRows(rows.filter((r) => r.seq !== i)), { ok: false, firstBrokenSeq: i, reason: 'missing' });
    } else if (kind === 'swap') {
      fc.pre(j > i);
      [rows[i - 1], rows[j - 1]] = [rows[j - 1]!, rows[i - 1]!];
      assert.deepEqual(verifyRows(renumber(rows)), { ok: false, firstBrokenSeq: i, reason: 'reordered' });
    } else {
      const withForged = renumber([...rows.slice(0, i), forged(rows[i - 1]!.hash, 0), ...rows.slice(i)]);
      assert.deepEqual(verifyRows(withForged), { ok: false, firstBrokenSeq: i + 1, reason: 'inserted' });
    }
  }), { numRuns: 300 });
});
