// WebAuthn ceremonies against a software authenticator: registration and authentication, challenges
// single-use, bound and expiring, the origin and RP ID checked, a counter that does not move forward
// refused, and usernameless (passkey) sign-in demanding user verification and the right user handle.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { auditMigrations } from '#lib/audit/index.ts';
import { newId } from '#lib/contracts/index.ts';
import { loadSqlMigrations } from '#lib/db/index.ts';
import { createTestDatabase, type TestDatabase } from '#lib/db/testing.ts';
import type { DashboardDatabase } from '../db.ts';
import { createFactorStore } from './factors.store.ts';
import { softAuthenticator } from './testing.ts';
import { createChallengeStore, CHALLENGE_TTL_MS } from './webauthn-challenges.store.ts';
import { createWebAuthn, relyingPartyOf } from './webauthn.ts';

const ORIGIN = 'https://dashboard.test';
let database: TestDatabase<DashboardDatabase>;
const clock = { now: new Date() };
let webauthn: ReturnType<typeof createWebAuthn>;
let factors: ReturnType<typeof createFactorStore>;
let challenges: ReturnType<typeof createChallengeStore>;

before(async () => {
  database = await createTestDatabase<DashboardDatabase>([await auditMigrations(), await loadSqlMigrations('dashboard', new URL('../migrations/', import.meta.url))]);
  factors = createFactorStore(database.db);
  challenges = createChallengeStore(database.db, () => clock.now);
  webauthn = createWebAuthn({ factors, challenges, rp: relyingPartyOf(ORIGIN), now: () => clock.now });
});
after(async () => database?.close());

async function user(): Promise<{ userId: string; email: string }> {
  const userId = newId('user');
  const email = `${userId}@shop.example`;
  await database.db.insertInto('users').values({ id: userId, email, password_hash: 'x', email_verified: true }).execute();
  return { userId, email };
}

/** A user with one registered software credential. */
async function enrolled() {
  const u = await user();
  const device = softAuthenticator('dashboard.test');
  const options = await webauthn.registrationOptions(u, `session:${u.userId}`);
  const result = await webauthn.verifyRegistration(u.userId, `session:${u.userId}`, device.register(options, ORIGIN), 'My key');
  assert.ok(result.ok, JSON.stringify(result));
  await database.db.transaction().execute((tx) => factors.addCredential(tx, result.credential));
  return { ...u, device };
}

test('the relying party is the public origin: its host is the RP ID', () => {
  assert.deepEqual(relyingPartyOf('https://localhost:8443'), { rpID: 'localhost', rpName: 'Strongroom', origin: 'https://localhost:8443' });
});

test('registration: options name the user and exclude their credentials; the answer is verified once', async () => {
  const { userId, email, device } = await enrolled();
  const [stored] = await factors.credentials(userId);
  assert.equal(stored!.id, device.credentialId);
  assert.equal(stored!.name, 'My key');
  assert.deepEqual(stored!.transports, ['internal']);
  const again = await webauthn.registrationOptions({ userId, email }, 'b');
  assert.equal(again.rp.id, 'dashboard.test');
  assert.equal(again.user.name, email);
  assert.deepEqual(again.excludeCredentials?.map((c) => c.id), [device.credentialId]);
  const answer = softAuthenticator('dashboard.test').register(again, ORIGIN);
  assert.equal((await webauthn.verifyRegistration(userId, 'other-binding', answer, 'x')).ok, false, 'another binding cannot redeem it');
  assert.equal((await webauthn.verifyRegistration(newId('user'), 'b', answer, 'x')).ok, false, 'nor another user (and that try spends it)');
  const third = await webauthn.registrationOptions({ userId, email }, 'b');
  const fine = softAuthenticator('dashboard.test').register(third, ORIGIN);
  assert.equal((await webauthn.verifyRegistration(userId, 'b', fine, 'x')).ok, true);
  assert.deepEqual(await webauthn.verifyRegistration(userId, 'b', fine, 'x'), { ok: false, reason: 'challenge' }, 'single use');
});

test('a challenge is single use, bound to purpose and binding, and expires', async () => {
  const u = await user();
  const c1 = await challenges.issue({ purpose: 'step_up', userId: u.userId, binding: 's1' });
  assert.equal(await challenges.redeem(c1, { purpose: 'second_factor', binding: 's1' }), null, 'other purpose');
  assert.equal(await challenges.redeem(c1, { purpose: 'step_up', binding: 's2' }), null, 'other binding');
  assert.deepEqual(await challenges.redeem(c1, { purpose: 'step_up', binding: 's1' }), { userId: u.userId });
  assert.equal(await challenges.redeem(c1, { purpose: 'step_up', binding: 's1' }), null, 'used');
  const c2 = await challenges.issue({ purpose: 'step_up', userId: u.userId, binding: 's1' });
  clock.now = new Date(clock.now.getTime() + CHALLENGE_TTL_MS + 1);
  assert.equal(await challenges.redeem(c2, { purpose: 'step_up', binding: 's1' }), null, 'expired');
  for (const junk of [undefined, 42, 'short', 'x'.repeat(43) + '!']) assert.equal(await challenges.redeem(junk, { purpose: 'step_up', binding: 's1' }), null);
});

test('authentication: verified, counter moved forward; a replayed or lower counter is refused', async () => {
  const { userId, device } = await enrolled();
  const options = await webauthn.authenticationOptions('second_factor', userId, 'p1');
  assert.deepEqual(options.allowCredentials?.map((c) => c.id), [device.credentialId]);
  const first = await webauthn.verifyAuthentication('second_factor', userId, 'p1', device.assert(options, ORIGIN));
  assert.ok(first.ok);
  assert.equal((await factors.credential(device.credentialId))!.counter, 1);
  assert.ok((await factors.credential(device.credentialId))!.last_used_at);
  const replay = await webauthn.authenticationOptions('second_factor', userId, 'p1');
  assert.deepEqual(await webauthn.verifyAuthentication('second_factor', userId, 'p1', device.assert(replay, ORIGIN, { counter: 1 })), { ok: false, reason: 'counter' });
  const lower = await webauthn.authenticationOptions('second_factor', userId, 'p1');
  assert.deepEqual(await webauthn.verifyAuthentication('second_factor', userId, 'p1', device.assert(lower, ORIGIN, { counter: 0 })), { ok: false, reason: 'counter' });
  assert.equal((await factors.credential(device.credentialId))!.counter, 1);
  const next = await webauthn.authenticationOptions('second_factor', userId, 'p1');
  assert.ok((await webauthn.verifyAuthentication('second_factor', userId, 'p1', device.assert(next, ORIGIN, { counter: 7 }))).ok);
});

test('another origin, another user\'s credential, or a reused answer is refused', async () => {
  const a = await enrolled();
  const b = await enrolled();
  const phished = await webauthn.authenticationOptions('second_factor', a.userId, 'p');
  assert.deepEqual(await webauthn.verifyAuthentication('second_factor', a.userId, 'p', a.device.assert(phished, 'https://dashboard.test.evil.example')), { ok: false, reason: 'invalid_response' });
  const options = await webauthn.authenticationOptions('second_factor', a.userId, 'p');
  assert.deepEqual(await webauthn.verifyAuthentication('second_factor', a.userId, 'p', b.device.assert(options, ORIGIN)), { ok: false, reason: 'unknown_credential' });
  const fresh = await webauthn.authenticationOptions('second_factor', a.userId, 'p');
  const answer = a.device.assert(fresh, ORIGIN);
  assert.ok((await webauthn.verifyAuthentication('second_factor', a.userId, 'p', answer)).ok);
  assert.deepEqual(await webauthn.verifyAuthentication('second_factor', a.userId, 'p', answer), { ok: false, reason: 'challenge' });
});

test('passkey sign-in: no user named up front; the credential names them, with user verification', async () => {
  const { userId, device } = await enrolled();
  const options = await webauthn.authenticationOptions('passkey_sign_in', null, 'browser');
  assert.deepEqual(options.allowCredentials ?? [], []);
  assert.equal(options.userVerification, 'required');
  const signedIn = await webauthn.verifyAuthentication('passkey_sign_in', null, 'browser', device.assert(options, ORIGIN));
  assert.ok(signedIn.ok && signedIn.userId === userId);
  const unverified = await webauthn.authenticationOptions('passkey_sign_in', null, 'browser');
  assert.deepEqual(await webauthn.verifyAuthentication('passkey_sign_in', null, 'browser', device.assert(unverified, ORIGIN, { userVerified: false })), { ok: false, reason: 'invalid_response' });
  const forged = await webauthn.authenticationOptions('passkey_sign_in', null, 'browser');
  const answer = device.assert(forged, ORIGIN) as { response: { userHandle: string } };
  answer.response.userHandle = Buffer.from('user_someoneelse000000').toString('base64url');
  assert.deepEqual(await webauthn.verifyAuthentication('passkey_sign_in', null, 'browser', answer), { ok: false, reason: 'unknown_credential' });
});
