import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { isAsciiDigits, luhnValidBytes } from './request-checks.ts';

test('isAsciiDigits: only Buffers of digit bytes within the length bounds', () => {
  assert.equal(isAsciiDigits(Buffer.from('123'), 3, 4), true);
  assert.equal(isAsciiDigits(Buffer.from('12'), 3, 4), false);
  assert.equal(isAsciiDigits(Buffer.from('12345'), 3, 4), false);
  assert.equal(isAsciiDigits(Buffer.from('12a'), 3, 4), false);
  assert.equal(isAsciiDigits(Buffer.from(' 123'), 3, 4), false);
  assert.equal(isAsciiDigits('123', 3, 4), false);
  assert.equal(isAsciiDigits(null, 3, 4), false);
});

test('luhnValidBytes: known numbers', () => {
  assert.equal(luhnValidBytes(Buffer.from('4242424242424242')), true);
  assert.equal(luhnValidBytes(Buffer.from('378282246310005')), true);
  assert.equal(luhnValidBytes(Buffer.from('4242424242424241')), false);
  assert.equal(luhnValidBytes(Buffer.from('')), false);
  assert.equal(luhnValidBytes(Buffer.from('42424242x4242424')), false);
});

test('property: luhnValidBytes agrees with a digit-sum reference', () => {
  const reference = (text: string) => {
    let sum = 0;
    for (let i = 0; i < text.length; i++) {
      let v = Number(text[text.length - 1 - i]);
      if (i % 2 === 1) v = v * 2 > 9 ? v * 2 - 9 : v * 2;
      sum += v;
    }
    return sum % 10 === 0;
  };
  fc.assert(
    fc.property(fc.string({ unit: fc.constantFrom(...'0123456789'), minLength: 1, maxLength: 25 }), (text) => {
      assert.equal(luhnValidBytes(Buffer.from(text, 'ascii')), reference(text));
    }),
    { numRuns: 2_000 },
  );
});
