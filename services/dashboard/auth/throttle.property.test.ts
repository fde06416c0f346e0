// The delay and lockout rules, for both policy profiles, over arbitrary histories.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { POLICY_PROFILES } from '../policy-profiles.ts';
import { countAttempt, decide, delayAfter, EMPTY, succeeded, type ThrottleState } from './throttle.ts';

const rules = Object.values(POLICY_PROFILES).flatMap((p) => [
  { name: `${p.name}/account`, rule: p.throttle.account, lockout: p.lockout },
  { name: `${p.name}/ip`, rule: p.throttle.ip, lockout: undefined },
]);
const T0 = new Date('2026-01-01T00:00:00Z');
const at = (ms: number) => new Date(T0.getTime() + ms);

test('delays never shrink as failures grow, start after the free attempts, and stay under the cap', () => {
  for (const { name, rule } of rules) {
    fc.assert(fc.property(fc.nat(10_000), (n) => {
      const d = delayAfter(n, rule);
      assert.ok(d >= 0 && d <= rule.maxDelayMs, name);
      assert.ok(delayAfter(n + 1, rule) >= d, name);
      assert.equal(d === 0, n <= rule.freeFailures, name);
    }));
  }
});

test('an attempt made as soon as allowed is allowed; one made earlier is refused with the exact wait', () => {
  for (const { name, rule, lockout } of rules) {
    fc.assert(fc.property(fc.integer({ min: 1, max: 60 }), fc.integer({ min: 1, max: 5_000 }), (count, early) => {
      let state: ThrottleState = EMPTY;
      let now = T0;
      for (let i = 0; i < count; i++) {
        const decision = decide(state, now, rule);
        if (!decision.allowed) {
          if (decision.locked) return; // the lockout took over; covered below
          now = new Date(now.getTime() + decision.retryAfterMs);
          assert.equal(decide(state, now, rule).allowed, true, name);
        }
        state = countAttempt(state, now, rule, lockout);
      }
      const owed = delayAfter(state.failures, rule);
      if (state.lockedUntil === null && owed > early) {
        const decision = decide(state, new Date(now.getTime() + owed - early), rule);
        assert.deepEqual(decision, { allowed: false, retryAfterMs: early, locked: false }, name);
      }
    }));
  }
});

test('the account locks at exactly the profile limit, for exactly the lock time', () => {
  for (const profile of Object.values(POLICY_PROFILES)) {
    const { account } = profile.throttle;
    let state: ThrottleState = EMPTY;
    let now = T0;
    for (let i = 1; i <= profile.lockout.afterFailures; i++) {
      const decision = decide(state, now, account);
      assert.equal(decision.allowed || !decision.locked, true, `${profile.name}: not locked before failure ${i}`);
      if (!decision.allowed) now = new Date(now.getTime() + decision.retryAfterMs);
      state = countAttempt(state, now, account, profile.lockout);
    }
    assert.deepEqual(decide(state, now, account), { allowed: false, retryAfterMs: profile.lockout.lockMs, locked: true }, profile.name);
    const later = new Date(now.getTime() + profile.lockout.lockMs - 1);
    assert.equal(decide(state, later, account).allowed, false);
    assert.deepEqual(decide(state, new Date(now.getTime() + profile.lockout.lockMs), account), { allowed: true });
  }
  assert.equal(POLICY_PROFILES.pci.lockout.afterFailures, 10);
  assert.equal(POLICY_PROFILES.pci.lockout.lockMs, 30 * 60_000);
  assert.equal(POLICY_PROFILES.nist.lockout.afterFailures, 100);
});

test('a success clears an account counter and its lock; a network only gets its one attempt back', () => {
  fc.assert(fc.property(fc.nat(200), (failures) => {
    const state: ThrottleState = { failures, lastFailureAt: at(0), lockedUntil: at(1_000) };
    assert.deepEqual(succeeded(state, 'account'), EMPTY);
    assert.equal(succeeded(state, 'ip').failures, Math.max(0, failures - 1));
  }));
});

test('failures are forgotten after the quiet period, locks are not', () => {
  for (const { name, rule } of rules) {
    const busy: ThrottleState = { failures: 50, lastFailureAt: T0, lockedUntil: null };
    assert.equal(decide(busy, at(1), rule).allowed, false, name);
    assert.deepEqual(decide(busy, at(rule.forgetAfterMs), rule), { allowed: true }, name);
    assert.equal(countAttempt(busy, at(rule.forgetAfterMs), rule).failures, 1, name);
  }
  const locked: ThrottleState = { failures: 10, lastFailureAt: T0, lockedUntil: at(10 * 86_400_000) };
  assert.equal(decide(locked, at(POLICY_PROFILES.pci.throttle.account.forgetAfterMs), POLICY_PROFILES.pci.throttle.account).allowed, false);
});
