import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { canonicalBytes, canonicalJson } from './canonical.ts';

// A deterministic shuffle of every object's keys, driven by a seed fast-check chooses.
function shuffleKeys(value: unknown, seed: { n: number }): unknown {
  if (Array.isArray(value)) return value.map((item) => shuffleKeys(item, seed));
  if (value && typeof value === 'object') {
    const entries = Object.entries(value);
    for (let i = entries.length - 1; i > 0; i--) {
      seed.n = (seed.n * 1103515245 + 12345) >>> 0;
      const j = seed.n % (i + 1);
      [entries[i], entries[j]] = [entries[j]!, entries[i]!];
    }
    return Object.fromEntries(entries.map(([k, v]) => [k, shuffleKeys(v, seed)]));
  }
  return value;
}

// JSON has one zero: compare values as JSON sees them.
const asJson = (value: unknown): unknown => JSON.parse(JSON.stringify(value));

test('sorted keys, no whitespace, explicit nulls', () => {
  assert.equal(canonicalJson({ b: 1, a: [true, null, 'x'], c: { z: null, y: -0 } }), '{"a":[true,null,"x"],"b":1,"c":{"y":0,"z":null}}');
  assert.equal(canonicalJson([]), '[]');
  assert.equal(canonicalJson({}), '{}');
  assert.equal(canonicalJson(1e21), '1e+21');
  assert.equal(canonicalJson(0.1), '0.1');
});

test('keys sort by UTF-16 code units (the RFC 8785 example)', () => {
  const value = { '\u20ac': 'Euro', '\r': 'CR', '\ufb33': 'Hebrew', '1': 'One', '\ud83d\ude00': 'Emoji', '\u0080': 'Control', '\u00f6': 'o' };
  assert.equal(
    canonicalJson(value),
    '{"\\r":"CR","1":"One","\u0080":"Control","\u00f6":"o","\u20ac":"Euro","\ud83d\ude00":"Emoji","\ufb33":"Hebrew"}',
  );
});

test('bytes are UTF-8', () => {
  assert.deepEqual([...canonicalBytes({ k: 'é' })], [...Buffer.from('{"k":"', 'utf8'), 0xc3, 0xa9, ...Buffer.from('"}', 'utf8')]);
});

test('lone surrogates stay distinct (escaped, not replaced)', () => {
  assert.notEqual(canonicalJson('\ud800'), canonicalJson('\ud801'));
  assert.equal(canonicalJson('\ud800'), '"\\ud800"');
});

test('refuses anything that is not plain JSON data', () => {
  const cyclic: Record<string, unknown> = {};
  cyclic.self = cyclic;
  const refused: unknown[] = [undefined, { a: undefined }, NaN, Infinity, 10n, new Date(0), new Map(), () => 1,
    Symbol('s'), [1, , 3], Buffer.from('x'), cyclic];
  for (const value of refused) assert.throws(() => canonicalJson(value), TypeError, String(value));
  assert.equal(canonicalJson(Object.assign(Object.create(null), { a: 1 })), '{"a":1}');
});

test('property: the encoding does not depend on key order', () => {
  fc.assert(fc.property(fc.jsonValue({ stringUnit: 'binary' }), fc.nat(), (value, seed) => {
    assert.equal(canonicalJson(shuffleKeys(value, { n: seed })), canonicalJson(value));
  }), { numRuns: 500 });
});

test('property: the encoding decodes back to the value, so it is injective', () => {
  fc.assert(fc.property(fc.jsonValue({ stringUnit: 'binary' }), (value) => {
    assert.deepEqual(JSON.parse(canonicalJson(value)), asJson(value));
  }), { numRuns: 500 });
});

test('property: different values give different encodings, equal values equal ones', () => {
  const small = fc.jsonValue({ maxDepth: 2, stringUnit: 'binary' });
  fc.assert(fc.property(small, small, fc.boolean(), fc.nat(), (a, other, sameValue, seed) => {
    const b = sameValue ? shuffleKeys(a, { n: seed }) : other;
    assert.equal(canonicalJson(a) === canonicalJson(b), isDeepJsonEqual(asJson(a), asJson(b)));
  }), { numRuns: 1000 });
});

function isDeepJsonEqual(a: unknown, b: unknown): boolean {
  try {
    assert.deepEqual(a, b); // strict mode: key order is ignored, types and values are not
    return true;
  } catch {
    return false;
  }
}
