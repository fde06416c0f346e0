// The profile page through the real pages (sessions, CSRF, step-up of mfa/, outbox): changing the
// password (step-up, current password throttled as sign-in, policy, PCI history, other sessions
// ended, token rotated, audited, mailed) and the sign-in email (link to the new address, notice to
// the old, single use, expiring, taken addresses refused, switch audited, both told).
import { after, before, beforeEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { AuditEntry } from '#lib/audit/index.ts';
import { readLog } from '#lib/audit/testing.ts';
import { newId } from '#lib/contracts/index.ts';
import type { TestBrowser } from '../dashboard.testing.ts';
import { addTotp, PASSWORD, signIn, startMfaTestbed, stepUpWithPassword, type MfaTestbed } from '../mfa/testing.ts';
import { SESSION_COOKIE } from '../sessions/cookie.ts';
import { createEmailChangeService } from './email-change.service.ts';
import { createEmailChangeStore } from './email-changes.store.ts';

const NEW_PASSWORD = 'amber falcon 77 quiet meadow';
const FROM = (path: string) => ({ referer: `https://localhost:80${path}` });
const pathOf = (link: string) => { const url = new URL(link); return url.pathname + url.search; };

async function entries(bed: MfaTestbed, action: string): Promise<AuditEntry[]> {
  await bed.audit.chainNow();
  return (await readLog(bed.database.ownerDb)).map((r) => r.entry as unknown as AuditEntry).filter((e) => e.action === action);
}

let ipCounter = 10;
/** A new owner, signed in from a network of its own, stepped up and on /profile. */
async function ready(bed: MfaTestbed, email: string): Promise<{ browser: TestBrowser; userId: string; accountId: string }> {
  const owner = await bed.createOwner(email);
  const browser = bed.browser(`198.51.100.${++ipCounter}`);
  await signIn(browser, email);
  await stepUpWithPassword(browser, '/profile');
  assert.equal((await browser.get('/profile')).status, 200);
  return { browser, ...owner };
}

describe('the profile page', () => {
  let bed: MfaTestbed;
  before(async () => { bed = await startMfaTestbed(); });
  after(async () => { await bed?.close(); });
  beforeEach(() => { bed.clock.offsetMs += 60_000; });

  test('its routes: profile.manage on each, a step-up on both changes, nothing else', () => {
    const mine = bed.routes.filter((r) => r.url.startsWith('/profile') && r.method !== 'HEAD').map((r) => `${r.method} ${r.url} [${r.guards.join(',')}]`).sort();
    assert.deepEqual(mine, [
      'GET /profile [permissionCheck]',
      'GET /profile/email/confirm [permissionCheck]',
      'POST /profile/email [permissionCheck,stepUp]',
      'POST /profile/email/confirm [permissionCheck]',
      'POST /profile/password [permissionCheck,stepUp]',
    ]);
  });

  test('signed out: to sign-in and back; a session without profile.manage: 403, audited', async () => {
    const anonymous = await bed.app.inject({ method: 'GET', url: '/profile', headers: { accept: 'text/html' } });
    assert.deepEqual([anonymous.statusCode, anonymous.headers.location], [303, '/sign-in?next=%2Fprofile']);
    const { browser, userId, accountId } = await ready(bed, 'gone@shop.example');
    const page = await browser.get('/profile');
    for (const id of ['profile-email', 'password-change-form', 'password-current', 'password-new', 'email-change-form', 'email-new', 'email-current-password']) {
      assert.ok(page.body.includes(`id="${id}"`), id);
    }
    assert.match(page.body, /href="\/profile" aria-current="page">Profile</);
    await bed.db.deleteFrom('memberships').where('user_id', '=', userId).execute();
    assert.equal((await browser.get('/profile')).status, 403);
    const denied = (await entries(bed, 'dashboard.access.denied')).find((e) => e.actor.id === userId);
    assert.deepEqual([denied?.metadata.permission, denied?.tenant], ['profile.manage', accountId]);
  });
});

describe('changing the password', () => {
  let bed: MfaTestbed;
  before(async () => { bed = await startMfaTestbed(); });
  after(async () => { await bed?.close(); });
  beforeEach(() => { bed.clock.offsetMs += 60_000; });

  const change = (browser: TestBrowser, current: string, password: string) =>
    browser.post('/profile/password', { _csrf: browser.csrf, current_password: current, password });
  const hashOf = async (userId: string) => (await bed.db.selectFrom('users').select('password_hash').where('id', '=', userId).executeTakeFirstOrThrow()).password_hash;

  test('needs a fresh step-up: without one, to the step-up page and nothing changes', async () => {
    await bed.createOwner('stale@shop.example');
    const browser = bed.browser();
    await signIn(browser, 'stale@shop.example');
    await browser.get('/profile');
    const answer = await browser.post('/profile/password', { _csrf: browser.csrf, current_password: PASSWORD, password: NEW_PASSWORD }, FROM('/profile'));
    assert.deepEqual([answer.status, answer.location], [303, '/step-up?next=%2Fprofile']);
    assert.equal((await entries(bed, 'user.password_change')).length, 0);
  });

  test('a wrong current password is refused, audited, and throttled with the sign-in page', async () => {
    const { browser, userId } = await ready(bed, 'guess@shop.example');
    const before = await hashOf(userId);
    const wrong = await change(browser, 'not my password at all', NEW_PASSWORD);
    assert.equal(wrong.status, 400);
    assert.match(wrong.body, /Your current password is not right/);
    let status = 400;
    let tries = 1;
    while (status === 400 && tries < 8) {
      status = (await change(browser, 'still not my password', NEW_PASSWORD)).status;
      tries++;
    }
    assert.equal(status, 429, 'delays after the free failures');
    assert.ok(tries <= 5, `throttled after ${tries} tries`);
    const throttled = await change(browser, PASSWORD, NEW_PASSWORD);
    assert.equal(throttled.status, 429, 'even the right password waits');
    assert.match(String(throttled.headers['retry-after']), /^\d+$/);
    const signInPage = bed.browser('203.0.113.50');
    assert.equal((await signIn(signInPage, 'guess@shop.example')).status, 429, 'the same counters as sign-in');
    assert.equal(await hashOf(userId), before, 'nothing changed');
    const failures = (await entries(bed, 'user.password_change')).filter((e) => e.actor.id === userId);
    assert.ok(failures.length >= 3 && failures.every((e) => e.outcome.result === 'failure'));
    assert.deepEqual([...new Set(failures.map((e) => e.outcome.reason))].sort(), ['throttled', 'wrong_current_password']);
  });

  test('policy violations are shown; under PCI the current and recent passwords are refused', async () => {
    const { browser, userId } = await ready(bed, 'policy@shop.example');
    const short = await change(browser, PASSWORD, 'short 1');
    assert.equal(short.status, 400);
    assert.match(short.body, /Use at least 12 characters/);
    assert.match(short.body, /id="form-errors"/);
    assert.match((await change(browser, PASSWORD, 'no digits in this long phrase')).body, /Include both letters and digits/);
    assert.match((await change(browser, PASSWORD, 'password1234')).body, /too easy to guess/);
    assert.match((await change(browser, PASSWORD, PASSWORD)).body, /not one of your last 4/);
    assert.equal((await change(browser, PASSWORD, NEW_PASSWORD)).location, '/profile?notice=password-changed');
    await browser.get('/profile');
    const back = await change(browser, NEW_PASSWORD, PASSWORD);
    assert.equal(back.status, 400);
    assert.match(back.body, /not one of your last 4/, 'the previous one is in the history');
    assert.equal((await bed.db.selectFrom('password_history').select('id').where('user_id', '=', userId).execute()).length, 1);
  });

  test('success: other sessions end, this one gets a new token, open reset and email-change links die, audited and mailed', async () => {
    const { browser, userId, accountId } = await ready(bed, 'done@shop.example');
    const other = bed.browser();
    await signIn(other, 'done@shop.example');
    await bed.browser().submit('/password-reset', '/password-reset', { email: 'done@shop.example' });
    const resetLink = await bed.linkFrom('done@shop.example', /Reset your Strongroom password/);
    await browser.get('/profile');
    assert.equal((await browser.post('/profile/email', { _csrf: browser.csrf, email: 'moved@shop.example', current_password: PASSWORD })).status, 303);
    const emailLink = await bed.linkFrom('moved@shop.example', /Confirm your new Strongroom sign-in email/);
    const before = browser.cookies.get(SESSION_COOKIE)!;

    const done = await change(browser, PASSWORD, NEW_PASSWORD);
    assert.deepEqual([done.status, done.location], [303, '/profile?notice=password-changed']);
    assert.notEqual(browser.cookies.get(SESSION_COOKIE), before, 'a new token');
    assert.match((await browser.get('/profile?notice=password-changed')).body, /Your password was changed/);
    const stale = bed.browser();
    stale.cookies.set(SESSION_COOKIE, before);
    assert.equal((await stale.get('/activity/sessions')).status, 303, 'the old token stopped working');
    assert.equal((await other.get('/activity/sessions')).status, 303, 'the other session ended');
    const ended = await bed.db.selectFrom('sessions').select('end_reason').where('user_id', '=', userId).where('ended_at', 'is not', null).execute();
    assert.deepEqual(ended.map((s) => s.end_reason), ['password_change']);

    const reset = await bed.browser().get(pathOf(resetLink));
    assert.equal(reset.status, 400, 'a reset link mailed before no longer works');
    assert.equal((await browser.get(pathOf(emailLink))).status, 400, 'an email change asked for with the old password dies with it');
    const [entry] = (await entries(bed, 'user.password_change')).filter((e) => e.actor.id === userId);
    assert.deepEqual([entry?.actor.id, entry?.tenant, entry?.outcome.result, entry?.metadata], [userId, accountId, 'success', { other_sessions_ended: 1, session_rotated: true }]);
    const [mail] = await bed.mailsTo('done@shop.example');
    assert.match(mail!.subject, /Your Strongroom password was changed/);
    assert.ok(!mail!.body.includes(NEW_PASSWORD));
    assert.equal((await signIn(bed.browser(), 'done@shop.example', NEW_PASSWORD)).location, '/');
    assert.equal((await signIn(bed.browser(), 'done@shop.example', PASSWORD)).status, 401);
  });
});

describe('the password minimum under NIST follows the second factor', () => {
  let bed: MfaTestbed;
  before(async () => { bed = await startMfaTestbed({ settings: { policyProfile: 'nist' } }); });
  after(async () => { await bed?.close(); });
  beforeEach(() => { bed.clock.offsetMs += 60_000; });

  test('15 characters with the password alone, 8 once MFA is on', async () => {
    const { browser } = await ready(bed, 'nist@shop.example');
    assert.match((await browser.get('/profile')).body, /minlength="15"/);
    const short = await browser.post('/profile/password', { _csrf: browser.csrf, current_password: PASSWORD, password: 'Qv7#mZ2x!pLw' });
    assert.equal(short.status, 400);
    assert.match(short.body, /Use at least 15 characters/);
    await stepUpWithPassword(browser, '/security');
    await addTotp(browser, bed.now);
    assert.match((await browser.get('/profile')).body, /minlength="8"/);
    const done = await browser.post('/profile/password', { _csrf: browser.csrf, current_password: PASSWORD, password: 'Qv7#mZ2x!pLw' });
    assert.equal(done.location, '/profile?notice=password-changed');
  });
});

describe('changing the sign-in email', () => {
  let bed: MfaTestbed;
  before(async () => { bed = await startMfaTestbed(); });
  after(async () => { await bed?.close(); });
  beforeEach(() => { bed.clock.offsetMs += 60_000; });

  const ask = (browser: TestBrowser, email: string, current = PASSWORD) => browser.post('/profile/email', { _csrf: browser.csrf, email, current_password: current });
  const emailOf = async (userId: string) => (await bed.db.selectFrom('users').select('email').where('id', '=', userId).executeTakeFirstOrThrow()).email;
  const LINK = /Confirm your new Strongroom sign-in email/;

  test('needs a step-up and the current password; the address must be valid, new and free', async () => {
    await bed.createOwner('stale.mail@shop.example');
    const stale = bed.browser();
    await signIn(stale, 'stale.mail@shop.example');
    await stale.get('/profile');
    assert.equal((await stale.post('/profile/email', { _csrf: stale.csrf, email: 'x@shop.example', current_password: PASSWORD }, FROM('/profile'))).location, '/step-up?next=%2Fprofile');

    const { browser, userId } = await ready(bed, 'ask@shop.example');
    await bed.createOwner('taken@shop.example');
    const wrong = await ask(browser, 'next@shop.example', 'not my password at all');
    assert.equal(wrong.status, 400);
    assert.match(wrong.body, /Your current password is not right/);
    assert.match(wrong.body, /value="next@shop\.example"/, 'the form keeps the address');
    assert.match((await ask(browser, 'not an address')).body, /Enter a valid email address/);
    assert.match((await ask(browser, ' ASK@shop.example ')).body, /already your sign-in email/);
    const taken = await ask(browser, 'Taken@Shop.Example');
    assert.equal(taken.status, 409);
    assert.match(taken.body, /used by another Strongroom sign-in/);
    assert.equal((await bed.db.selectFrom('email_changes').select('id').where('user_id', '=', userId).execute()).length, 0, 'no link was made');
    assert.equal((await bed.mailsTo('taken@shop.example')).length, 0, 'nothing mailed to a taken address');
    assert.equal((await entries(bed, 'user.email_change_request')).filter((e) => e.actor.id === userId && e.outcome.result === 'failure').length, 1);
  });

  test('the link goes to the new address, the old is told; confirming switches, audited, both told, other sessions end', async () => {
    const { browser, userId, accountId } = await ready(bed, 'old@shop.example');
    const other = bed.browser();
    await signIn(other, 'old@shop.example');
    await bed.browser().submit('/password-reset', '/password-reset', { email: 'old@shop.example' });
    const resetLink = await bed.linkFrom('old@shop.example', /Reset your Strongroom password/);

    const sent = await ask(browser, ' New@Shop.Example ');
    assert.deepEqual([sent.status, sent.location], [303, '/profile?notice=email-sent']);
    const page = await browser.get('/profile?notice=email-sent');
    assert.match(page.body, /id="email-pending">A confirmation link was sent to <strong>new@shop\.example<\/strong>/);
    const link = await bed.linkFrom('new@shop.example', LINK);
    assert.match(link, /^https:\/\/dashboard\.test\/profile\/email\/confirm\?token=[A-Za-z0-9_-]{43}$/);
    const token = new URL(link).searchParams.get('token')!;
    const [notice] = await bed.mailsTo('old@shop.example');
    assert.match(notice!.subject, /change of your sign-in email was asked for/);
    assert.ok(notice!.body.includes('new@shop.example') && !notice!.body.includes(token), 'the old address gets no link');
    const row = await bed.db.selectFrom('email_changes').select(['token_hash', 'expires_at']).where('user_id', '=', userId).executeTakeFirstOrThrow();
    assert.ok(!row.token_hash.toString('hex').includes(token) && !row.token_hash.toString('base64url').includes(token), 'stored hashed');
    assert.ok(Math.abs(row.expires_at.getTime() - Date.now() - 24 * 3_600_000) < 60_000, '24 hours');
    assert.equal(await emailOf(userId), 'old@shop.example', 'nothing changes before the link');

    const shown = await browser.get(pathOf(link));
    assert.equal(shown.status, 200);
    assert.match(shown.body, /id="email-confirm-old">old@shop\.example</);
    assert.match(shown.body, /id="email-confirm-new">new@shop\.example</);
    assert.equal(await emailOf(userId), 'old@shop.example', 'a GET changes nothing');
    const before = browser.cookies.get(SESSION_COOKIE)!;
    const done = await browser.post('/profile/email/confirm', { _csrf: browser.csrf, token });
    assert.deepEqual([done.status, done.location], [303, '/profile?notice=email-changed']);
    assert.equal(await emailOf(userId), 'new@shop.example');
    assert.notEqual(browser.cookies.get(SESSION_COOKIE), before, 'a new token');
    assert.match((await browser.get('/profile')).body, /id="profile-email">new@shop\.example</);
    assert.equal((await other.get('/activity/sessions')).status, 303, 'the other session ended');
    assert.equal((await bed.browser().get(pathOf(resetLink))).status, 400, 'a reset link sent to the old address no longer works');

    const [entry] = (await entries(bed, 'user.email_change')).filter((e) => e.actor.id === userId);
    assert.deepEqual([entry?.actor.id, entry?.tenant, entry?.outcome.result], [userId, accountId, 'success']);
    assert.deepEqual(entry?.metadata, { from: 'old@shop.example', to: 'new@shop.example', other_sessions_ended: 1, session_rotated: true });
    for (const address of ['old@shop.example', 'new@shop.example']) {
      const [mail] = await bed.mailsTo(address);
      assert.match(mail!.subject, /your sign-in email was changed/, address);
      assert.ok(mail!.body.includes('from old@shop.example to new@shop.example') && !mail!.body.includes(token));
    }
    const again = await browser.post('/profile/email/confirm', { _csrf: browser.csrf, token });
    assert.equal(again.status, 400, 'single use');
    assert.equal((await signIn(bed.browser(), 'new@shop.example')).location, '/');
    assert.equal((await signIn(bed.browser(), 'old@shop.example')).status, 401);
  });

  test('the link works only for its user, signed in, once, within 24 hours, and only the newest one', async () => {
    const { browser, userId } = await ready(bed, 'links@shop.example');
    await ask(browser, 'first@shop.example');
    const first = await bed.linkFrom('first@shop.example', LINK);
    await browser.get('/profile');
    await ask(browser, 'second@shop.example');
    const second = await bed.linkFrom('second@shop.example', LINK);
    assert.equal((await browser.get(pathOf(first))).status, 400, 'replaced by the newer request');

    const signedOut = await bed.app.inject({ method: 'GET', url: pathOf(second), headers: { accept: 'text/html' } });
    assert.equal(signedOut.statusCode, 303);
    assert.equal(signedOut.headers.location, `/sign-in?next=${encodeURIComponent(pathOf(second))}`);
    await bed.createOwner('someone@shop.example');
    const someone = bed.browser();
    await signIn(someone, 'someone@shop.example');
    assert.equal((await someone.get(pathOf(second))).status, 400, 'another user cannot use it');
    assert.equal((await someone.post('/profile/email/confirm', { _csrf: someone.csrf, token: new URL(second).searchParams.get('token')! })).status, 400);

    await bed.database.ownerDb.updateTable('email_changes').set({ expires_at: new Date(Date.now() - 1000) }).where('user_id', '=', userId).execute();
    assert.equal((await browser.get(pathOf(second))).status, 400, 'expired');
    assert.equal((await browser.post('/profile/email/confirm', { _csrf: browser.csrf, token: new URL(second).searchParams.get('token')! })).status, 400);
    assert.equal((await browser.post('/profile/email/confirm', { _csrf: browser.csrf, token: 'not-a-token' })).status, 400);
    assert.equal(await emailOf(userId), 'links@shop.example');
  });

  test('an address taken between the request and the link is refused clearly, nothing changed', async () => {
    const { browser, userId } = await ready(bed, 'racer@shop.example');
    await ask(browser, 'contested@shop.example');
    const link = await bed.linkFrom('contested@shop.example', LINK);
    await bed.db.insertInto('users').values({ id: newId('user'), email: 'contested@shop.example', password_hash: 'x', email_verified: true }).execute();
    await browser.get(pathOf(link));
    const refused = await browser.post('/profile/email/confirm', { _csrf: browser.csrf, token: new URL(link).searchParams.get('token')! });
    assert.equal(refused.status, 409);
    assert.match(refused.body, /used by another Strongroom sign-in/);
    assert.equal(await emailOf(userId), 'racer@shop.example');
    assert.equal((await browser.get('/profile')).status, 200, 'still signed in');
    const failed = (await entries(bed, 'user.email_change')).find((e) => e.actor.id === userId);
    assert.deepEqual([failed?.outcome.result, failed?.outcome.reason], ['failure', 'address_taken']);
  });

  test('a race past the check (users.email is UNIQUE) is the same refusal, and rolls back the token rotation', async () => {
    const { browser, userId } = await ready(bed, 'racer2@shop.example');
    await ask(browser, 'contested2@shop.example');
    const token = new URL(await bed.linkFrom('contested2@shop.example', LINK)).searchParams.get('token')!;
    await bed.db.insertInto('users').values({ id: newId('user'), email: 'contested2@shop.example', password_hash: 'x', email_verified: true }).execute();
    const session = (await bed.services.sessions.resolve(browser.cookies.get(SESSION_COOKIE)!))!;
    // A service whose check misses the other user, as when a sign-up commits between check and update.
    const blind = createEmailChangeService({
      db: bed.db, audit: bed.audit, users: { findByEmail: async () => undefined, setEmail: bed.services.users.setEmail },
      store: createEmailChangeStore(bed.db), sessions: bed.services.sessions, throttle: bed.services.throttle,
      checkCurrentPassword: async () => ({ kind: 'ok' }), mail: bed.mail, origin: 'https://dashboard.test',
    });
    const context = { actor: { type: 'user' as const, id: userId, sessionId: session.id }, origin: { ip: '198.51.100.99' } };
    assert.deepEqual(await blind.confirm(session, token, context), { kind: 'taken' });
    assert.equal(await emailOf(userId), 'racer2@shop.example');
    assert.equal((await browser.get('/profile')).status, 200, 'the session token was not rotated away');
    assert.ok(await blind.peek(session, token), 'the link was not spent');
  });
});
