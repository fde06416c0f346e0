import { test } from 'node:test';
import assert from 'node:assert/strict';
import { detectBrand, luhnCheckDigit, luhnValid, normalizeNumber, validateCard } from './card-number.ts';
import type { Brand, CardInput, CardValidation } from './card-number.ts';

const NOW = new Date('2026-03-15T12:00:00Z');

const TEST_CARDS: readonly [string, Brand, string][] = [
  ['4242424242424242', 'Visa', '123'],
  ['5555555555554444', 'MasterCard', '123'],
  ['2223003122003222', 'MasterCard', '123'],
  ['378282246310005', 'American Express', '1234'],
  ['3530111333300000', 'JCB', '123'],
  ['6200000000000005', 'UnionPay', '123'],
  ['6011111111111117', 'Discover', '123'],
  ['30569309025904', 'Diners Club', '123'],
];

const card = (overrides: Partial<CardInput> = {}): CardInput => ({
  number: '4242424242424242',
  expiration_month: 12,
  expiration_year: 2030,
  security_code: '123',
  name: 'Somchai Prasert',
  ...overrides,
});

function failure(result: CardValidation): string {
  assert.equal(result.ok, false, 'expected a failure');
  if (result.ok) throw new Error('unreachable');
  assert.equal(result.code, 'invalid_card');
  return result.message;
}

test('luhnValid accepts the test numbers and refuses a changed digit, non-digits and the empty string', () => {
  for (const [pan] of TEST_CARDS) assert.equal(luhnValid(pan), true, pan);
  assert.equal(luhnValid('4242424242424241'), false);
  assert.equal(luhnValid('79927398713'), true);
  assert.equal(luhnValid('79927398710'), false);
  assert.equal(luhnValid(''), false);
  assert.equal(luhnValid('4242 4242 4242 4242'), false);
  assert.equal(luhnValid('４２４２'), false, 'full-width digits are not ASCII digits');
  assert.equal(luhnCheckDigit('424242424242424'), '2');
  assert.equal(luhnCheckDigit('7992739871'), '3');
});

test('detectBrand names each test card and the edges of every range', () => {
  for (const [pan, brand] of TEST_CARDS) assert.equal(detectBrand(pan), brand, pan);
  const edges: [string, Brand | null][] = [
    ['5100000000000000', 'MasterCard'], ['5599999999999999', 'MasterCard'],
    ['5000000000000000', null], ['5600000000000000', null],
    ['2221000000000000', 'MasterCard'], ['2720999999999999', 'MasterCard'],
    ['2220999999999999', null], ['2721000000000000', null],
    ['340000000000000', 'American Express'], ['370000000000000', 'American Express'], ['350000000000000', null],
    ['3528000000000000', 'JCB'], ['3589000000000000', 'JCB'], ['3527000000000000', null], ['3590000000000000', null],
    ['6011000000000000', 'Discover'], ['6010000000000000', null], ['6012000000000000', null],
    ['6440000000000000', 'Discover'], ['6499000000000000', 'Discover'], ['6430000000000000', null],
    ['6500000000000000', 'Discover'], ['6600000000000000', null],
    ['3000000000000000', 'Diners Club'], ['3059000000000000', 'Diners Club'], ['3060000000000000', null],
    ['3600000000000000', 'Diners Club'], ['3800000000000000', 'Diners Club'], ['3900000000000000', 'Diners Club'],
    ['1000000000000000', null], ['7000000000000000', null], ['9000000000000000', null],
  ];
  for (const [pan, brand] of edges) assert.equal(detectBrand(pan), brand, pan);
  assert.equal(detectBrand(''), null);
  assert.equal(detectBrand('4242-4242'), null);
});

test('normalizeNumber strips single spaces and dashes between digit groups only', () => {
  assert.equal(normalizeNumber('4242 4242 4242 4242'), '4242424242424242');
  assert.equal(normalizeNumber('4242-4242-4242-4242'), '4242424242424242');
  assert.equal(normalizeNumber('3782 822463 10005'), '378282246310005');
  for (const bad of [' 4242424242424242', '4242424242424242 ', '4242  4242', '4242--4242', '4242\t4242', '4242.4242', '-4242', '']) {
    assert.equal(normalizeNumber(bad), null, JSON.stringify(bad));
  }
});

test('every test card validates, with brand, first six and last four digits', () => {
  for (const [pan, brand, cvv] of TEST_CARDS) {
    const result = validateCard(card({ number: pan, security_code: cvv }), NOW);
    assert.ok(result.ok, `${brand}: ${result.ok ? '' : result.message}`);
    assert.equal(result.card.pan, pan);
    assert.equal(result.card.brand, brand);
    assert.equal(result.card.first_digits, pan.slice(0, 6));
    assert.equal(result.card.last_digits, pan.slice(-4));
    assert.equal(result.card.security_code, cvv);
  }
});

test('a valid card keeps its fields; spaced or dashed numbers and string month/year are accepted', () => {
  const result = validateCard(
    card({
      number: '4242 4242-4242 4242',
      expiration_month: '03',
      expiration_year: '2026',
      city: 'Bangkok',
      postal_code: '10320',
      country: 'th',
      state: 'Bangkok',
      street1: '1448/4 Praditmanutham Road',
      phone_number: '+66 2 000 0000',
    }),
    NOW,
  );
  assert.ok(result.ok);
  assert.deepEqual(result.card, {
    pan: '4242424242424242',
    brand: 'Visa',
    first_digits: '424242',
    last_digits: '4242',
    expiration_month: 3,
    expiration_year: 2026,
    security_code: '123',
    name: 'Somchai Prasert',
    city: 'Bangkok',
    state: 'Bangkok',
    street1: '1448/4 Praditmanutham Road',
    street2: null,
    postal_code: '10320',
    country: 'TH',
    phone_number: '+66 2 000 0000',
  });
  const minimal = validateCard({ number: '4242424242424242', expiration_month: 1, expiration_year: 2027 }, NOW);
  assert.ok(minimal.ok);
  assert.equal(minimal.card.security_code, null);
  assert.equal(minimal.card.name, null);
});

test('the number: each failure has its own clear message', () => {
  assert.match(failure(validateCard(card({ number: '' }), NOW)), /number is required/);
  assert.match(failure(validateCard(card({ number: 42 as any }), NOW)), /number is required/);
  assert.match(failure(validateCard(card({ number: '4242x4242424242424' }), NOW)), /only digits/);
  assert.match(failure(validateCard(card({ number: '4242  4242 4242 4242' }), NOW)), /only digits/);
  assert.match(failure(validateCard(card({ number: '424242424242' }), NOW)), /13 to 19 digits/);
  assert.match(failure(validateCard(card({ number: '42424242424242424242' }), NOW)), /13 to 19 digits/);
  assert.match(failure(validateCard(card({ number: '9999999999999995' }), NOW)), /brand not supported/);
  // 17 digits: not a Visa length (checked before the check digit).
  assert.match(failure(validateCard(card({ number: '42424242424242428' }), NOW)), /13, 16 or 19 digits for a Visa card/);
  assert.match(failure(validateCard(card({ number: '5555555555554' + '4449' }), NOW)), /16 digits for a MasterCard card/);
  assert.match(failure(validateCard(card({ number: '4242424242424241' }), NOW)), /check digit/);
  assert.match(failure(validateCard(card({ number: '3056930902590' }), NOW)), /14 to 19 digits for a Diners Club card/);
});

test('expiry: month 1–12, four-digit year, valid through the end of the month in UTC', () => {
  for (const month of [0, 13, -1, 1.5, '0', '13', '1a', '', ' 1', '001', null]) {
    assert.match(failure(validateCard(card({ expiration_month: month as any }), NOW)), /month must be a whole number from 1 to 12/, String(month));
  }
  for (const year of [30, '30', '030', 999, '0999', 10000, '20300', 2030.5, '', null]) {
    assert.match(failure(validateCard(card({ expiration_year: year as any }), NOW)), /four-digit year/, String(year));
  }
  const expiring = card({ expiration_month: 3, expiration_year: 2026 });
  assert.ok(validateCard(expiring, new Date('2026-03-31T23:59:59.999Z')).ok, 'valid on the last instant of the month');
  assert.match(failure(validateCard(expiring, new Date('2026-04-01T00:00:00.000Z'))), /expired/);
  // 2026-04-01T00:30 in Bangkok is still March in UTC: evaluated in UTC, the card is valid.
  assert.ok(validateCard(expiring, new Date('2026-04-01T00:30:00+07:00')).ok);
  // December rolls over into January of the next year.
  const december = card({ expiration_month: 12, expiration_year: 2026 });
  assert.ok(validateCard(december, new Date('2026-12-31T23:59:59.999Z')).ok);
  assert.match(failure(validateCard(december, new Date('2027-01-01T00:00:00Z'))), /expired/);
  assert.match(failure(validateCard(card({ expiration_month: 2, expiration_year: 2026 }), NOW)), /expired/);
  assert.match(failure(validateCard(card({ expiration_year: 2099 }), NOW)), /too far in the future/);
  assert.ok(validateCard(card({ expiration_year: 2076 }), NOW).ok);
  assert.throws(() => validateCard(card(), new Date(Number.NaN)), TypeError);
});

test('security code: digits only, exact length for the brand, optional', () => {
  assert.match(failure(validateCard(card({ security_code: '12' }), NOW)), /3 digits for a Visa card/);
  assert.match(failure(validateCard(card({ security_code: '1234' }), NOW)), /3 digits for a Visa card/);
  assert.match(failure(validateCard(card({ security_code: '12a' }), NOW)), /3 digits/);
  assert.match(failure(validateCard(card({ security_code: '' }), NOW)), /3 digits/);
  assert.match(failure(validateCard(card({ security_code: 123 as any }), NOW)), /3 digits/);
  const amex = { number: '378282246310005' };
  assert.match(failure(validateCard(card({ ...amex, security_code: '123' }), NOW)), /4 digits for an American Express card/);
  assert.ok(validateCard(card({ ...amex, security_code: '1234' }), NOW).ok);
  assert.ok(validateCard(card({ security_code: undefined }), NOW).ok);
  assert.ok(validateCard(card({ security_code: null }), NOW).ok);
});

test('name and address fields are bounded, text, and free of control characters', () => {
  assert.ok(validateCard(card({ name: 'x'.repeat(255) }), NOW).ok);
  assert.match(failure(validateCard(card({ name: 'x'.repeat(256) }), NOW)), /name must be at most 255 characters/);
  assert.match(failure(validateCard(card({ name: 'a\nb' }), NOW)), /name must not contain control characters/);
  assert.match(failure(validateCard(card({ name: 'a\u0085b' }), NOW)), /control characters/);
  assert.match(failure(validateCard(card({ name: 'a\ud800b' }), NOW)), /valid Unicode/);
  assert.match(failure(validateCard(card({ name: 7 as any }), NOW)), /name must be text/);
  assert.match(failure(validateCard(card({ city: 'c'.repeat(256) }), NOW)), /city must be at most 255/);
  assert.match(failure(validateCard(card({ street2: 's'.repeat(256) }), NOW)), /street2 must be at most 255/);
  assert.match(failure(validateCard(card({ postal_code: '1'.repeat(21) }), NOW)), /postal code must be at most 20/);
  assert.match(failure(validateCard(card({ phone_number: '1'.repeat(41) }), NOW)), /phone number must be at most 40/);
  for (const country of ['THA', 'T', '12', 'T1', '']) {
    assert.match(failure(validateCard(card({ country }), NOW)), /two-letter ISO 3166-1/, country);
  }
  assert.equal(failure(validateCard(null as any, NOW)), 'card data is required');
});

test('no failure message contains a digit of the number or the security code', () => {
  const inputs: CardInput[] = [
    card({ number: '4242424242424241' }),
    card({ number: '9876543210987654' }),
    card({ number: '42424242424242428' }),
    card({ number: '4242-4242-x242-4242' }),
    card({ number: '5678' }),
    card({ security_code: '9876' }),
    card({ number: '378282246310005', security_code: '987' }),
    card({ expiration_month: 1, expiration_year: 2020 }),
  ];
  for (const input of inputs) {
    const message = failure(validateCard(input, NOW));
    for (const secret of [input.number, input.security_code ?? '']) {
      for (const run of secret.match(/[0-9]{3,}/g) ?? []) {
        for (let i = 0; i + 3 <= run.length; i++) assert.ok(!message.includes(run.slice(i, i + 3)), `${message} leaks ${run.slice(i, i + 3)}`);
      }
    }
  }
});
