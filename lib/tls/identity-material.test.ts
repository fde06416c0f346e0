import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createListeners, validateIdentityMaterial } from './identity-material.ts';
import { createStaticIdentity } from './static-identity.ts';
import { createTestCa, issueTestIdentity } from './testing.ts';

test('validateIdentityMaterial accepts a matching set and returns notAfter', async () => {
  const ca = await createTestCa();
  const material = await issueTestIdentity(ca, 'api', { validitySeconds: 120 });
  const validated = validateIdentityMaterial(material);
  assert.ok(Math.abs(validated.notAfter.getTime() - (Date.now() + 120_000)) < 3_000);
});

test('validateIdentityMaterial refuses expired, not-yet-valid and mismatched material', async () => {
  const ca = await createTestCa();
  const material = await issueTestIdentity(ca, 'api', { validitySeconds: 60 });
  assert.throws(() => validateIdentityMaterial(material, { now: new Date(Date.now() + 120_000) }), /expired/);
  assert.throws(() => validateIdentityMaterial(material, { now: new Date(Date.now() - 3_600_000) }), /not yet valid/);
  const other = await issueTestIdentity(ca, 'api');
  assert.throws(() => validateIdentityMaterial({ ...material, keyPem: other.keyPem }), /does not match/);
  assert.throws(() => validateIdentityMaterial({ ...material, certPem: '' }), /no certificate/);
});

test('validateIdentityMaterial accepts a chain file (leaf + intermediate) and checks its order', async () => {
  // Our CAs are pathlen 0, so simulate an operator bundle: leaf first, then its CA, trust anchor = that CA.
  const ca = await createTestCa();
  const leaf = await issueTestIdentity(ca, 'api');
  assert.ok(validateIdentityMaterial({ ...leaf, certPem: leaf.certPem + ca.certPem }));
  assert.throws(() => validateIdentityMaterial({ ...leaf, certPem: ca.certPem + leaf.certPem }), /does not match|not in order/);
});

test('createStaticIdentity validates once and never changes', async () => {
  const ca = await createTestCa();
  const material = await issueTestIdentity(ca, 'api');
  const identity = createStaticIdentity(material);
  assert.equal(identity.current().certPem, material.certPem);
  assert.equal(typeof identity.onChange(() => undefined), 'function');
  const other = await issueTestIdentity(ca, 'api');
  assert.throws(() => createStaticIdentity({ ...material, keyPem: other.keyPem }), /does not match/);
});

test('createListeners isolates a throwing listener and supports unsubscribe', () => {
  const errors: unknown[] = [];
  const listeners = createListeners<number>((e) => errors.push(e));
  const seen: number[] = [];
  listeners.add(() => {
    throw new Error('bad');
  });
  const off = listeners.add((n) => seen.push(n));
  listeners.emit(1);
  off();
  listeners.emit(2);
  assert.deepEqual(seen, [1]);
  assert.equal(errors.length, 2);
});
