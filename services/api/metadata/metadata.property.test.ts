// readMetadata against a reference written independently from the limits: it accepts exactly the JSON
// objects within METADATA_LIMITS (and returns an equal plain copy), refuses everything else with a 400
// `bad_request`, and never throws anything else, whatever the input.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { isHttpError } from '#lib/http/index.ts';
import { METADATA_LIMITS, readMetadata } from './metadata.ts';

const L = METADATA_LIMITS;

/** The reference: is this (JSON-parsed) value metadata within the limits? Absent metadata is `{}`. */
function withinLimits(value: unknown): boolean {
  if (value === undefined) return true;
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return false;
  let entries = 0;
  const ok = (node: unknown, level: number): boolean => {
    if (node === null || typeof node === 'boolean') return true;
    if (typeof node === 'number') return Number.isFinite(node);
    if (typeof node === 'string') return node.length <= L.stringLength && !node.includes('\u0000') && node.isWellFormed();
    if (typeof node !== 'object' || level + 1 > L.depth) return false;
    const children = Array.isArray(node) ? node : Object.values(node);
    const keys = Array.isArray(node) ? [] : Object.keys(node);
    if (keys.length > L.keys || keys.some((k) => k.length > L.keyLength || k.includes('\u0000') || !k.isWellFormed())) return false;
    entries += children.length;
    return entries <= L.entries && children.every((child) => ok(child, level + 1));
  };
  return ok(value, 0) && Buffer.byteLength(JSON.stringify(value)) <= L.bytes;
}

function depthOf(value: unknown): number {
  if (value === null || typeof value !== 'object') return 0;
  return 1 + Math.max(0, ...(Array.isArray(value) ? value : Object.values(value)).map(depthOf));
}

function outcome(value: unknown): { ok: true; value: unknown } | { ok: false; message: string } {
  try {
    return { ok: true, value: readMetadata(value) };
  } catch (error) {
    assert.ok(isHttpError(error), `threw something other than an HttpError: ${String(error)}`);
    assert.deepEqual([error.statusCode, error.code], [400, 'bad_request']);
    assert.ok(error.message.length > 0 && error.message.length < 200, error.message);
    return { ok: false, message: error.message };
  }
}

// Text near the limits, with the characters PostgreSQL refuses now and then.
const text = fc.oneof(
  { weight: 6, arbitrary: fc.string({ maxLength: 12 }) },
  { weight: 1, arbitrary: fc.string({ minLength: L.stringLength - 2, maxLength: L.stringLength + 2 }) },
  { weight: 1, arbitrary: fc.constantFrom('a\u0000b', '\ud800', 'ok\udc00', '😀', '') },
);
const key = fc.oneof({ weight: 8, arbitrary: fc.string({ maxLength: 8 }) }, { weight: 1, arbitrary: fc.string({ minLength: L.keyLength - 1, maxLength: L.keyLength + 1 }) },
  { weight: 1, arbitrary: fc.constantFrom('__proto__', 'constructor', 'k\u0000', '\udfff') });
const leaf = fc.oneof(text, fc.double(), fc.integer(), fc.boolean(), fc.constant(null));
const { tree } = fc.letrec((tie) => ({
  tree: fc.oneof({ depthSize: 'small', withCrossShrink: true }, leaf, tie('list'), tie('object')),
  list: fc.array(tie('tree'), { maxLength: 6 }),
  object: fc.dictionary(key, tie('tree'), { maxKeys: 6 }),
}));
// Metadata as JSON.parse makes it (JSON.parse keeps __proto__ as a key), plus arbitrary non-objects.
const metadata = fc.oneof(
  { weight: 8, arbitrary: fc.dictionary(key, tree, { maxKeys: 8 }).map((o) => JSON.parse(JSON.stringify(o)) as unknown) },
  { weight: 1, arbitrary: fc.dictionary(fc.string(), fc.integer(), { minKeys: L.keys - 1, maxKeys: L.keys + 1 }).map((o) => ({ ...o })) },
  { weight: 1, arbitrary: fc.anything() },
);

test('property: accepted exactly when within the limits; an accepted value comes back equal, plain and bounded', () => {
  fc.assert(fc.property(metadata, (input) => {
    const result = outcome(input);
    assert.equal(result.ok, withinLimits(input), result.ok ? 'accepted beyond the limits' : `refused within the limits: ${result.message}`);
    if (!result.ok) return;
    assert.deepEqual(result.value, input ?? {});
    assert.equal(Object.getPrototypeOf(result.value), Object.prototype);
    assert.ok(depthOf(result.value) <= L.depth);
    assert.ok(Buffer.byteLength(JSON.stringify(result.value)) <= L.bytes);
  }), { numRuns: 2000 });
});

test('property: nesting deeper than the limit is refused, at any depth, in objects or lists', () => {
  fc.assert(fc.property(fc.integer({ min: 1, max: 3000 }), fc.array(fc.boolean(), { minLength: 1, maxLength: 3000 }), (levels, kinds) => {
    let value: unknown = 1;
    for (let i = 1; i < levels; i++) value = kinds[i % kinds.length] ? [value] : { a: value };
    const wrapped = { a: value };
    const result = outcome(wrapped);
    assert.equal(result.ok, depthOf(wrapped) <= L.depth, `${depthOf(wrapped)} levels`);
    if (!result.ok && depthOf(wrapped) > L.depth) assert.match(result.message, /nested more than 5 levels deep/);
  }), { numRuns: 300 });
});

test('the limits, one by one, with the messages a merchant reads', () => {
  const refusal = (value: unknown) => {
    const result = outcome(value);
    assert.equal(result.ok, false, JSON.stringify(value).slice(0, 80));
    return (result as { message: string }).message;
  };
  assert.deepEqual(readMetadata(undefined), {});
  assert.deepEqual(readMetadata({ a: { b: { c: { d: { e: 1 } } } } }), { a: { b: { c: { d: { e: 1 } } } } }, 'five levels');
  assert.equal(refusal({ a: { b: { c: { d: { e: {} } } } } }), 'metadata is nested more than 5 levels deep (at metadata.a.b.c.d.e)');
  assert.equal(refusal(JSON.parse(`{"metadata":${'{"a":'.repeat(2000)}1${'}'.repeat(2001)}`).metadata), 'metadata is nested more than 5 levels deep (at metadata.a.a.a.a.a)');
  assert.equal(refusal('text'), 'metadata must be an object');
  assert.equal(refusal([1]), 'metadata must be an object');
  assert.equal(refusal({ a: Object.fromEntries(Array.from({ length: 51 }, (_, i) => [`k${i}`, i])) }), 'metadata.a has more than 50 keys');
  assert.equal(refusal({ a: Array.from({ length: 201 }, () => 1) }), 'metadata has more than 200 keys and list items in all');
  assert.equal(refusal({ ['k'.repeat(41)]: 1 }), 'metadata keys must be at most 40 characters (in metadata)');
  assert.equal(refusal({ note: 'x'.repeat(501) }), 'metadata.note is longer than 500 characters');
  assert.equal(refusal({ note: 'a\u0000b' }), 'metadata.note holds a NUL character or an unpaired surrogate');
  assert.equal(refusal({ n: Infinity }), 'metadata.n is not a finite number');
  assert.equal(refusal(Object.fromEntries(Array.from({ length: 20 }, (_, i) => [`k${i}`, 'é'.repeat(250)]))), 'metadata is larger than 8192 bytes as JSON');
  const parsed = readMetadata(JSON.parse('{"__proto__":{"x":1}}'));
  assert.deepEqual(Object.keys(parsed), ['__proto__'], 'a __proto__ key stays a key');
  assert.equal(({} as Record<string, unknown>).x, undefined, 'and pollutes nothing');
});
