// Sign-in with a second factor through the real pages: no session until the factor is proved; TOTP
// with replay protection; recovery codes single use; throttling; a password reset never skipping the
// factor; passkey sign-in without a username; and the KMS failing closed for TOTP only.
import { after, before, beforeEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { AuditEntry } from '#lib/audit/index.ts';
import { readLog } from '#lib/audit/testing.ts';
import { SESSION_COOKIE } from '../sessions/cookie.ts';
import { PENDING_COOKIE } from './pending-sign-in.ts';
import { PASSKEY_PER_NETWORK } from './passkey-sign-in.routes.ts';
import { addTotp, liveSessions, signIn, softAuthenticator, startMfaTestbed, stepUpWithPassword, totpCode, webauthnForm, type MfaTestbed } from './testing.ts';

const ORIGIN = 'https://dashboard.test';

describe('sign-in with a second factor', () => {
  let bed: MfaTestbed;
  let owner: { userId: string; accountId: string };
  let key: string;
  let codes: string[];
  before(async () => {
    bed = await startMfaTestbed();
    owner = await bed.createOwner('mfa@shop.example');
    const browser = bed.browser();
    await signIn(browser, 'mfa@shop.example');
    await stepUpWithPassword(browser);
    key = await addTotp(browser, bed.now);
    const page = await browser.submit('/security', '/security/recovery-codes', {});
    codes = [...page.body.matchAll(/<code>([a-z0-9-]{19})<\/code>/g)].map((m) => m[1]!);
  });
  after(async () => { await bed?.close(); });
  // Each test starts two TOTP steps later, so no code it uses was used before.
  beforeEach(() => { bed.clock.offsetMs += 60_000; });

  const entries = async (action: string) => {
    await bed.audit.chainNow();
    return (await readLog(bed.database.ownerDb)).map((r) => r.entry as unknown as AuditEntry).filter((e) => e.action === action);
  };

  test('the right password alone gives no session: the second-factor page, then a session with factor totp', async () => {
    assert.equal(codes.length, 10);
    const browser = bed.browser();
    const answer = await signIn(browser, 'mfa@shop.example', undefined, '/activity/sessions');
    assert.equal(answer.status, 303);
    assert.equal(answer.location, '/sign-in/second-factor');
    assert.equal(browser.cookies.has(SESSION_COOKIE), false, 'no session yet');
    assert.match(browser.cookies.get(PENDING_COOKIE) ?? '', /^[A-Za-z0-9_-]{43}$/);
    assert.equal((await browser.get('/activity/sessions')).status, 303, 'still signed out');
    const page = await browser.get('/sign-in/second-factor');
    assert.equal(page.status, 200);
    assert.match(page.body, /id="totp-form"/);
    assert.match(page.body, /id="recovery-form"/);
    assert.doesNotMatch(page.body, /id="webauthn-form"/, 'no security key registered');

    const wrong = await browser.post('/sign-in/second-factor/totp', { _csrf: browser.csrf, code: '000000' === totpCode(key, bed.now()) ? '111111' : '000000' });
    assert.equal(wrong.status, 401);
    assert.match(wrong.body, /That code is not right, or it was used already/);
    const right = await browser.post('/sign-in/second-factor/totp', { _csrf: browser.csrf, code: totpCode(key, bed.now()) });
    assert.equal(right.status, 303);
    assert.equal(right.location, '/activity/sessions', 'back where the user was going');
    assert.equal(browser.cookies.has(PENDING_COOKIE), false);
    const [session] = (await liveSessions(bed, owner.userId)).filter((s) => s.factor === 'totp');
    assert.ok(session?.mfa_verified_at, 'mfaVerifiedAt set at sign-in');
    assert.match((await browser.get('/')).body, /with totp/);

    const history = await bed.services.history.list(owner.userId);
    assert.equal(history[0]!.factor, 'totp');
    assert.equal(history[0]!.outcome, 'success');
    assert.deepEqual([history[1]!.outcome, history[1]!.reason, history[1]!.factor], ['failure', 'wrong_totp', 'totp']);
    const verified = await entries('mfa.verify');
    assert.ok(verified.some((e) => e.outcome.result === 'success' && e.metadata.factor === 'totp' && e.metadata.purpose === 'sign_in'));
  });

  test('a code that was used once is refused the next time (replay), and so is an older one inside the window', async () => {
    const code = totpCode(key, new Date(bed.now().getTime() + 30_000));
    const first = bed.browser();
    await signIn(first, 'mfa@shop.example');
    assert.equal((await first.post('/sign-in/second-factor/totp', { _csrf: first.csrf, code })).status, 303);
    const second = bed.browser();
    await signIn(second, 'mfa@shop.example');
    const again = await second.post('/sign-in/second-factor/totp', { _csrf: second.csrf, code });
    assert.equal(again.status, 401, 'the same code never works twice');
    const older = await second.post('/sign-in/second-factor/totp', { _csrf: second.csrf, code: totpCode(key, new Date(bed.now().getTime() - 30_000)) });
    assert.equal(older.status, 401, 'nor an earlier step once a later one was used');
    assert.equal(second.cookies.has(SESSION_COOKIE), false);
  });

  test('a recovery code signs in once; the same code is then refused, and the user is emailed', async () => {
    const browser = bed.browser();
    await signIn(browser, 'mfa@shop.example');
    const used = await browser.post('/sign-in/second-factor/recovery-code', { _csrf: browser.csrf, code: codes[0]!.toUpperCase() });
    assert.equal(used.status, 303);
    assert.ok((await liveSessions(bed, owner.userId)).some((s) => s.factor === 'recovery_code'));
    const mails = await bed.mailsTo('mfa@shop.example');
    assert.match(mails[0]!.subject, /recovery codes was used/);

    const other = bed.browser();
    await signIn(other, 'mfa@shop.example');
    const again = await other.post('/sign-in/second-factor/recovery-code', { _csrf: other.csrf, code: codes[0]! });
    assert.equal(again.status, 401);
    assert.match(again.body, /That recovery code is not right, or it was used already/);
    const row = await bed.db.selectFrom('recovery_codes').select((eb) => eb.fn.countAll<string>().as('n')).where('user_id', '=', owner.userId).where('used_at', 'is', null).executeTakeFirstOrThrow();
    assert.equal(Number(row.n), 9);
  });

  test('a pending sign-in is single use and bound to its browser', async () => {
    const browser = bed.browser();
    await signIn(browser, 'mfa@shop.example');
    const thief = bed.browser();
    await thief.get('/sign-in');
    const stolen = await thief.post('/sign-in/second-factor/recovery-code', { _csrf: thief.csrf, code: codes[5]! });
    assert.equal(stolen.status, 303);
    assert.equal(stolen.location, '/sign-in?notice=mfa-expired', 'no pending sign-in in that browser');
    const unused = await bed.db.selectFrom('recovery_codes').select('used_at').where('user_id', '=', owner.userId).execute();
    assert.equal(unused.filter((r) => r.used_at === null).length >= 8, true, 'nothing was spent');
  });

  test('guessing codes is slowed down: after three free failures, 429 with Retry-After', async () => {
    const user = await bed.createOwner('guess@shop.example');
    const browser = bed.browser();
    await signIn(browser, 'guess@shop.example');
    await stepUpWithPassword(browser);
    await addTotp(browser, bed.now);
    const attacker = bed.browser('203.0.113.9');
    await signIn(attacker, 'guess@shop.example');
    const statuses: number[] = [];
    for (let i = 0; i < 5; i++) statuses.push((await attacker.post('/sign-in/second-factor/totp', { _csrf: attacker.csrf, code: '12345' + String(i) })).status);
    assert.deepEqual(statuses.slice(0, 3), [401, 401, 401]);
    assert.equal(statuses[4], 429);
    const throttled = await attacker.post('/sign-in/second-factor/totp', { _csrf: attacker.csrf, code: '999999' });
    assert.equal(throttled.status, 429);
    assert.match(String(throttled.headers['retry-after']), /^\d+$/);
    const history = await bed.services.history.list(user.userId);
    assert.ok(history.some((h) => h.reason === 'throttled' && h.factor === 'totp'));
  });

  test('a password reset does not skip the second factor', async () => {
    await bed.browser().submit('/password-reset', '/password-reset', { email: 'mfa@shop.example' });
    const link = new URL(await bed.linkFrom('mfa@shop.example', /Reset your Strongroom password/));
    const browser = bed.browser();
    await browser.get(link.pathname + link.search);
    const done = await browser.post('/password-reset/choose', { _csrf: browser.csrf, token: link.searchParams.get('token')!, password: 'maple orbit 77 quiet ferry' });
    assert.equal(done.status, 303);
    assert.equal(done.location, '/sign-in/second-factor');
    assert.equal(browser.cookies.has(SESSION_COOKIE), false);
    assert.equal((await liveSessions(bed, owner.userId)).length, 0, 'the reset ended every session, and started none');
    const codesPage = await browser.post('/sign-in/second-factor/recovery-code', { _csrf: browser.csrf, code: codes[1]! });
    assert.equal(codesPage.status, 303);
    assert.equal(codesPage.location, '/');
    const pending = await bed.db.selectFrom('mfa_pending_sign_ins').select('id').where('user_id', '=', owner.userId).execute();
    assert.deepEqual(pending, []);
  });

  test('a KMS that cannot serve refuses TOTP (503), while recovery codes still work', async () => {
    const browser = bed.browser();
    await signIn(browser, 'mfa@shop.example', 'maple orbit 77 quiet ferry');
    bed.kms.available = false;
    try {
      const refused = await browser.post('/sign-in/second-factor/totp', { _csrf: browser.csrf, code: totpCode(key, bed.now()) });
      assert.equal(refused.status, 503);
      assert.match(refused.body, /cannot be checked just now/);
      const rescued = await browser.post('/sign-in/second-factor/recovery-code', { _csrf: browser.csrf, code: codes[2]! });
      assert.equal(rescued.status, 303);
    } finally {
      bed.kms.available = true;
    }
  });
});

describe('passkey sign-in, usernameless', () => {
  let bed: MfaTestbed;
  let owner: { userId: string; accountId: string };
  const device = softAuthenticator('dashboard.test');
  before(async () => {
    bed = await startMfaTestbed();
    owner = await bed.createOwner('passkey@shop.example');
    const browser = bed.browser();
    await signIn(browser, 'passkey@shop.example');
    await stepUpWithPassword(browser);
    await browser.get('/security');
    const added = await webauthnForm(browser, '/security/webauthn/options', '/security/webauthn', (o) => device.register(o, ORIGIN), { name: 'Laptop' });
    assert.equal(added.location, '/security?notice=webauthn-added');
  });
  after(async () => { await bed?.close(); });

  test('no email, no password: the passkey names the user and signs them in with factor webauthn', async () => {
    const browser = bed.browser();
    const page = await browser.get('/sign-in/passkey');
    assert.match(page.body, /data-webauthn="authenticate" data-options="\/sign-in\/passkey\/options"/);
    assert.match(page.body, /<script type="module" src="\/assets\/mfa\/webauthn-forms.js"><\/script>/);
    const options = await browser.post('/sign-in/passkey/options', { _csrf: browser.csrf });
    const json = JSON.parse(options.body) as { challenge: string; allowCredentials?: unknown[]; userVerification: string; rpId: string };
    assert.deepEqual([json.allowCredentials ?? [], json.userVerification, json.rpId], [[], 'required', 'dashboard.test']);
    assert.equal(options.headers['cache-control'], 'no-store');

    // Another browser cannot redeem this browser's challenge.
    const other = bed.browser();
    await other.get('/sign-in/passkey');
    const elsewhere = await other.post('/sign-in/passkey', { _csrf: other.csrf, response: JSON.stringify(device.assert(json, ORIGIN)) });
    assert.equal(elsewhere.status, 401);

    const fresh = JSON.parse((await browser.post('/sign-in/passkey/options', { _csrf: browser.csrf })).body) as { challenge: string };
    const done = await browser.post('/sign-in/passkey', { _csrf: browser.csrf, response: JSON.stringify(device.assert(fresh, ORIGIN)) });
    assert.equal(done.status, 303);
    assert.equal(done.location, '/');
    const [session] = await liveSessions(bed, owner.userId).then((all) => all.filter((s) => s.factor === 'webauthn'));
    assert.ok(session?.mfa_verified_at);
    assert.equal((await bed.services.history.list(owner.userId))[0]!.factor, 'webauthn');
  });

  test('a signed-in user with a passkey must use it as the second factor after the password, too', async () => {
    const browser = bed.browser();
    await signIn(browser, 'passkey@shop.example');
    const page = await browser.get('/sign-in/second-factor');
    assert.match(page.body, /id="webauthn-form"/);
    const done = await webauthnForm(browser, '/sign-in/second-factor/webauthn/options', '/sign-in/second-factor/webauthn', (o) => device.assert(o, ORIGIN));
    assert.equal(done.status, 303);
    const replayed = bed.browser();
    await signIn(replayed, 'passkey@shop.example');
    const old = await webauthnForm(replayed, '/sign-in/second-factor/webauthn/options', '/sign-in/second-factor/webauthn', (o) => device.assert(o, ORIGIN, { counter: device.counter }));
    assert.equal(old.status, 401, 'a counter that did not move forward (a cloned key) is refused');
  });

  test('passkey ceremonies are bounded per network (429 with Retry-After); a successful sign-in gives its attempt back', async () => {
    const counter = async () => (await bed.db.selectFrom('auth_throttle').select('failures')
      .where('scope', '=', 'ip').where('key', 'like', 'passkey:%').executeTakeFirst())?.failures ?? 0;
    const browser = bed.browser();
    await browser.get('/sign-in/passkey');
    const start = await counter();
    const fresh = JSON.parse((await browser.post('/sign-in/passkey/options', { _csrf: browser.csrf })).body) as { challenge: string };
    assert.equal(await counter(), start + 1, 'starting a ceremony counts');
    assert.equal((await browser.post('/sign-in/passkey', { _csrf: browser.csrf, response: JSON.stringify(device.assert(fresh, ORIGIN)) })).status, 303);
    assert.equal(await counter(), start, 'the sign-in gave it back');
    const stranger = bed.browser(); // signed out, same network
    await stranger.get('/sign-in/passkey');
    let allowed = 0;
    let refused;
    while (allowed < 40) {
      const answer = await stranger.post('/sign-in/passkey/options', { _csrf: stranger.csrf });
      if (answer.status === 429) { refused = answer; break; }
      assert.equal(answer.status, 200);
      allowed += 1;
    }
    assert.equal(start + allowed, PASSKEY_PER_NETWORK.freeFailures + 1, 'the free ceremonies and one more, then a wait');
    assert.ok(refused, 'refused before 40');
    assert.match(String(refused.headers['retry-after']), /^[1-9]\d*$/);
    assert.equal((JSON.parse(refused.body) as { code: string }).code, 'too_many_requests');
    bed.clock.offsetMs += PASSKEY_PER_NETWORK.forgetAfterMs + 60_000;
    assert.equal((await stranger.post('/sign-in/passkey/options', { _csrf: stranger.csrf })).status, 200, 'forgotten after an hour');
  });

  test('the browser module and the @simplewebauthn/browser ES module are served same-origin, scripts only', async () => {
    const browser = bed.browser();
    const own = await browser.get('/assets/mfa/webauthn-forms.js');
    assert.equal(own.status, 200);
    assert.match(String(own.headers['content-type']), /javascript/);
    // A relative import (the boundary check refuses absolute ones) that the browser resolves to the vendor route.
    const imported = /from '(\.\.\/vendor\/simplewebauthn\/index\.js)'/.exec(own.body)?.[1];
    assert.equal(new URL(imported ?? 'missing', 'https://dashboard.test/assets/mfa/webauthn-forms.js').pathname, '/assets/vendor/simplewebauthn/index.js');
    const vendor = await browser.get('/assets/vendor/simplewebauthn/index.js');
    assert.equal(vendor.status, 200);
    assert.match(vendor.body, /startRegistration/);
    assert.equal((await browser.get('/assets/vendor/simplewebauthn/methods/startAuthentication.js')).status, 200);
    assert.equal((await browser.get('/assets/vendor/simplewebauthn/index.d.ts')).status, 404);
    assert.equal((await browser.get('/assets/vendor/simplewebauthn/../package.json')).status, 404);
  });
});
