import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { BRAND_RANGES, BRAND_RULES, detectBrand, luhnCheckDigit, luhnValid, validateCard } from './card-number.ts';
import type { Brand, CardInput } from './card-number.ts';

const NOW = new Date('2026-03-15T12:00:00Z');

const digit = fc.constantFrom(...'0123456789');
// Length drawn uniformly first: fast-check's default size would otherwise keep most strings short.
const digits = (minLength: number, maxLength: number) =>
  fc.integer({ min: minLength, max: maxLength }).chain((n) => fc.string({ unit: digit, minLength: n, maxLength: n }));

// Independent reference for the check digit: try all ten.
function referenceCheckDigit(payload: string): string {
  for (let d = 0; d <= 9; d++) {
    let sum = 0;
    const full = payload + d;
    for (let i = 0; i < full.length; i++) {
      let v = Number(full[full.length - 1 - i]);
      if (i % 2 === 1) v = v * 2 > 9 ? v * 2 - 9 : v * 2;
      sum += v;
    }
    if (sum % 10 === 0) return String(d);
  }
  throw new Error('unreachable');
}

test('property: appending the Luhn check digit always yields a valid number', () => {
  fc.assert(
    fc.property(digits(0, 30), (payload) => {
      const check = luhnCheckDigit(payload);
      assert.equal(check, referenceCheckDigit(payload));
      assert.equal(luhnValid(payload + check), true);
    }),
    { numRuns: 2_000 },
  );
});

test('property: changing any single digit of a valid number makes it invalid', () => {
  fc.assert(
    fc.property(digits(1, 25), fc.nat(), fc.integer({ min: 1, max: 9 }), (payload, at, delta) => {
      const valid = payload + luhnCheckDigit(payload);
      const i = at % valid.length;
      const changed = valid.slice(0, i) + ((Number(valid[i]) + delta) % 10) + valid.slice(i + 1);
      assert.notEqual(changed, valid);
      assert.equal(luhnValid(changed), false, `${valid} -> ${changed}`);
    }),
    { numRuns: 2_000 },
  );
});

// A PAN whose prefix is a uniformly chosen value inside `range`, of one of the brand's lengths, Luhn-valid.
const panInRange = fc
  .constantFrom(...BRAND_RANGES)
  .chain((range) =>
    fc.record({
      range: fc.constant(range),
      prefix: fc.integer({ min: Number(range.from), max: Number(range.to) }).map((n) => String(n).padStart(range.from.length, '0')),
      length: fc.constantFrom(...BRAND_RULES[range.brand].lengths),
      rest: digits(19, 19),
    }),
  )
  .map(({ range, prefix, length, rest }) => {
    const payload = (prefix + rest).slice(0, length - 1);
    return { brand: range.brand, pan: payload + luhnCheckDigit(payload) };
  });

test('property: a PAN generated inside a range is detected as that range\'s brand and validates', () => {
  fc.assert(
    fc.property(panInRange, ({ brand, pan }) => {
      assert.equal(detectBrand(pan), brand, pan);
      const cvv = '7'.repeat(BRAND_RULES[brand].cvvLength);
      const result = validateCard({ number: pan, expiration_month: 12, expiration_year: 2030, security_code: cvv }, NOW);
      assert.ok(result.ok, result.ok ? '' : result.message);
      assert.equal(result.card.brand, brand);
      assert.equal(result.card.pan, pan);
    }),
    { numRuns: 3_000 },
  );
});

// Reference: every range containing the PAN's prefix, by numeric comparison.
function referenceBrands(pan: string): Brand[] {
  return BRAND_RANGES.filter((r) => {
    if (pan.length < r.from.length) return false;
    const prefix = Number(pan.slice(0, r.from.length));
    return prefix >= Number(r.from) && prefix <= Number(r.to);
  }).map((r) => r.brand);
}

test('property: for any digit string, detectBrand agrees with the range table (ranges never overlap)', () => {
  fc.assert(
    fc.property(digits(1, 19), (pan) => {
      const brands = referenceBrands(pan);
      assert.ok(brands.length <= 1, `${pan} is in several ranges: ${brands.join(', ')}`);
      assert.equal(detectBrand(pan), brands[0] ?? null, pan);
    }),
    { numRuns: 5_000 },
  );
});

// Invalid card numbers of many kinds: Luhn failures, wrong lengths, unknown brands, bad separators,
// stray characters, each with a random (often invalid) expiry and security code.
const numberText = fc.oneof(
  digits(1, 25),
  digits(13, 19),
  panInRange.map(({ pan }) => pan.slice(0, -1) + ((Number(pan.at(-1)) + 1) % 10)),
  panInRange.map(({ pan }) => pan + '0'),
  panInRange.chain(({ pan }) =>
    fc.array(fc.constantFrom('', '', ' ', '-', '  ', '--', 'x', '.', '/'), { minLength: pan.length, maxLength: pan.length })
      .map((seps) => Array.from(pan, (c, i) => c + (seps[i] ?? '')).join('')),
  ),
  fc.string({ unit: fc.constantFrom(...'0123456789 -abc'), maxLength: 45, size: 'max' }),
);

const invalidishCard = fc.record({
  number: numberText,
  expiration_month: fc.oneof(fc.integer({ min: -2, max: 14 }), digits(0, 3)),
  expiration_year: fc.oneof(fc.integer({ min: 0, max: 12_000 }), digits(0, 5)),
  security_code: fc.option(digits(0, 5), { nil: undefined }),
  name: fc.option(fc.string({ maxLength: 300 }), { nil: undefined }),
}) as fc.Arbitrary<CardInput>;

function fourDigitRuns(text: string): string[] {
  const onlyDigits = text.replace(/[^0-9]/g, '');
  const runs: string[] = [];
  for (let i = 0; i + 4 <= onlyDigits.length; i++) runs.push(onlyDigits.slice(i, i + 4));
  return runs;
}

test('property: no error message contains any 4-digit run of the input number or the security code', () => {
  let failures = 0;
  fc.assert(
    fc.property(invalidishCard, (input) => {
      const result = validateCard(input, NOW);
      if (result.ok) return;
      failures++;
      assert.equal(result.code, 'invalid_card');
      assert.ok(result.message.length > 0);
      // Messages never carry a 4-digit run of any kind, so none from the input either.
      assert.doesNotMatch(result.message, /[0-9]{4}/);
      for (const run of fourDigitRuns(input.number)) assert.ok(!result.message.includes(run), `${result.message} leaks ${run}`);
      if (input.security_code && input.security_code.length >= 4) assert.ok(!result.message.includes(input.security_code));
    }),
    { numRuns: 5_000 },
  );
  assert.ok(failures > 4_000, `only ${failures} of the generated cards were invalid`);
});
