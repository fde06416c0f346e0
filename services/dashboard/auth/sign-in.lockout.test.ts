// Lockout per profile on a controlled clock: PCI locks an account after 10 failures for 30 minutes,
// NIST after 100; the right password does not get through a lock; a lock on an unknown email looks
// the same; and a reset link's new password clears it.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { POLICY_PROFILES, type PolicyProfile } from '../policy-profiles.ts';
import { ORIGIN, startDashboardTestbed, STRONG_PASSWORD, type DashboardTestbed } from '../dashboard.testing.ts';
import type { ClientInfo } from '../sessions/client.ts';
import { createUserStore } from '../users/users.store.ts';
import { createLoginHistoryStore } from './login-history.store.ts';
import { createSignInService, type PasswordCheck } from './sign-in.service.ts';
import { createThrottleStore } from './throttle.store.ts';

const context = { actor: { type: 'system' as const, id: 'anonymous' }, origin: {} };

describe('account lockout', () => {
  let bed: DashboardTestbed;
  let clock = Date.parse('2026-03-01T09:00:00Z');
  let ipCounter = 0;
  before(async () => { bed = await startDashboardTestbed(); });
  after(async () => { await bed?.close(); });

  function signIn(profile: PolicyProfile) {
    const throttle = createThrottleStore(bed.db, () => new Date(clock));
    return {
      throttle,
      service: createSignInService({ db: bed.db, audit: bed.audit, users: createUserStore(bed.db), sessions: bed.services.sessions, throttle, history: createLoginHistoryStore(bed.db), profile, mail: bed.mail, origin: ORIGIN }),
    };
  }
  // A new address each time: the per-network rule is not what these tests are about.
  const client = (): ClientInfo => ({ ip: `10.9.${Math.floor(++ipCounter / 250)}.${ipCounter % 250}`, country: 'unknown', device: 'test', userAgent: undefined });

  /** Fails as fast as the delays allow until locked; returns the number of failures it took. */
  async function failUntilLocked(profile: PolicyProfile, email: string): Promise<number> {
    const { service } = signIn(profile);
    for (let failures = 0; failures <= profile.lockout.afterFailures + 1; ) {
      const result: PasswordCheck = await service.checkPassword({ email, password: 'not the password at all' }, client(), context);
      if (result.kind === 'failed') failures++;
      else if (result.kind === 'throttled' && result.locked) return failures;
      else if (result.kind === 'throttled') clock += result.retryAfterMs;
      else assert.fail(`unexpected ${result.kind}`);
    }
    return assert.fail('never locked');
  }

  for (const profile of Object.values(POLICY_PROFILES)) {
    test(`${profile.name}: locked after ${profile.lockout.afterFailures} failures, known or unknown email, right password or not`, async () => {
      const email = `lock-${profile.name}@shop.example`;
      await bed.createOwner(email);
      assert.equal(await failUntilLocked(profile, email), profile.lockout.afterFailures);
      const lockedAt = clock;
      const { service } = signIn(profile);
      const during = await service.checkPassword({ email, password: STRONG_PASSWORD }, client(), context);
      assert.deepEqual(during, { kind: 'throttled', retryAfterMs: profile.lockout.lockMs, locked: true }, 'the right password does not open a lock');
      // One profile is enough for the unknown email: 100 more Argon2id checks would prove nothing new.
      if (profile.name === 'pci') {
        assert.equal(await failUntilLocked(profile, `ghost-${profile.name}@shop.example`), profile.lockout.afterFailures, 'an unknown email locks the same way');
      }
      clock = lockedAt + profile.lockout.lockMs - 1;
      assert.equal((await service.checkPassword({ email, password: STRONG_PASSWORD }, client(), context)).kind, 'throttled');
      clock += 1;
      const afterLock = await service.checkPassword({ email, password: STRONG_PASSWORD }, client(), context);
      assert.equal(afterLock.kind, 'ok');
    });
  }

  test('a password reset clears the lock', async () => {
    const profile = POLICY_PROFILES.pci;
    const email = 'reset-lock@shop.example';
    await bed.createOwner(email);
    await failUntilLocked(profile, email);
    const { service, throttle } = signIn(profile);
    await throttle.clearAccount(email);
    assert.equal((await service.checkPassword({ email, password: STRONG_PASSWORD }, client(), context)).kind, 'ok');
  });

  test('parallel guesses cannot slip past the delay on the same count', async () => {
    const profile = POLICY_PROFILES.pci;
    const email = 'parallel@shop.example';
    await bed.createOwner(email);
    const { service } = signIn(profile);
    const results = await Promise.all(Array.from({ length: 12 }, () => service.checkPassword({ email, password: 'wrong guess number one' }, client(), context)));
    const checked = results.filter((r) => r.kind === 'failed').length;
    assert.equal(checked, profile.throttle.account.freeFailures + 1, 'only the free attempts and the first delayed one were checked');
    assert.equal(results.filter((r) => r.kind === 'throttled').length, 12 - checked);
  });
});
