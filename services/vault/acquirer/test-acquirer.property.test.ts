import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { AcquirerTransportError } from './acquirer.ts';
import { createTestAcquirer } from './test-acquirer.ts';
import { TEST_CARDS } from './test-cards.ts';
import { createTransportFaults } from './transport-faults.ts';

const TABLE = new Set(TEST_CARDS.map((card) => card.number));

// Independent Luhn: the check digit that makes `payload` valid, found by trying all ten.
function withCheckDigit(payload: string): string {
  for (let d = 0; d <= 9; d++) {
    const full = payload + d;
    let sum = 0;
    for (let i = 0; i < full.length; i++) {
      let v = Number(full[full.length - 1 - i]);
      if (i % 2 === 1) v = v * 2 > 9 ? v * 2 - 9 : v * 2;
      sum += v;
    }
    if (sum % 10 === 0) return full;
  }
  throw new Error('unreachable');
}

const digit = fc.constantFrom(...'0123456789');
const luhnValidPan = fc
  .integer({ min: 12, max: 18 })
  .chain((n) => fc.string({ unit: digit, minLength: n, maxLength: n }))
  .map(withCheckDigit)
  .filter((pan) => !TABLE.has(pan));

const amount = fc.integer({ min: 1, max: 10_000_000 });

test('property: any Luhn-valid number outside the test-card table is approved for the full amount', async () => {
  const acquirer = createTestAcquirer();
  let n = 0;
  await fc.assert(
    fc.asyncProperty(luhnValidPan, amount, fc.boolean(), async (pan, value, capture) => {
      n += 1;
      const result = await acquirer.authorize({
        reference: `chrg_test_p${n}`, pan: Buffer.from(pan, 'ascii'), securityCode: null, expirationMonth: 1, expirationYear: 2030,
        amount: value, currency: 'JPY', capture, livemode: false,
      });
      assert.equal(result.outcome, 'approved');
      assert.equal(result.authorizedAmount, value);
      assert.equal(result.capturedAmount, capture ? value : 0);
      assert.ok(!JSON.stringify(result).includes(pan));
    }),
    { numRuns: 500 },
  );
});

type Op =
  | { kind: 'capture'; amount: number; lost: boolean }
  | { kind: 'reverse'; lost: boolean }
  | { kind: 'refund'; amount: number; slot: number; lost: boolean };

const op: fc.Arbitrary<Op> = fc.oneof(
  fc.record({ kind: fc.constant('capture' as const), amount: fc.integer({ min: 1, max: 1_200 }), lost: fc.boolean() }),
  fc.record({ kind: fc.constant('reverse' as const), lost: fc.boolean() }),
  // Few refund ids, so retries of the same refund (and reuse with another amount) happen often.
  fc.record({ kind: fc.constant('refund' as const), amount: fc.integer({ min: 1, max: 600 }), slot: fc.integer({ min: 0, max: 5 }), lost: fc.boolean() }),
);

test('property: whatever the sequence of captures, reverses, refunds and lost answers, refunds never exceed the capture', async () => {
  let run = 0;
  await fc.assert(
    fc.asyncProperty(fc.integer({ min: 1, max: 1_000 }), fc.array(op, { maxLength: 25 }), async (authorized, ops) => {
      run += 1;
      const faults = createTransportFaults();
      const acquirer = createTestAcquirer({ faults });
      const auth = await acquirer.authorize({
        reference: `chrg_test_m${run}`, pan: Buffer.from('4242424242424242'), securityCode: Buffer.from('123'), expirationMonth: 1,
        expirationYear: 2030, amount: authorized, currency: 'THB', capture: false, livemode: false,
      });
      assert.equal(auth.outcome, 'approved');
      const acquirerReference = auth.acquirerReference;

      let captured = 0;
      let reversed = false;
      const refunds = new Map<string, number>(); // approved refunds: our id -> amount
      const total = () => [...refunds.values()].reduce((a, b) => a + b, 0);

      // A lost answer (`lost`): the first call fails after acting; the retry must answer as if it had not failed.
      async function lose(call: () => Promise<unknown>, lost: boolean): Promise<void> {
        if (!lost) return;
        faults.failNext(1, { timing: 'response_lost' });
        await assert.rejects(call(), AcquirerTransportError);
      }

      for (const step of ops) {
        if (step.kind === 'refund') {
          const id = `rfnd_${step.slot}`;
          const call = () => acquirer.refund({ acquirerReference, amount: step.amount, reference: id });
          const earlier = refunds.get(id);
          if (earlier !== undefined && earlier !== step.amount) {
            // A refund id reused for another amount is refused, never a second refund.
            await assert.rejects(call(), { code: 'reference_conflict' });
            continue;
          }
          await lose(call, step.lost);
          const result = await call();
          const fits: boolean = captured > 0 && (earlier !== undefined || step.amount <= captured - total());
          assert.equal(result.outcome, fits ? 'approved' : 'declined', JSON.stringify({ step, captured, total: total() }));
          if (result.outcome === 'approved') {
            refunds.set(id, step.amount);
            assert.equal(result.amount, step.amount);
            assert.equal(result.refundedAmount, total());
          }
        } else if (step.kind === 'capture') {
          const call = () => acquirer.capture({ acquirerReference, amount: step.amount });
          await lose(call, step.lost);
          const result = await call();
          const ok: boolean = captured === step.amount || (captured === 0 && !reversed && step.amount <= authorized);
          assert.equal(result.outcome, ok ? 'approved' : 'declined');
          if (result.outcome === 'approved') captured = result.capturedAmount;
        } else {
          const call = () => acquirer.reverse({ acquirerReference });
          await lose(call, step.lost);
          const result = await call();
          assert.equal(result.outcome, captured === 0 ? 'approved' : 'declined');
          if (result.outcome === 'approved') reversed = true;
        }
        assert.ok(total() <= captured, 'refunds exceed the capture');
        assert.ok(captured <= authorized, 'capture exceeds the authorization');
      }
      // Whatever came before, nothing more than the rest of the capture can be refunded now.
      const last = await acquirer.refund({ acquirerReference, amount: captured - total() + 1, reference: 'rfnd_final' });
      assert.equal(last.outcome, 'declined');
    }),
    { numRuns: 400 },
  );
});
