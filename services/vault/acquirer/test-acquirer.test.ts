import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AcquirerRequestError, AcquirerTransportError, CARD_FAILURE_CODES } from './acquirer.ts';
import type { AuthorizationRequest, AuthorizationResult } from './acquirer.ts';
import { luhnValidBytes } from './request-checks.ts';
import { createTestAcquirer } from './test-acquirer.ts';
import { TEST_CARDS } from './test-cards.ts';
import { createTransportFaults } from './transport-faults.ts';

// The failure_message texts of docs/omise-compat.md 10.3, written out again so a typo in the code fails here.
const DOC_MESSAGES: Record<string, string> = {
  insufficient_fund: 'insufficient funds in the account or the card has reached the credit limit',
  stolen_or_lost_card: 'card is stolen or lost',
  failed_processing: 'failed processing',
  payment_rejected: 'payment rejected',
  invalid_security_code: 'the security code is invalid',
  failed_fraud_check: 'failed fraud check',
  invalid_account_number: 'the account number is invalid',
};

let sequence = 0;
function request(number: string, overrides: Partial<AuthorizationRequest> = {}): AuthorizationRequest {
  sequence += 1;
  return {
    reference: `chrg_test_${sequence}`,
    pan: Buffer.from(number, 'ascii'),
    securityCode: Buffer.from('123', 'ascii'),
    expirationMonth: 12,
    expirationYear: 2031,
    amount: 100_000,
    currency: 'THB',
    capture: true,
    livemode: false,
    ...overrides,
  };
}

const VISA = '4242424242424242';

async function approved(acquirer: ReturnType<typeof createTestAcquirer>, overrides: Partial<AuthorizationRequest> = {}) {
  const result = await acquirer.authorize(request(VISA, overrides));
  assert.equal(result.outcome, 'approved');
  return result;
}

function expectDecline(result: AuthorizationResult, code: string, securityCodeCheck = true) {
  assert.equal(result.outcome, 'declined');
  assert.equal(result.failureCode, code);
  assert.equal(result.failureMessage, DOC_MESSAGES[code]);
  assert.equal(result.securityCodeCheck, securityCodeCheck);
  assert.match(result.acquirerReference ?? '', /^test_auth_[0-9a-f]{32}$/);
}

test('the test-card table: Luhn-valid, unique, every card failure code present', () => {
  const numbers = TEST_CARDS.map((card) => card.number);
  assert.equal(new Set(numbers).size, numbers.length);
  for (const number of numbers) assert.equal(luhnValidBytes(Buffer.from(number)), true, number);
  const outcomes = new Set(TEST_CARDS.map((card) => card.outcome));
  for (const code of CARD_FAILURE_CODES) assert.ok(outcomes.has(code), code);
  assert.ok(outcomes.has('3ds_enrollment_failed') && outcomes.has('3ds_validation_failed'));
  assert.equal(TEST_CARDS.filter((card) => card.outcome === 'approved').length, 10);
});

test('every test card answers as documented (no 3-D Secure)', async () => {
  const acquirer = createTestAcquirer();
  for (const card of TEST_CARDS) {
    for (const capture of [true, false]) {
      const result = await acquirer.authorize(request(card.number, { capture, amount: 12_345 }));
      if (card.outcome === 'approved') {
        assert.deepEqual(
          { ...result, acquirerReference: '' },
          { outcome: 'approved', acquirerReference: '', authorizedAmount: 12_345, capturedAmount: capture ? 12_345 : 0 },
          card.number,
        );
      } else if (card.outcome === '3ds_enrollment_failed' || card.outcome === '3ds_validation_failed') {
        expectDecline(result, 'payment_rejected');
      } else {
        expectDecline(result, card.outcome, card.outcome !== 'invalid_security_code');
      }
    }
  }
});

test('every test card with 3-D Secure: enrollment failures decline at once, the rest wait for authentication', async () => {
  const acquirer = createTestAcquirer();
  for (const card of TEST_CARDS) {
    const first = await acquirer.authorize(request(card.number, { threeDSecure: true, capture: false }));
    if (card.outcome === '3ds_enrollment_failed') {
      expectDecline(first, 'payment_rejected');
      continue;
    }
    assert.equal(first.outcome, 'authentication_required', card.number);
    assert.equal(first.authenticationUri, null);
    const done = await acquirer.completeAuthentication({ acquirerReference: first.acquirerReference, authenticated: true });
    if (card.outcome === 'approved') {
      assert.deepEqual(done, { outcome: 'approved', acquirerReference: first.acquirerReference, authorizedAmount: 100_000, capturedAmount: 0 });
    } else if (card.outcome === '3ds_validation_failed') {
      expectDecline(done, 'payment_rejected');
    } else {
      expectDecline(done, card.outcome, card.outcome !== 'invalid_security_code');
    }
    // The payer failing authentication always ends in payment_rejected.
    const again = await acquirer.authorize(request(card.number, { threeDSecure: true }));
    assert.equal(again.outcome, 'authentication_required');
    expectDecline(await acquirer.completeAuthentication({ acquirerReference: again.acquirerReference, authenticated: false }), 'payment_rejected');
  }
});

test('3-D Secure completion: replayed once done, refused for unknown or non-3DS authorizations; the approval can be captured', async () => {
  const acquirer = createTestAcquirer();
  const pending = await acquirer.authorize(request(VISA, { threeDSecure: true, capture: false, amount: 500 }));
  assert.equal(pending.outcome, 'authentication_required');
  assert.deepEqual(await acquirer.capture({ acquirerReference: pending.acquirerReference, amount: 500 }), {
    outcome: 'declined', failureCode: 'not_capturable', failureMessage: 'the authorization cannot be captured (it is not an approved, uncaptured, unreversed authorization)',
  });
  const done = await acquirer.completeAuthentication({ acquirerReference: pending.acquirerReference, authenticated: true });
  assert.equal(done.outcome, 'approved');
  assert.deepEqual(await acquirer.completeAuthentication({ acquirerReference: pending.acquirerReference, authenticated: false }), done);
  assert.deepEqual(await acquirer.capture({ acquirerReference: pending.acquirerReference, amount: 500 }), { outcome: 'approved', capturedAmount: 500 });

  await assert.rejects(acquirer.completeAuthentication({ acquirerReference: 'test_auth_nope', authenticated: true }), { name: 'AcquirerRequestError', code: 'unknown_authorization' });
  const plain = await approved(acquirer);
  await assert.rejects(acquirer.completeAuthentication({ acquirerReference: plain.acquirerReference, authenticated: true }), { code: 'not_awaiting_authentication' });
});

test('any other valid number is approved; a Luhn-invalid one is an invalid account number', async () => {
  const acquirer = createTestAcquirer();
  for (const number of ['4000000000000002', '5105105105105100', '6011000990139424', '4222222222222']) {
    assert.equal((await acquirer.authorize(request(number))).outcome, 'approved', number);
  }
  expectDecline(await acquirer.authorize(request('4242424242424241')), 'invalid_account_number');
});

test('capture: full, partial, over the authorized amount, twice, and in the wrong state', async () => {
  const acquirer = createTestAcquirer();
  const full = await approved(acquirer, { capture: false, amount: 1_000 });
  assert.equal(full.capturedAmount, 0);
  assert.deepEqual(await acquirer.capture({ acquirerReference: full.acquirerReference, amount: 1_000 }), { outcome: 'approved', capturedAmount: 1_000 });

  const partial = await approved(acquirer, { capture: false, amount: 1_000 });
  const over = await acquirer.capture({ acquirerReference: partial.acquirerReference, amount: 1_001 });
  assert.deepEqual(over, { outcome: 'declined', failureCode: 'amount_exceeds_authorized', failureMessage: 'the capture amount is more than the authorized amount' });
  // The refused capture changed nothing: a smaller one still goes through, once.
  assert.deepEqual(await acquirer.capture({ acquirerReference: partial.acquirerReference, amount: 400 }), { outcome: 'approved', capturedAmount: 400 });
  // Repeating the same capture (a retry) answers the same; a different one is refused.
  assert.deepEqual(await acquirer.capture({ acquirerReference: partial.acquirerReference, amount: 400 }), { outcome: 'approved', capturedAmount: 400 });
  assert.equal((await acquirer.capture({ acquirerReference: partial.acquirerReference, amount: 600 })).outcome, 'declined');

  const auto = await approved(acquirer, { capture: true, amount: 1_000 });
  assert.equal(auto.capturedAmount, 1_000);
  const again = await acquirer.capture({ acquirerReference: auto.acquirerReference, amount: 1_000 });
  assert.equal(again.outcome === 'declined' && again.failureCode, 'not_capturable');

  const decline = await acquirer.authorize(request('4111111111140011', { capture: false }));
  const onDecline = await acquirer.capture({ acquirerReference: decline.acquirerReference ?? '', amount: 1 });
  assert.equal(onDecline.outcome === 'declined' && onDecline.failureCode, 'not_capturable');
  const unknown = await acquirer.capture({ acquirerReference: 'test_auth_unknown', amount: 1 });
  assert.equal(unknown.outcome === 'declined' && unknown.failureCode, 'unknown_authorization');
});

test('reverse: only an approved, uncaptured authorization; repeating it replays', async () => {
  const acquirer = createTestAcquirer();
  const held = await approved(acquirer, { capture: false, amount: 2_500 });
  assert.deepEqual(await acquirer.reverse({ acquirerReference: held.acquirerReference }), { outcome: 'approved', reversedAmount: 2_500 });
  assert.deepEqual(await acquirer.reverse({ acquirerReference: held.acquirerReference }), { outcome: 'approved', reversedAmount: 2_500 });
  const capture = await acquirer.capture({ acquirerReference: held.acquirerReference, amount: 100 });
  assert.equal(capture.outcome === 'declined' && capture.failureCode, 'not_capturable');
  const refund = await acquirer.refund({ acquirerReference: held.acquirerReference, amount: 100, reference: 'rfnd_test_r1' });
  assert.equal(refund.outcome === 'declined' && refund.failureCode, 'not_refundable');

  const captured = await approved(acquirer, { capture: true });
  assert.deepEqual(await acquirer.reverse({ acquirerReference: captured.acquirerReference }), {
    outcome: 'declined', failureCode: 'not_reversible', failureMessage: 'the authorization cannot be reversed (only an approved, uncaptured authorization can)',
  });
  const declined = await acquirer.authorize(request('4111111111130012'));
  const onDecline = await acquirer.reverse({ acquirerReference: declined.acquirerReference ?? '' });
  assert.equal(onDecline.outcome === 'declined' && onDecline.failureCode, 'not_reversible');
  const unknown = await acquirer.reverse({ acquirerReference: 'test_auth_unknown' });
  assert.equal(unknown.outcome === 'declined' && unknown.failureCode, 'unknown_authorization');
});

test('refund: up to the captured amount minus earlier refunds, idempotent by reference', async () => {
  const acquirer = createTestAcquirer();
  const charge = await approved(acquirer, { capture: false, amount: 1_000 });
  const early = await acquirer.refund({ acquirerReference: charge.acquirerReference, amount: 1, reference: 'rfnd_a0' });
  assert.equal(early.outcome === 'declined' && early.failureCode, 'not_refundable');
  await acquirer.capture({ acquirerReference: charge.acquirerReference, amount: 700 });

  const first = await acquirer.refund({ acquirerReference: charge.acquirerReference, amount: 300, reference: 'rfnd_a1' });
  assert.equal(first.outcome, 'approved');
  assert.match(first.acquirerReference, /^test_rfnd_[0-9a-f]{32}$/);
  assert.equal(first.refundedAmount, 300);
  // A retry of the same refund is the same refund, not a second one.
  assert.deepEqual(await acquirer.refund({ acquirerReference: charge.acquirerReference, amount: 300, reference: 'rfnd_a1' }), first);
  await assert.rejects(acquirer.refund({ acquirerReference: charge.acquirerReference, amount: 301, reference: 'rfnd_a1' }), { code: 'reference_conflict' });

  const tooMuch = await acquirer.refund({ acquirerReference: charge.acquirerReference, amount: 401, reference: 'rfnd_a2' });
  assert.deepEqual(tooMuch, { outcome: 'declined', failureCode: 'amount_exceeds_refundable', failureMessage: 'the refund amount is more than the captured amount not yet refunded' });
  const rest = await acquirer.refund({ acquirerReference: charge.acquirerReference, amount: 400, reference: 'rfnd_a2' });
  assert.equal(rest.outcome === 'approved' && rest.refundedAmount, 700);
  const more = await acquirer.refund({ acquirerReference: charge.acquirerReference, amount: 1, reference: 'rfnd_a3' });
  assert.equal(more.outcome === 'declined' && more.failureCode, 'amount_exceeds_refundable');
  const unknown = await acquirer.refund({ acquirerReference: 'test_auth_unknown', amount: 1, reference: 'rfnd_a4' });
  assert.equal(unknown.outcome === 'declined' && unknown.failureCode, 'unknown_authorization');
});

test('authorize is idempotent by reference; a reused reference with another request is refused', async () => {
  const acquirer = createTestAcquirer();
  const first = await acquirer.authorize(request(VISA, { reference: 'chrg_test_same', amount: 900 }));
  const again = await acquirer.authorize(request(VISA, { reference: 'chrg_test_same', amount: 900 }));
  assert.deepEqual(again, first);
  assert.equal(acquirer.size(), 1);
  await assert.rejects(acquirer.authorize(request(VISA, { reference: 'chrg_test_same', amount: 901 })), { code: 'reference_conflict' });
  await assert.rejects(acquirer.authorize(request(VISA, { reference: 'chrg_test_same', amount: 900, currency: 'USD' })), { code: 'reference_conflict' });
  // Distinct authorizations of the same card get unrelated random references.
  const other = await approved(acquirer);
  assert.notEqual(other.acquirerReference, first.acquirerReference);
});

test('livemode requests are refused before anything happens', async () => {
  const acquirer = createTestAcquirer();
  await assert.rejects(acquirer.authorize(request(VISA, { livemode: true })), (error: unknown) => {
    assert.ok(error instanceof AcquirerRequestError);
    assert.equal(error.code, 'livemode_not_supported');
    assert.ok(!(error instanceof AcquirerTransportError));
    return true;
  });
  assert.equal(acquirer.size(), 0);
});

test('malformed requests are refused with the field named and no value echoed', async () => {
  const acquirer = createTestAcquirer();
  const cases: [Partial<AuthorizationRequest>, RegExp][] = [
    [{ pan: Buffer.from('4242x24242424242') }, /^pan must be/],
    [{ pan: Buffer.from('424242424242') }, /^pan must be/],
    [{ securityCode: Buffer.from('12') }, /^securityCode/],
    [{ amount: 0 }, /^amount/],
    [{ amount: 1.5 }, /^amount/],
    [{ currency: 'thb' }, /^currency/],
    [{ expirationMonth: 13 }, /^expirationMonth/],
    [{ expirationYear: 31 }, /^expirationYear/],
    [{ reference: '' }, /^reference/],
    [{ capture: 'yes' as unknown as boolean }, /^capture/],
  ];
  for (const [overrides, message] of cases) {
    await assert.rejects(acquirer.authorize(request(VISA, overrides)), (error: unknown) => {
      assert.ok(error instanceof AcquirerRequestError);
      assert.equal(error.code, 'invalid_request');
      assert.match(error.message, message);
      assert.doesNotMatch(error.message, /4242|\d{6,}/);
      return true;
    });
  }
  await assert.rejects(acquirer.capture({ acquirerReference: 'test_auth_x', amount: -1 }), { code: 'invalid_request' });
  await assert.rejects(acquirer.refund({ acquirerReference: 'test_auth_x', amount: 1, reference: 'bad ref' }), { code: 'invalid_request' });
  assert.equal(acquirer.size(), 0);
});

test('injected transport faults: the next N calls throw AcquirerTransportError, nothing happened', async () => {
  const faults = createTransportFaults();
  const acquirer = createTestAcquirer({ faults });
  faults.failNext(2);
  const req = request(VISA);
  for (let i = 0; i < 2; i++) {
    await assert.rejects(acquirer.authorize(req), (error: unknown) => {
      assert.ok(error instanceof AcquirerTransportError);
      assert.equal(error.code, 'acquirer_unreachable');
      assert.equal(error.operation, 'authorize');
      assert.ok(!(error instanceof AcquirerRequestError));
      return true;
    });
  }
  assert.equal(acquirer.size(), 0);
  assert.equal(faults.pending(), 0);
  // The caller's card buffers are untouched, so the retry (with the kept CVV) can go ahead.
  assert.equal(req.securityCode?.toString(), '123');
  assert.equal((await acquirer.authorize(req)).outcome, 'approved');
});

test('a lost response: the operation happened, and the retry replays it instead of repeating it', async () => {
  const faults = createTransportFaults();
  const acquirer = createTestAcquirer({ faults });
  const req = request(VISA, { capture: false, amount: 1_000 });
  faults.failNext(1, { timing: 'response_lost' });
  await assert.rejects(acquirer.authorize(req), AcquirerTransportError);
  assert.equal(acquirer.size(), 1);
  const retried = await acquirer.authorize(req);
  assert.equal(retried.outcome, 'approved');
  assert.equal(acquirer.size(), 1);

  // Faults can target one operation; other calls pass through untouched.
  faults.failNext(1, { operations: ['capture'], timing: 'response_lost' });
  assert.equal((await acquirer.reverse({ acquirerReference: 'test_auth_unknown' })).outcome, 'declined');
  await assert.rejects(acquirer.capture({ acquirerReference: retried.acquirerReference, amount: 800 }), { name: 'AcquirerTransportError', operation: 'capture' });
  assert.deepEqual(await acquirer.capture({ acquirerReference: retried.acquirerReference, amount: 800 }), { outcome: 'approved', capturedAmount: 800 });

  faults.failNext(1, { operations: ['refund'], timing: 'response_lost' });
  const refund = { acquirerReference: retried.acquirerReference, amount: 500, reference: 'rfnd_lost' };
  await assert.rejects(acquirer.refund(refund), AcquirerTransportError);
  const replayed = await acquirer.refund(refund);
  assert.equal(replayed.outcome === 'approved' && replayed.refundedAmount, 500);
  const next = await acquirer.refund({ ...refund, amount: 301, reference: 'rfnd_next' });
  assert.equal(next.outcome === 'declined' && next.failureCode, 'amount_exceeds_refundable');
});

test('no result or error carries the card number', async () => {
  const faults = createTransportFaults();
  const acquirer = createTestAcquirer({ faults });
  const seen: string[] = [];
  const record = (value: unknown) => seen.push(JSON.stringify(value));
  const recordError = (error: unknown) => {
    assert.ok(error instanceof Error);
    seen.push(error.message, String(error.stack), JSON.stringify(error));
  };
  for (const card of TEST_CARDS) {
    for (const threeDSecure of [false, true]) {
      const result = await acquirer.authorize(request(card.number, { threeDSecure, capture: false }));
      record(result);
      if (result.outcome === 'authentication_required') {
        record(await acquirer.completeAuthentication({ acquirerReference: result.acquirerReference, authenticated: true }));
      }
      const reference = result.acquirerReference ?? 'test_auth_none';
      record(await acquirer.capture({ acquirerReference: reference, amount: 50 }));
      record(await acquirer.refund({ acquirerReference: reference, amount: 10, reference: `rfnd_${seen.length}` }));
      record(await acquirer.reverse({ acquirerReference: reference }));
    }
    faults.failNext(1);
    await acquirer.authorize(request(card.number)).catch(recordError);
    await acquirer.authorize(request(card.number, { livemode: true })).catch(recordError);
    await acquirer.authorize(request(card.number, { amount: -5 })).catch(recordError);
  }
  assert.ok(seen.length > TEST_CARDS.length * 10);
  for (const card of TEST_CARDS) {
    for (const text of seen) assert.ok(!text.includes(card.number), `a result or error contains ${card.number.slice(0, 6)}…`);
  }
});

test('the memory is bounded: the oldest authorizations are forgotten', async () => {
  const acquirer = createTestAcquirer({ maxAuthorizations: 3 });
  const oldest = await approved(acquirer, { capture: true, amount: 100 });
  const oldRefund = { acquirerReference: oldest.acquirerReference, amount: 10, reference: 'rfnd_old' };
  assert.equal((await acquirer.refund(oldRefund)).outcome, 'approved');
  const results = [];
  for (let i = 0; i < 5; i++) results.push(await approved(acquirer, { capture: false }));
  assert.equal(acquirer.size(), 3);
  const forgotten = await acquirer.capture({ acquirerReference: results[0]?.acquirerReference ?? '', amount: 1 });
  assert.equal(forgotten.outcome === 'declined' && forgotten.failureCode, 'unknown_authorization');
  assert.equal((await acquirer.capture({ acquirerReference: results[4]?.acquirerReference ?? '', amount: 1 })).outcome, 'approved');
  // Its refunds are forgotten with it: no stale replay.
  const stale = await acquirer.refund(oldRefund);
  assert.equal(stale.outcome === 'declined' && stale.failureCode, 'unknown_authorization');
  assert.throws(() => createTestAcquirer({ maxAuthorizations: 0 }), TypeError);
});
