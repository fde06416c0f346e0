import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { scrubPan } from './scrub-pan.ts';

// Independent reference: brute-force over every substring, written for clarity not speed.
// A PAN is a substring of 13–19 digits, optionally grouped by single spaces/dashes, Luhn-valid,
// and not glued to a digit on either side.
function referenceScrub(text: string): string {
  const masked = new Array<boolean>(text.length).fill(false);
  for (let i = 0; i < text.length; i++) {
    if (i > 0 && isDigit(text[i - 1])) continue;
    for (let j = i + 1; j <= text.length && j - i <= 2 * 19; j++) {
      if (j < text.length && isDigit(text[j])) continue;
      const s = text.slice(i, j);
      if (!/^[0-9]+(?:[ -][0-9]+)*$/.test(s)) continue;
      const digits = s.replace(/[ -]/g, '');
      if (digits.length < 13 || digits.length > 19 || !luhn(digits)) continue;
      let seen = 0;
      for (let k = i; k < j; k++) {
        if (isDigit(text[k]) && seen++ < digits.length - 4) masked[k] = true;
      }
    }
  }
  return Array.from(text, (c, k) => (masked[k] ? '*' : c)).join('');
}

function isDigit(c: string | undefined): boolean {
  return c !== undefined && c >= '0' && c <= '9';
}

function luhn(digits: string): boolean {
  let sum = 0;
  for (let i = 0; i < digits.length; i++) {
    let d = Number(digits[digits.length - 1 - i]);
    if (i % 2 === 1) d = d * 2 > 9 ? d * 2 - 9 : d * 2;
    sum += d;
  }
  return sum % 10 === 0;
}

const luhnValidPan = fc
  .integer({ min: 13, max: 19 })
  .chain((length) => fc.array(fc.integer({ min: 0, max: 9 }), { minLength: length - 1, maxLength: length - 1 }))
  .map((body) => {
    const prefix = body.join('');
    for (let d = 0; d <= 9; d++) if (luhn(prefix + d)) return prefix + d;
    throw new Error('unreachable');
  });

// Inserts single spaces or dashes at random positions between digits, like people and forms do.
const formattedPan = luhnValidPan.chain((pan) =>
  fc
    .array(fc.constantFrom('', '', '', ' ', '-'), { minLength: pan.length - 1, maxLength: pan.length - 1 })
    .map((seps) => ({ pan, text: Array.from(pan, (c, i) => c + (seps[i] ?? '')).join('') })),
);

const anyText = fc.string({ unit: 'grapheme-ascii', maxLength: 40 });
const nonDigit = fc.constantFrom(' ', '-', 'a', ':', '"', '.', ',', '\n', '/', '=');
const digitHeavyText = fc.string({ unit: fc.constantFrom(...'0123456789', ' ', '-', 'x', ':'), maxLength: 80 });

test('property: a Luhn-valid PAN delimited by non-digits never survives', () => {
  fc.assert(
    fc.property(anyText, nonDigit, formattedPan, nonDigit, anyText, (prefix, before, { pan, text }, after, suffix) => {
      const input = `${prefix}${before}${text}${after}${suffix}`;
      const out = scrubPan(input);
      assert.equal(out.length, input.length);
      assert.ok(!out.includes(pan), 'raw PAN survived');
      assert.ok(!out.includes(text), 'formatted PAN survived');
      // Within the PAN's span, at most its last 4 digits remain in clear.
      const start = prefix.length + before.length;
      const span = out.slice(start, start + text.length);
      const clear = span.replace(/[^0-9]/g, '');
      assert.ok(clear.length <= 4 && pan.endsWith(clear), `span ${span}`);
    }),
    { numRuns: 2_000 },
  );
});

test('property: text without a Luhn-valid 13–19 digit run is returned unchanged', () => {
  fc.assert(
    fc.property(fc.oneof(anyText, digitHeavyText), (text) => {
      fc.pre(referenceScrub(text) === text);
      assert.equal(scrubPan(text), text);
    }),
    { numRuns: 2_000 },
  );
});

test('property: non-Luhn 13–19 digit numbers (timestamps, ids) are never masked', () => {
  const nonLuhnNumber = luhnValidPan.map((pan) => pan.slice(0, -1) + String((Number(pan.at(-1)) + 1) % 10));
  fc.assert(
    fc.property(nonLuhnNumber, fc.constantFrom('ts=', '"', ' at ', ''), (n, lead) => {
      const input = `${lead}${n}"`;
      assert.equal(scrubPan(input), input);
    }),
    { numRuns: 2_000 },
  );
});

test('property: agrees with the brute-force reference on digit-heavy text', () => {
  fc.assert(
    fc.property(digitHeavyText, formattedPan, digitHeavyText, (a, { text }, b) => {
      const input = a + text + b;
      assert.equal(scrubPan(input), referenceScrub(input));
    }),
    { numRuns: 1_000 },
  );
});

test('property: scrubbing is idempotent and length-preserving', () => {
  fc.assert(
    fc.property(fc.oneof(anyText, digitHeavyText), (text) => {
      const once = scrubPan(text);
      assert.equal(once.length, text.length);
      assert.equal(scrubPan(once), once);
    }),
    { numRuns: 1_000 },
  );
});
