import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isAuditError } from './errors.ts';
import { canonicalBytes } from './canonical.ts';
import { METADATA_MAX_BYTES, prepareEntry } from './record.ts';
import { sampleRecord } from './testing.ts';

const NOW = new Date('2025-01-02T03:04:05.678Z');

function invalidPath(record: unknown): string {
  try {
    prepareEntry(record, 'api', NOW);
  } catch (error) {
    assert.ok(isAuditError(error));
    assert.equal(error.code, 'audit_invalid');
    return error.path;
  }
  assert.fail('accepted');
}

test('the stored entry: explicit nulls, format version, service and time set by the library', () => {
  const entry = prepareEntry({
    actor: { type: 'system', id: 'scheduler' }, action: 'key.rotate', targets: [], tenant: null,
    outcome: { result: 'success' },
  }, 'kms', NOW);
  assert.deepEqual(entry, {
    v: 1, service: 'kms', time: '2025-01-02T03:04:05.678Z',
    actor: { type: 'system', id: 'scheduler', display: null, sessionId: null },
    action: 'key.rotate', targets: [], tenant: null,
    outcome: { result: 'success', reason: null },
    origin: { ip: null, userAgent: null, certIdentity: null },
    requestId: null, metadata: {},
  });
});

test('optional fields given as undefined are accepted; undefined metadata values are dropped', () => {
  const entry = prepareEntry(sampleRecord({ origin: { ip: undefined, certIdentity: undefined }, requestId: undefined,
    metadata: { a: 1, b: undefined, c: { d: undefined } } }), 'api', NOW);
  assert.deepEqual(entry.origin, { ip: null, userAgent: null, certIdentity: null });
  assert.equal(entry.requestId, null);
  assert.deepEqual(entry.metadata, { a: 1, c: {} });
});

test('the entry is a copy: changing the input afterwards changes nothing', () => {
  const record = sampleRecord({ metadata: { list: [1, 2] } });
  const entry = prepareEntry(record, 'api', NOW);
  (record.metadata!.list as number[]).push(3);
  record.targets[0]!.id = 'other';
  assert.deepEqual(entry.metadata, { list: [1, 2] });
  assert.equal(entry.targets[0]?.id, 'cust_test_1');
});

test('actions are dotted lowercase names', () => {
  for (const action of ['token.create', 'api_key.create', 'a.b.c', 'x1.y_2']) {
    assert.equal(prepareEntry(sampleRecord({ action }), 'api', NOW).action, action);
  }
  for (const action of ['token', 'Token.create', 'token.', '.create', 'token..create', 'token.cre-ate', '1token.create', 'token create']) {
    assert.equal(invalidPath(sampleRecord({ action })), 'action', action);
  }
});

test('the schema refuses unknown fields, bad actor types, a tenant that could pose as the platform stream', () => {
  assert.equal(invalidPath({ ...sampleRecord(), extra: 1 }), 'extra');
  assert.equal(invalidPath(sampleRecord({ actor: { type: 'root' as 'user', id: 'x' } })), 'actor.type');
  assert.equal(invalidPath(sampleRecord({ tenant: '_platform' })), 'tenant');
  assert.equal(invalidPath(sampleRecord({ targets: [{ type: 'Customer', id: 'c' }] })), 'targets[0].type');
  assert.equal(invalidPath(sampleRecord({ outcome: { result: 'maybe' as 'success' } })), 'outcome.result');
  assert.equal(invalidPath(sampleRecord({ origin: { ip: 'not an ip' } })), 'origin.ip');
  for (const ip of ['203.0.113.7', '2001:db8::1', '::ffff:127.0.0.1', 'fe80::1%eth0']) {
    assert.equal(prepareEntry(sampleRecord({ origin: { ip } }), 'api', NOW).origin.ip, ip);
  }
  assert.equal(invalidPath({ ...sampleRecord(), tenant: undefined }), 'tenant');
});

test('metadata is small plain JSON with identifier keys', () => {
  const big = { blob: 'x'.repeat(METADATA_MAX_BYTES) };
  assert.ok(canonicalBytes(big).length > METADATA_MAX_BYTES);
  assert.equal(invalidPath(sampleRecord({ metadata: big })), 'metadata');
  assert.equal(invalidPath(sampleRecord({ metadata: { a: { b: { c: { d: { e: 1 } } } } } })), 'metadata.a.b.c.d');
  assert.equal(invalidPath(sampleRecord({ metadata: { when: new Date() } })), 'metadata.when');
  assert.equal(invalidPath(sampleRecord({ metadata: { n: NaN } })), 'metadata.n');
  assert.equal(invalidPath(sampleRecord({ metadata: { s: 'a\u0000b' } })), 'metadata.s');
  assert.equal(invalidPath(sampleRecord({ metadata: { s: '\ud800' } })), 'metadata.s');
  assert.equal(invalidPath(sampleRecord({ metadata: { 'two words': 1 } })), 'metadata["two words"]');
  assert.equal(invalidPath(sampleRecord({ metadata: { nested: { __proto__x: 1 } } })), 'metadata.nested.__proto__x');
  assert.equal(invalidPath(sampleRecord({ metadata: JSON.parse('{"__proto__": {"polluted": 1}}') })), 'metadata.__proto__');
  assert.equal(invalidPath(sampleRecord({ actor: { type: 'user', id: 'u\u0000' } })), 'actor.id');
});
