// The security page and step-up through the real pages: every factor change behind a fresh step-up
// that rotates the session token, audited and emailed; secrets shown once; another user's
// credential a 404; the account setting "require MFA" forcing enrolment at the next sign-in; and
// WebAuthn-only roles in production.
import { after, before, beforeEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { AuditEntry } from '#lib/audit/index.ts';
import { readLog } from '#lib/audit/testing.ts';
import { newId } from '#lib/contracts/index.ts';
import { hashPassword } from '../users/passwords.ts';
import { SESSION_COOKIE } from '../sessions/cookie.ts';
import { STEP_UP_MINUTES } from './step-up.ts';
import { qrSvg } from './totp-qr.ts';
import {
  addTotp, liveSessions, PASSWORD, signIn, softAuthenticator, startMfaTestbed, stepUpWithPassword, totpCode, webauthnForm, type MfaTestbed,
} from './testing.ts';

const ORIGIN = 'https://dashboard.test';
/** The Referer a page of this dashboard sends (inject() talks to host localhost:80). */
const FROM = (path: string) => ({ referer: `https://localhost:80${path}` });

async function entries(bed: MfaTestbed, action: string): Promise<AuditEntry[]> {
  await bed.audit.chainNow();
  return (await readLog(bed.database.ownerDb)).map((r) => r.entry as unknown as AuditEntry).filter((e) => e.action === action);
}

/** A member of `accountId` with `roles` and the test password. */
async function member(bed: MfaTestbed, accountId: string, email: string, roles: string[]) {
  const userId = newId('user');
  await bed.db.insertInto('users').values({ id: userId, email, password_hash: await hashPassword(PASSWORD), email_verified: true }).execute();
  await bed.db.insertInto('memberships').values({ user_id: userId, account_id: accountId, roles }).execute();
  return userId;
}

describe('step-up and the security page', () => {
  let bed: MfaTestbed;
  let owner: { userId: string; accountId: string };
  before(async () => {
    bed = await startMfaTestbed();
    owner = await bed.createOwner('sec@shop.example');
  });
  after(async () => { await bed?.close(); });
  beforeEach(() => { bed.clock.offsetMs += 60_000; });

  test('a change without a fresh step-up goes to the step-up page and back; the step-up rotates the token', async () => {
    const browser = bed.browser();
    await signIn(browser, 'sec@shop.example');
    assert.equal((await browser.get('/security')).status, 200);
    const refused = await browser.post('/security/totp', { _csrf: browser.csrf }, FROM('/security'));
    assert.equal(refused.status, 303);
    assert.equal(refused.location, '/step-up?next=%2Fsecurity');
    assert.equal(await bed.db.selectFrom('mfa_totp').select('user_id').where('user_id', '=', owner.userId).executeTakeFirst(), undefined, 'nothing changed');
    const offsite = await browser.post('/security/totp', { _csrf: browser.csrf }, { referer: 'https://evil.example/security' });
    assert.equal(offsite.location, '/step-up?next=%2F', 'a foreign Referer is never a destination');

    const page = await browser.get('/step-up?next=%2Fsecurity');
    assert.match(page.body, /id="password-form"/, 'no second factor yet: the password confirms');
    const before = browser.cookies.get(SESSION_COOKIE)!;
    const wrong = await browser.post('/step-up/password?next=%2Fsecurity', { _csrf: browser.csrf, password: 'not the password at all' });
    assert.equal(wrong.status, 401);
    const done = await stepUpWithPassword(browser, '/security');
    assert.equal(done.status, 303);
    assert.equal(done.location, '/security');
    assert.notEqual(browser.cookies.get(SESSION_COOKIE), before, 'a new token');
    const stale = bed.browser();
    stale.cookies.set(SESSION_COOKIE, before);
    assert.equal((await stale.get('/activity/sessions')).status, 303, 'the old token stopped working');
    const [session] = await liveSessions(bed, owner.userId);
    assert.ok(session?.mfa_verified_at);
    assert.ok((await entries(bed, 'session.rotate')).length >= 1);
    assert.equal((await stepUpWithPassword(browser, '//evil.example/x')).location, '/', 'next is a same-site path or /');
  });

  test('the team pages use the same step-up: inviting without a fresh one goes to the step-up page', async () => {
    const browser = bed.browser();
    await signIn(browser, 'sec@shop.example');
    assert.equal((await browser.get('/team')).status, 200);
    const invite = await browser.post('/team/invitations', { _csrf: browser.csrf, email: 'new@shop.example', 'role:developer': 'on' }, FROM('/team'));
    assert.equal(invite.location, '/step-up?next=%2Fteam');
    assert.deepEqual(await bed.db.selectFrom('invitations').select('id').execute(), [], 'nothing was sent');
    await stepUpWithPassword(browser, '/team');
    const sent = await browser.post('/team/invitations', { _csrf: browser.csrf, email: 'new@shop.example', 'role:developer': 'on' });
    assert.match(sent.location ?? '', /^\/team\?notice=invited/);
  });

  test('TOTP: the key is shown once, sealed at rest; adding and removing are audited and emailed', async () => {
    const browser = bed.browser();
    await signIn(browser, 'sec@shop.example');
    await stepUpWithPassword(browser);
    const key = await addTotp(browser, bed.now);
    const row = await bed.db.selectFrom('mfa_totp').selectAll().where('user_id', '=', owner.userId).executeTakeFirstOrThrow();
    assert.match(row.secret_wrapped_key, /^kms1:mfa-secret:1:/);
    assert.equal(row.secret_ciphertext.toString('latin1').includes(key), false);
    assert.ok(row.confirmed_at && row.last_step !== null, 'the confirming code counts as used');
    const security = await browser.get('/security');
    assert.equal(security.body.includes(key), false, 'the key is never shown again');
    assert.match(security.body, /id="totp-state">On/);
    assert.equal((await browser.post('/security/totp', { _csrf: browser.csrf })).status, 409, 'one at a time');
    assert.equal((await entries(bed, 'mfa.totp.add')).length, 1);
    assert.match((await bed.mailsTo('sec@shop.example'))[0]!.subject, /authenticator app was added/);

    const removed = await browser.post('/security/totp/remove', { _csrf: browser.csrf });
    assert.equal(removed.location, '/security?notice=totp-removed');
    assert.equal((await entries(bed, 'mfa.totp.remove')).length, 1);
    assert.match((await bed.mailsTo('sec@shop.example'))[0]!.subject, /authenticator app was removed/);
    assert.equal((await browser.post('/security/totp/remove', { _csrf: browser.csrf })).status, 404);
  });

  test('a wrong or stale enrolment code does not turn TOTP on', async () => {
    const browser = bed.browser();
    await signIn(browser, 'sec@shop.example');
    await stepUpWithPassword(browser);
    const shown = await browser.submit('/security', '/security/totp', {});
    const key = shown.body.match(/id="totp-secret">([A-Z2-7]+)</)![1]!;
    const uri = shown.body.match(/id="totp-uri" href="([^"]+)"/)![1]!.replace(/&amp;/g, '&');
    assert.ok(shown.body.includes(qrSvg(uri, 'QR code of your new authenticator key: scan it with your authenticator app')), 'the QR code encodes the otpauth URI');
    assert.ok(uri.includes(`secret=${key}`));
    const wrong = await browser.post('/security/totp/confirm', { _csrf: browser.csrf, code: totpCode(key, new Date(bed.now().getTime() - 120_000)) });
    assert.equal(wrong.status, 400);
    assert.equal(wrong.body.includes(key), false, 'the key is not shown again');
    bed.clock.offsetMs += 16 * 60_000;
    const late = await browser.post('/security/totp/confirm', { _csrf: browser.csrf, code: totpCode(key, bed.now()) });
    assert.equal(late.status, 410, 'an enrolment lasts 15 minutes');
    assert.equal((await bed.mfa.factors.summary(owner.userId)).totp, false);
  });

  test('security keys: added by a ceremony behind step-up; another user\'s key is a 404; recovery codes replace the old batch', async () => {
    const browser = bed.browser();
    await signIn(browser, 'sec@shop.example');
    await browser.get('/security');
    const stale = await browser.post('/security/webauthn/options', { _csrf: browser.csrf }, FROM('/security'));
    assert.equal(stale.location, '/step-up?next=%2Fsecurity', 'the options fetch is sent to step-up first (the page script follows it)');
    await stepUpWithPassword(browser);
    const device = softAuthenticator('dashboard.test');
    await browser.get('/security');
    const added = await webauthnForm(browser, '/security/webauthn/options', '/security/webauthn', (o) => device.register(o, ORIGIN), { name: 'Blue key\u0007' });
    assert.equal(added.location, '/security?notice=webauthn-added');
    const page = await browser.get('/security');
    assert.match(page.body, /<td>Blue key<\/td>/, 'control characters removed from the name');
    assert.equal((await entries(bed, 'mfa.webauthn.add')).at(-1)!.metadata.name, 'Blue key');
    const phished = await webauthnForm(browser, '/security/webauthn/options', '/security/webauthn', (o) => softAuthenticator('dashboard.test').register(o, 'https://evil.example'));
    assert.equal(phished.status, 400, 'a registration made for another origin is refused');

    const first = await browser.submit('/security', '/security/recovery-codes', {});
    const codes = [...first.body.matchAll(/<code>([a-z0-9-]{19})<\/code>/g)].map((m) => m[1]!);
    assert.equal(codes.length, 10);
    assert.equal(first.headers['cache-control'], 'no-store');
    const stored = await bed.db.selectFrom('recovery_codes').select('code_hash').where('user_id', '=', owner.userId).execute();
    assert.equal(stored.length, 10);
    const second = await browser.submit('/security', '/security/recovery-codes', {});
    assert.match(second.body, /Your earlier codes no longer work/);
    const signInBrowser = bed.browser();
    await signIn(signInBrowser, 'sec@shop.example');
    assert.equal((await signInBrowser.post('/sign-in/second-factor/recovery-code', { _csrf: signInBrowser.csrf, code: codes[0]! })).status, 401, 'the old batch is gone');
    assert.equal((await entries(bed, 'mfa.recovery_codes.create')).length, 2);

    // Another user's credential id: 404, exactly as an unknown one; their key stays.
    const other = await bed.createOwner('other-sec@shop.example');
    const otherBrowser = bed.browser();
    await signIn(otherBrowser, 'other-sec@shop.example');
    await stepUpWithPassword(otherBrowser);
    const theirs = await otherBrowser.post('/security/webauthn/remove', { _csrf: otherBrowser.csrf, credential: device.credentialId });
    assert.equal(theirs.status, 404);
    assert.equal((await otherBrowser.post('/security/webauthn/remove', { _csrf: otherBrowser.csrf, credential: 'A'.repeat(43) })).status, 404);
    assert.equal((await bed.mfa.factors.credentials(owner.userId)).length, 1);
    assert.equal((await bed.mfa.factors.credentials(other.userId)).length, 0);

    // The owner's own removal works; with it goes the last factor, and the recovery codes with it.
    await browser.get('/security');
    const gone = await browser.post('/security/webauthn/remove', { _csrf: browser.csrf, credential: device.credentialId });
    assert.equal(gone.location, '/security?notice=webauthn-removed');
    assert.deepEqual(await bed.mfa.factors.summary(owner.userId), { totp: false, webauthn: 0, recoveryCodesLeft: 0 });
  });

  test(`a step-up lasts ${STEP_UP_MINUTES} minutes; then a second factor (not the password) is asked`, async () => {
    const browser = bed.browser();
    await signIn(browser, 'sec@shop.example');
    await stepUpWithPassword(browser);
    const key = await addTotp(browser, bed.now);
    bed.clock.offsetMs += (STEP_UP_MINUTES + 1) * 60_000;
    await browser.get('/security');
    const refused = await browser.post('/security/recovery-codes', { _csrf: browser.csrf }, FROM('/security'));
    assert.equal(refused.location, '/step-up?next=%2Fsecurity');
    const page = await browser.get('/step-up?next=%2Fsecurity');
    assert.match(page.body, /id="totp-form"/);
    assert.doesNotMatch(page.body, /id="password-form"/);
    assert.equal((await browser.post('/step-up/password?next=%2Fsecurity', { _csrf: browser.csrf, password: PASSWORD })).status, 403, 'the password no longer suffices');
    const ok = await browser.post('/step-up/totp?next=%2Fsecurity', { _csrf: browser.csrf, code: totpCode(key, bed.now()) });
    assert.equal(ok.location, '/security');
    assert.ok((await liveSessions(bed, owner.userId)).some((s) => s.factor === 'totp'));
    assert.equal((await browser.submit('/security', '/security/recovery-codes', {})).status, 200);
    const stepUps = (await entries(bed, 'mfa.verify')).filter((e) => e.actor.id === owner.userId && e.metadata.purpose === 'step_up' && e.outcome.result === 'success');
    assert.deepEqual(stepUps.map((e) => e.metadata.factor).slice(-2), ['password', 'totp']);
  });
});

describe('require MFA for every member (account setting)', () => {
  let bed: MfaTestbed;
  let owner: { userId: string; accountId: string };
  before(async () => {
    bed = await startMfaTestbed();
    owner = await bed.createOwner('boss@shop.example');
  });
  after(async () => { await bed?.close(); });
  beforeEach(() => { bed.clock.offsetMs += 60_000; });

  test('only account.manage may set it, after step-up; it is audited and emailed to the owners', async () => {
    const viewerId = await member(bed, owner.accountId, 'viewer@shop.example', ['view_only']);
    const viewer = bed.browser();
    await signIn(viewer, 'viewer@shop.example');
    assert.equal((await viewer.get('/account/settings')).status, 200);
    await stepUpWithPassword(viewer, '/account/settings');
    const denied = await viewer.post('/account/settings/require-mfa', { _csrf: viewer.csrf, require_mfa: 'on' }, { accept: 'text/html' });
    assert.equal(denied.status, 403);
    assert.ok((await entries(bed, 'dashboard.access.denied')).some((e) => e.actor.id === viewerId));

    const browser = bed.browser();
    await signIn(browser, 'boss@shop.example');
    await browser.get('/account/settings');
    const stale = await browser.post('/account/settings/require-mfa', { _csrf: browser.csrf, require_mfa: 'on' }, FROM('/account/settings'));
    assert.equal(stale.location, '/step-up?next=%2Faccount%2Fsettings');
    await stepUpWithPassword(browser, '/account/settings');
    assert.equal((await browser.post('/account/settings/require-mfa', { _csrf: browser.csrf, require_mfa: 'yes' })).status, 400);
    const set = await browser.post('/account/settings/require-mfa', { _csrf: browser.csrf, require_mfa: 'on' });
    assert.equal(set.location, '/account/settings?notice=mfa-required');
    assert.match((await browser.get('/account/settings')).body, /<strong>required<\/strong>/);
    const [entry] = await entries(bed, 'account.settings.update');
    assert.deepEqual([entry!.tenant, entry!.metadata], [owner.accountId, { setting: 'require_mfa', from: false, to: true }]);
    assert.match((await bed.mailsTo('boss@shop.example'))[0]!.subject, /now requires two-step verification/);
  });

  test('a member without a factor must enrol one at the next sign-in, before any session', async () => {
    const userId = await member(bed, owner.accountId, 'dev@shop.example', ['developer']);
    const browser = bed.browser();
    const answer = await signIn(browser, 'dev@shop.example');
    assert.equal(answer.location, '/sign-in/enrol');
    assert.equal(browser.cookies.has(SESSION_COOKIE), false);
    assert.equal((await browser.get('/sign-in/second-factor')).location, '/sign-in/enrol');
    const page = await browser.get('/sign-in/enrol');
    assert.match(page.body, /requires two-step verification for every member/);
    const shown = await browser.post('/sign-in/enrol/totp', { _csrf: browser.csrf });
    const key = shown.body.match(/id="totp-secret">([A-Z2-7]+)</)![1]!;
    const done = await browser.post('/sign-in/enrol/totp/confirm', { _csrf: browser.csrf, code: totpCode(key, bed.now()) });
    assert.equal(done.location, '/security?notice=enrolled');
    const [session] = await liveSessions(bed, userId);
    assert.equal(session!.factor, 'totp');
    assert.match((await browser.get('/security?notice=enrolled')).body, /Create recovery codes below/);

    // The factor the account requires cannot be removed while it is the last one.
    await browser.get('/security');
    const removal = await browser.post('/security/totp/remove', { _csrf: browser.csrf });
    assert.equal(removal.status, 409);
    assert.equal((await bed.mfa.factors.summary(userId)).totp, true);
  });
});

describe('WebAuthn-only roles in production', () => {
  let bed: MfaTestbed;
  let owner: { userId: string; accountId: string };
  const device = softAuthenticator('dashboard.test');
  before(async () => {
    bed = await startMfaTestbed({ settings: { production: true } });
    owner = await bed.createOwner('prod-owner@shop.example');
  });
  after(async () => { await bed?.close(); });
  beforeEach(() => { bed.clock.offsetMs += 60_000; });

  test('an Owner with no factor must register a security key or passkey at sign-in (an app is not offered)', async () => {
    const browser = bed.browser();
    assert.equal((await signIn(browser, 'prod-owner@shop.example')).location, '/sign-in/enrol');
    const page = await browser.get('/sign-in/enrol');
    assert.match(page.body, /Your role requires a security key or passkey/);
    assert.doesNotMatch(page.body, /totp-start-form/);
    assert.equal((await browser.post('/sign-in/enrol/totp', { _csrf: browser.csrf })).status, 403);
    const done = await webauthnForm(browser, '/sign-in/enrol/webauthn/options', '/sign-in/enrol/webauthn', (o) => device.register(o, ORIGIN), { name: 'Office key' });
    assert.equal(done.location, '/security?notice=enrolled');
    assert.equal((await liveSessions(bed, owner.userId))[0]!.factor, 'webauthn');
  });

  test('afterwards only the key is accepted: a TOTP or recovery code is refused even if the user has one', async () => {
    const browser = bed.browser();
    await signIn(browser, 'prod-owner@shop.example');
    await webauthnForm(browser, '/sign-in/second-factor/webauthn/options', '/sign-in/second-factor/webauthn', (o) => device.assert(o, ORIGIN));
    const codes = [...(await browser.submit('/security', '/security/recovery-codes', {})).body.matchAll(/<code>([a-z0-9-]{19})<\/code>/g)].map((m) => m[1]!);
    assert.equal(codes.length, 10);
    const other = bed.browser();
    await signIn(other, 'prod-owner@shop.example');
    const page = await other.get('/sign-in/second-factor');
    assert.match(page.body, /id="webauthn-form"/);
    assert.doesNotMatch(page.body, /id="recovery-form"|id="totp-form"/);
    const refused = await other.post('/sign-in/second-factor/recovery-code', { _csrf: other.csrf, code: codes[0]! });
    assert.equal(refused.status, 403);
    assert.equal(other.cookies.has(SESSION_COOKIE), false);
    // …and the last key cannot be removed.
    await browser.get('/security');
    assert.equal((await browser.post('/security/webauthn/remove', { _csrf: browser.csrf, credential: device.credentialId })).status, 409);
  });

  test('a member whose only factor is TOTP proves it, then must add a key before the session starts', async () => {
    const adminId = await member(bed, owner.accountId, 'prod-admin@shop.example', ['developer']);
    const browser = bed.browser();
    await signIn(browser, 'prod-admin@shop.example');
    await stepUpWithPassword(browser);
    const key = await addTotp(browser, bed.now);
    await bed.db.updateTable('memberships').set({ roles: ['administrator'] }).where('user_id', '=', adminId).execute();
    bed.clock.offsetMs += 60_000;
    const next = bed.browser();
    await signIn(next, 'prod-admin@shop.example');
    const proved = await next.post('/sign-in/second-factor/totp', { _csrf: next.csrf, code: totpCode(key, bed.now()) });
    assert.equal(proved.location, '/sign-in/enrol');
    assert.equal(next.cookies.has(SESSION_COOKIE), false);
    const key2 = softAuthenticator('dashboard.test');
    const done = await webauthnForm(next, '/sign-in/enrol/webauthn/options', '/sign-in/enrol/webauthn', (o) => key2.register(o, ORIGIN));
    assert.equal(done.location, '/security?notice=enrolled');
    assert.equal((await liveSessions(bed, adminId)).filter((s) => s.factor === 'webauthn').length, 1);
  });
});
