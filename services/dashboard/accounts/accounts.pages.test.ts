// The accounts page and account switching through the real pages (sessions, CSRF, mfa/ wired): the
// user's memberships with role names, the current one marked; a switch ends the session and starts
// a new one in the other account (new token, same factor, MFA time and sign-in time), audited in
// both; a non-member account answers 404 and changes nothing; and an account or role that needs a
// factor the session lacks sends the user through a fresh step-up and the sign-in MFA gate first.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { AuditEntry } from '#lib/audit/index.ts';
import { readLog } from '#lib/audit/testing.ts';
import { newId, randomBase36 } from '#lib/contracts/index.ts';
import { SESSION_COOKIE } from '../sessions/cookie.ts';
import { hashToken } from '../sessions/tokens.ts';
import { PENDING_COOKIE } from '../mfa/pending-sign-in.ts';
import { hashPassword } from '../users/passwords.ts';
import { addTotp, liveSessions, PASSWORD, signIn, startMfaTestbed, stepUpWithPassword, totpCode, type MfaTestbed } from '../mfa/testing.ts';
import type { TestBrowser } from '../dashboard.testing.ts';

const FROM = (path: string) => ({ referer: `https://localhost:80${path}` });

describe('accounts page and switching', () => {
  let bed: MfaTestbed;
  let a: { userId: string; accountId: string };
  let b: { userId: string; accountId: string };
  let c: { userId: string; accountId: string };
  before(async () => {
    bed = await startMfaTestbed();
    a = await bed.createOwner('a-owner@shop.example');
    b = await bed.createOwner('b-owner@shop.example');
    c = await bed.createOwner('c-owner@shop.example');
  });
  after(async () => { await bed?.close(); });

  async function user(email: string): Promise<string> {
    const userId = newId('user');
    await bed.db.insertInto('users').values({ id: userId, email, password_hash: await hashPassword(PASSWORD), email_verified: true }).execute();
    return userId;
  }
  const join = (userId: string, accountId: string, roles: string[]) =>
    bed.db.insertInto('memberships').values({ user_id: userId, account_id: accountId, roles }).execute();
  const requireMfa = (account: { userId: string; accountId: string }) =>
    bed.db.insertInto('account_settings').values({ account_id: account.accountId, require_mfa: true, updated_by: account.userId, updated_at: new Date() }).execute();
  const sessionRow = (id: string) => bed.db.selectFrom('sessions').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
  /** The session this browser's cookie names. */
  const sessionOf = (browser: TestBrowser) =>
    bed.db.selectFrom('sessions').selectAll().where('token_hash', '=', hashToken(browser.cookies.get(SESSION_COOKIE) ?? '')).executeTakeFirstOrThrow();
  const entries = async (action: string) => {
    await bed.audit.chainNow();
    return (await readLog(bed.database.ownerDb)).map((r) => r.entry as unknown as AuditEntry).filter((e) => e.action === action);
  };
  const switchTo = async (browser: TestBrowser, accountId: string) => {
    await browser.get('/accounts');
    return browser.post('/accounts/switch', { _csrf: browser.csrf, account_id: accountId }, FROM('/accounts'));
  };

  test('both routes need a signed-in user and nothing more (the switch checks membership itself)', async () => {
    const mine = bed.routes.filter((r) => r.url.startsWith('/accounts') && r.method !== 'HEAD').map((r) => `${r.method} ${r.url} [${r.guards.join(',')}]`).sort();
    assert.deepEqual(mine, ['GET /accounts [requireSession]', 'POST /accounts/switch [requireSession]']);
    const visitor = bed.browser();
    assert.equal((await visitor.get('/accounts')).location, '/sign-in?next=%2Faccounts');
    await visitor.get('/sign-in');
    assert.equal((await visitor.post('/accounts/switch', { _csrf: visitor.csrf, account_id: a.accountId })).location, '/sign-in');
  });

  test('the page lists every membership with its role names, the current one marked', async () => {
    const userId = await user('lister@shop.example');
    await join(userId, a.accountId, ['analyst']);
    const roleId = `role_${randomBase36(19)}`;
    await bed.db.insertInto('team_roles').values({
      id: roleId, account_id: b.accountId, name: '<b>Night</b> shift', description: '', permissions: ['account.read', 'logs.read'], phishing_resistant_mfa: false, created_by: b.userId,
    }).execute();
    await join(userId, b.accountId, ['developer', roleId]);
    const browser = bed.browser();
    await signIn(browser, 'lister@shop.example');
    const page = await browser.get('/accounts');
    assert.equal(page.status, 200);
    assert.match(page.body, /id="nav-accounts" aria-current="page"/);
    assert.ok(page.body.indexOf(a.accountId) < page.body.indexOf(b.accountId), 'oldest membership first');
    assert.ok(page.body.includes(`data-account-id="${a.accountId}" class="current" aria-current="true"`), 'the current account marked');
    assert.match(page.body, /id="current-account"/);
    assert.match(page.body, /<td>Analyst<\/td>/);
    assert.match(page.body, /<td>Developer, &lt;b&gt;Night&lt;\/b&gt; shift<\/td>/, 'custom role names, escaped');
    assert.ok(page.body.includes(`id="switch-${b.accountId}"`));
    assert.ok(!page.body.includes(`id="switch-${a.accountId}"`), 'no switch to where you are');
    assert.ok(!page.body.includes(c.accountId), 'only your own memberships');
  });

  test('switching: a new session (new token) in the other account, same factor and times; audited in both accounts', async () => {
    const userId = await user('switcher@shop.example');
    await join(userId, a.accountId, ['owner']);
    await join(userId, b.accountId, ['developer']);
    const browser = bed.browser();
    await signIn(browser, 'switcher@shop.example');
    const oldToken = browser.cookies.get(SESSION_COOKIE)!;
    const [before] = await liveSessions(bed, userId);
    const old = await sessionRow(before!.id);
    assert.equal(old.account_id, a.accountId, 'sign-in lands in the oldest membership');

    const switched = await switchTo(browser, b.accountId);
    assert.deepEqual([switched.status, switched.location], [303, '/']);
    const newToken = browser.cookies.get(SESSION_COOKIE)!;
    assert.notEqual(newToken, oldToken);
    const live = await liveSessions(bed, userId);
    assert.equal(live.length, 1);
    const now = await sessionRow(live[0]!.id);
    assert.deepEqual([now.account_id, now.factor, now.mfa_verified_at, now.created_at.getTime()], [b.accountId, old.factor, old.mfa_verified_at, old.created_at.getTime()]);
    const ended = await sessionRow(old.id);
    assert.equal(ended.end_reason, 'switch_account');
    assert.ok(ended.ended_at);

    const home = await browser.get('/');
    assert.ok(home.body.includes(b.accountId) && home.body.includes('developer'));
    assert.equal((await browser.get('/team')).status, 403, 'a developer here, whatever they are elsewhere');
    const stale = bed.browser();
    stale.cookies.set(SESSION_COOKIE, oldToken);
    assert.equal((await stale.get('/accounts')).status, 303, 'the old token stopped working');

    const logged = (await entries('session.switch_account')).filter((e) => e.actor.id === userId);
    assert.deepEqual(logged.map((e) => e.tenant).sort(), [a.accountId, b.accountId].sort());
    for (const entry of logged) {
      assert.deepEqual([entry.outcome.result, entry.metadata.direction, entry.actor.sessionId], ['success', entry.tenant === a.accountId ? 'left' : 'arrived', old.id]);
      const other = entry.tenant === a.accountId ? b.accountId : a.accountId;
      assert.ok(!JSON.stringify(entry).includes(other), 'an account\'s trail never names the member\'s other account');
      assert.deepEqual(entry.targets.filter((t) => t.type === 'session').map((t) => t.id), [old.id, now.id]);
    }

    const back = await switchTo(browser, a.accountId);
    assert.equal(back.location, '/');
    assert.equal((await browser.get('/team')).status, 200, 'the owner again');
  });

  test('a non-member account answers 404 and changes nothing; the same account and malformed ids change nothing either', async () => {
    const userId = await user('stranger@shop.example');
    await join(userId, a.accountId, ['analyst']);
    const browser = bed.browser();
    await signIn(browser, 'stranger@shop.example');
    const token = browser.cookies.get(SESSION_COOKIE);
    const [session] = await liveSessions(bed, userId);
    for (const target of [c.accountId, 'acct_nonexistent000000000', 'not an id', '']) {
      const refused = await switchTo(browser, target);
      assert.equal(refused.status, 404, target);
      assert.match(refused.body, /not a member of that account/);
    }
    assert.equal((await switchTo(browser, a.accountId)).location, '/', 'the current account: nothing to do');
    assert.equal(browser.cookies.get(SESSION_COOKIE), token);
    assert.deepEqual((await liveSessions(bed, userId)).map((s) => s.id), [session!.id]);
    assert.equal((await sessionRow(session!.id)).account_id, a.accountId);
    const refusals = (await entries('session.switch_account')).filter((e) => e.actor.id === userId);
    assert.equal(refusals.length, 4);
    assert.ok(refusals.every((e) => e.outcome.result === 'failure' && e.tenant === a.accountId));
    assert.equal((await browser.post('/accounts/switch', { account_id: c.accountId })).status, 403, 'no CSRF token');
  });

  test('into an account that requires MFA, without a factor: a fresh step-up, then enrolment before any session there', async () => {
    const userId = await user('plain@shop.example');
    await join(userId, a.accountId, ['analyst']);
    const strict = await bed.createOwner('strict-owner@shop.example');
    await requireMfa(strict);
    await join(userId, strict.accountId, ['analyst']);
    const browser = bed.browser();
    await signIn(browser, 'plain@shop.example');
    const [first] = await liveSessions(bed, userId);

    const stepUp = await switchTo(browser, strict.accountId);
    assert.deepEqual([stepUp.status, stepUp.location], [303, '/step-up?next=%2Faccounts']);
    assert.deepEqual((await liveSessions(bed, userId)).map((s) => s.id), [first!.id], 'nothing changed yet');
    assert.equal((await stepUpWithPassword(browser, '/accounts')).location, '/accounts');

    const gate = await switchTo(browser, strict.accountId);
    assert.deepEqual([gate.status, gate.location], [303, '/sign-in/enrol']);
    assert.deepEqual(await liveSessions(bed, userId), [], 'no session until a factor is enrolled');
    assert.ok(browser.cookies.has(PENDING_COOKIE));
    const [left] = (await entries('session.switch_account')).filter((e) => e.actor.id === userId && e.tenant === strict.accountId);
    assert.equal(left!.metadata.second_factor_required, true);

    assert.match((await browser.get('/sign-in/enrol')).body, /requires two-step verification for every member/);
    const shown = await browser.post('/sign-in/enrol/totp', { _csrf: browser.csrf });
    const key = shown.body.match(/id="totp-secret">([A-Z2-7]+)</)![1]!;
    assert.equal((await browser.post('/sign-in/enrol/totp/confirm', { _csrf: browser.csrf, code: totpCode(key, bed.now()) })).location, '/security?notice=enrolled');
    const [session] = await liveSessions(bed, userId);
    assert.deepEqual([(await sessionRow(session!.id)).account_id, session!.factor], [strict.accountId, 'totp']);
  });

  test('with a second factor already proved, the switch into an MFA account carries it over', async () => {
    const userId = await user('proved@shop.example');
    await join(userId, a.accountId, ['analyst']);
    const strict = await bed.createOwner('strict2-owner@shop.example');
    await requireMfa(strict);
    await join(userId, strict.accountId, ['analyst']);
    const setup = bed.browser();
    await signIn(setup, 'proved@shop.example');
    await stepUpWithPassword(setup);
    const key = await addTotp(setup, bed.now);
    bed.clock.offsetMs += 60_000; // a later TOTP step than the one enrolment used

    const browser = bed.browser();
    await signIn(browser, 'proved@shop.example');
    await browser.post('/sign-in/second-factor/totp', { _csrf: browser.csrf, code: totpCode(key, bed.now()) });
    const mine = await sessionOf(browser);
    assert.equal(mine.factor, 'totp');
    const switched = await switchTo(browser, strict.accountId);
    assert.deepEqual([switched.status, switched.location], [303, '/']);
    const now = await sessionOf(browser);
    assert.deepEqual([now.account_id, now.factor, now.mfa_verified_at?.getTime()], [strict.accountId, 'totp', mine.mfa_verified_at?.getTime()]);
    assert.ok((await sessionRow(mine.id)).ended_at);
  });

  test('into a role that requires a security key, with a TOTP session: the sign-in factor page, WebAuthn only', async () => {
    const userId = await user('keyed@shop.example');
    await join(userId, a.accountId, ['analyst']);
    const roleId = `role_${randomBase36(19)}`;
    await bed.db.insertInto('team_roles').values({
      id: roleId, account_id: b.accountId, name: 'Key holders', description: '', permissions: ['account.read', 'logs.read'], phishing_resistant_mfa: true, created_by: b.userId,
    }).execute();
    await join(userId, b.accountId, [roleId]);
    const setup = bed.browser();
    await signIn(setup, 'keyed@shop.example');
    await stepUpWithPassword(setup);
    const key = await addTotp(setup, bed.now);
    bed.clock.offsetMs += 60_000;
    const browser = bed.browser();
    await signIn(browser, 'keyed@shop.example');
    await browser.post('/sign-in/second-factor/totp', { _csrf: browser.csrf, code: totpCode(key, bed.now()) });
    const session = await sessionOf(browser);
    assert.equal(session.factor, 'totp');

    const gate = await switchTo(browser, b.accountId);
    assert.deepEqual([gate.status, gate.location], [303, '/sign-in/second-factor'], 'TOTP was fresh: no step-up, straight to the gate');
    assert.ok((await sessionRow(session.id)).ended_at, 'the session ended');
    const pending = await bed.db.selectFrom('mfa_pending_sign_ins').select(['account_id', 'webauthn_only']).where('user_id', '=', userId).executeTakeFirstOrThrow();
    assert.deepEqual(pending, { account_id: b.accountId, webauthn_only: true });
  });
});
