// Password reset through the real pages: the same answer for any address, a single-use link,
// every old session ended, the new password working and the old one not.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { sql } from '#lib/db/index.ts';
import { SESSION_COOKIE } from '../sessions/cookie.ts';
import { startDashboardTestbed, STRONG_PASSWORD, type DashboardTestbed } from '../dashboard.testing.ts';

const NEW_PASSWORD = 'maple orbit 77 quiet ferry';

describe('password reset pages', () => {
  let bed: DashboardTestbed;
  let owner: { userId: string; accountId: string };
  before(async () => {
    bed = await startDashboardTestbed();
    owner = await bed.createOwner('reset@shop.example');
  });
  after(async () => { await bed?.close(); });

  const pathOf = (link: string) => { const url = new URL(link); return url.pathname + url.search; };
  const signIn = (password: string, browser = bed.browser()) => browser.submit('/sign-in', '/sign-in', { email: 'reset@shop.example', password, next: '/' });

  test('asking: the same page for a known and an unknown address; each gets its own email', async () => {
    const known = await bed.browser().submit('/password-reset', '/password-reset', { email: 'reset@shop.example' });
    const unknown = await bed.browser().submit('/password-reset', '/password-reset', { email: 'ghost@shop.example' });
    assert.equal(known.status, 200);
    assert.equal(unknown.status, 200);
    const normalize = (body: string) => body.replace(/value="[A-Za-z0-9_-]{43}"/g, '').replace(/reset@|ghost@/g, 'X@');
    assert.equal(normalize(known.body), normalize(unknown.body));
    assert.match((await bed.mailsTo('reset@shop.example'))[0]!.body, /password-reset\/choose\?token=[A-Za-z0-9_-]{43}/);
    const [ghostMail] = await bed.mailsTo('ghost@shop.example');
    assert.match(ghostMail!.body, /no account uses it/);
    assert.doesNotMatch(ghostMail!.body, /token=/);
  });

  test('choosing: policy enforced, sessions ended, signed in again (afterPassword), link single-use', async () => {
    const before = bed.browser();
    assert.equal((await signIn(STRONG_PASSWORD, before)).status, 303);
    await bed.browser().submit('/password-reset', '/password-reset', { email: 'reset@shop.example' });
    const link = await bed.linkFrom('reset@shop.example', /Reset your Strongroom password/);
    const browser = bed.browser();
    const form = await browser.get(pathOf(link));
    assert.equal(form.status, 200);
    assert.match(form.body, /minlength="12"/);
    const token = new URL(link).searchParams.get('token')!;

    const weak = await browser.post('/password-reset/choose', { _csrf: browser.csrf, token, password: 'password1234' });
    assert.equal(weak.status, 400);
    assert.match(weak.body, /too easy to guess/);

    const done = await browser.post('/password-reset/choose', { _csrf: browser.csrf, token, password: NEW_PASSWORD });
    assert.equal(done.status, 303);
    assert.equal(done.location, '/');
    assert.ok(browser.cookies.get(SESSION_COOKIE), 'the default afterPassword completes sign-in');
    assert.equal((await browser.get('/')).status, 200);
    assert.match((await before.get('/')).body, /id="welcome"/, 'the session from before the reset is over');

    assert.equal((await bed.browser().get(pathOf(link))).status, 400, 'the link worked once');
    assert.equal((await signIn(STRONG_PASSWORD)).status, 401, 'the old password is gone');
    assert.equal((await signIn(NEW_PASSWORD)).status, 303);
    assert.match((await bed.mailsTo('reset@shop.example'))[0]!.subject, /password was changed/);

    await bed.audit.chainNow();
    const reset = await sql<{ n: string }>`SELECT entry->'metadata'->>'sessions_ended' AS n FROM audit_log WHERE stream = ${owner.accountId} AND entry->>'action' = 'user.password_reset'`.execute(bed.db);
    assert.equal(reset.rows.length, 1);
    assert.ok(Number(reset.rows[0]!.n) >= 1);
  });

  test('a used link kills the others; an expired one never works', async () => {
    await bed.browser().submit('/password-reset', '/password-reset', { email: 'reset@shop.example' });
    const first = await bed.linkFrom('reset@shop.example', /Reset your/);
    await bed.browser().submit('/password-reset', '/password-reset', { email: 'reset@shop.example' });
    const second = await bed.linkFrom('reset@shop.example', /Reset your/);
    assert.notEqual(first, second);
    const browser = bed.browser();
    await browser.get(pathOf(second));
    assert.equal((await browser.post('/password-reset/choose', { _csrf: browser.csrf, token: new URL(second).searchParams.get('token')!, password: 'harbour tulip 19 silver comet' })).status, 303);
    assert.equal((await bed.browser().get(pathOf(first))).status, 400);

    await bed.db.deleteFrom('auth_throttle').execute();
    await bed.browser().submit('/password-reset', '/password-reset', { email: 'reset@shop.example' });
    const late = await bed.linkFrom('reset@shop.example', /Reset your/);
    await bed.database.ownerDb.updateTable('password_resets').set({ expires_at: new Date(Date.now() - 1000) }).where('used_at', 'is', null).execute();
    assert.equal((await bed.browser().get(pathOf(late))).status, 400);
  });

  test('PCI: none of the last four passwords again', async () => {
    await bed.db.deleteFrom('auth_throttle').execute();
    const history = ['amber falcon 31 river stone', 'cobalt meadow 52 quiet bell', 'ember lattice 73 north wind'];
    const choose = async (password: string) => {
      await bed.db.deleteFrom('auth_throttle').execute();
      await bed.browser().submit('/password-reset', '/password-reset', { email: 'reset@shop.example' });
      const link = await bed.linkFrom('reset@shop.example', /Reset your/);
      const browser = bed.browser();
      await browser.get(pathOf(link));
      return browser.post('/password-reset/choose', { _csrf: browser.csrf, token: new URL(link).searchParams.get('token')!, password });
    };
    for (const password of history) assert.equal((await choose(password)).status, 303);
    // Current: the last of `history`; before it the other two and the previous test's password.
    for (const reused of [...history, 'harbour tulip 19 silver comet']) {
      const refused = await choose(reused);
      assert.equal(refused.status, 400, reused);
      assert.match(refused.body, /not one of your last 4/);
    }
    assert.equal((await choose(NEW_PASSWORD)).status, 303, 'five changes ago is allowed again');
  });

  test('one address gets a few emails, then the dashboard waits before sending more', async () => {
    await bed.db.deleteFrom('auth_throttle').execute();
    const statuses: number[] = [];
    for (let i = 0; i < 6; i++) statuses.push((await bed.browser(`198.51.100.${100 + i}`).submit('/password-reset', '/password-reset', { email: 'flood@shop.example' })).status);
    assert.deepEqual(statuses.slice(0, 4), [200, 200, 200, 200]);
    assert.equal(statuses[5], 429);
    assert.equal((await bed.mailsTo('flood@shop.example')).length, 4);
  });
});
