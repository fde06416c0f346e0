// Sign-up and email verification through the real pages: the link, the password asked again, the
// account created through the api, the same answer for an address that already has an account.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { sql } from '#lib/db/index.ts';
import { SESSION_COOKIE } from '../sessions/cookie.ts';
import { startDashboardTestbed, STRONG_PASSWORD, type DashboardTestbed } from '../dashboard.testing.ts';

describe('sign-up pages', () => {
  let bed: DashboardTestbed;
  before(async () => { bed = await startDashboardTestbed(); });
  after(async () => { await bed?.close(); });

  const pathOf = (link: string) => { const url = new URL(link); return url.pathname + url.search; };

  test('sign up → email → link → password again → signed in as the owner of a new account', async () => {
    const browser = bed.browser();
    const sent = await browser.submit('/sign-up', '/sign-up', { email: ' Ada@Shop.Example ', password: STRONG_PASSWORD, business_name: 'Ada Shop' });
    assert.equal(sent.status, 200);
    assert.match(sent.body, /We sent an email to ada@shop\.example/);
    assert.equal(bed.accounts.calls.length, 0, 'nothing is created before the link is used');
    assert.equal((await bed.db.selectFrom('users').select('id').where('email', '=', 'ada@shop.example').execute()).length, 0);

    const link = await bed.linkFrom('ada@shop.example', /Confirm your email/);
    assert.match(link, /^https:\/\/dashboard\.test\/verify-email\?token=[A-Za-z0-9_-]{43}$/);
    const stored = await bed.db.selectFrom('signups').select(['token_hash', 'password_hash']).where('email', '=', 'ada@shop.example').executeTakeFirstOrThrow();
    assert.ok(!stored.token_hash.toString('hex').includes(new URL(link).searchParams.get('token')!), 'the token is stored hashed');
    assert.match(stored.password_hash, /^\$argon2id\$v=19\$m=19456,t=2,p=1\$/);

    const confirm = await browser.get(pathOf(link));
    assert.equal(confirm.status, 200);
    assert.match(confirm.body, /Ada Shop/);
    const wrong = await browser.post('/verify-email', { _csrf: browser.csrf, token: new URL(link).searchParams.get('token')!, password: 'not the one I chose at all' });
    assert.equal(wrong.status, 401);
    assert.match(wrong.body, /not the password you chose/);
    assert.equal(bed.accounts.calls.length, 0);

    const done = await browser.post('/verify-email', { _csrf: browser.csrf, token: new URL(link).searchParams.get('token')!, password: STRONG_PASSWORD });
    assert.equal(done.status, 303);
    assert.equal(done.location, '/');
    assert.ok(browser.cookies.get(SESSION_COOKIE));
    assert.deepEqual(bed.accounts.calls, [{ email: 'ada@shop.example', name: 'Ada Shop' }]);
    const user = await bed.db.selectFrom('users').innerJoin('memberships', 'memberships.user_id', 'users.id')
      .select(['users.id', 'users.email_verified', 'memberships.roles', 'memberships.account_id']).where('users.email', '=', 'ada@shop.example').executeTakeFirstOrThrow();
    assert.equal(user.email_verified, true);
    assert.deepEqual(user.roles, ['owner']);
    const home = await browser.get('/');
    assert.equal(home.status, 200);
    assert.match(home.body, /Signed in as <strong id="signed-in-email">ada@shop\.example<\/strong>/);
    assert.ok(home.body.includes(user.account_id));

    // The link worked once.
    const again = await bed.browser().get(pathOf(link));
    assert.equal(again.status, 400);
    await bed.audit.chainNow();
    const actions = await sql<{ action: string }>`SELECT entry->>'action' AS action FROM audit_log WHERE stream = ${user.account_id} ORDER BY seq`.execute(bed.db);
    assert.deepEqual(actions.rows.map((r) => r.action), ['user.sign_up', 'user.sign_in']);
  });

  test('an address that has an account gets the same page and status, and an email saying so instead of a link', async () => {
    await bed.createOwner('taken@shop.example');
    const known = await bed.browser().submit('/sign-up', '/sign-up', { email: 'taken@shop.example', password: STRONG_PASSWORD, business_name: 'Taken' });
    const fresh = await bed.browser().submit('/sign-up', '/sign-up', { email: 'fresh@shop.example', password: STRONG_PASSWORD, business_name: 'Taken' });
    assert.equal(known.status, fresh.status);
    const normalize = (body: string) => body.replace(/value="[A-Za-z0-9_-]{43}"/g, '').replaceAll('taken@', 'X@').replaceAll('fresh@', 'X@');
    assert.equal(normalize(known.body), normalize(fresh.body), 'the pages differ only by the address typed');
    const [mail] = await bed.mailsTo('taken@shop.example');
    assert.match(mail!.subject, /already have a Strongroom account/);
    assert.doesNotMatch(mail!.body, /token=/);
    assert.equal((await bed.db.selectFrom('signups').select('id').where('email', '=', 'taken@shop.example').execute()).length, 0);
  });

  test('weak, short or context-derived passwords are refused with reasons, and nothing is sent', async () => {
    const cases: Array<[string, RegExp]> = [
      ['short1', /at least 12 characters/],
      ['onlylettersbutlong', /letters and digits/],
      ['password12345678', /too easy to guess/],
      ['LanternShop123', /too easy to guess/],
    ];
    for (const [password, reason] of cases) {
      const answer = await bed.browser().submit('/sign-up', '/sign-up', { email: 'weak@shop.example', password, business_name: 'Lantern Shop' });
      assert.equal(answer.status, 400, password);
      assert.match(answer.body, reason, password);
      assert.match(answer.body, /value="weak@shop\.example"/, 'the form keeps what was typed, never the password');
      assert.ok(!answer.body.includes(password), 'the password is not echoed');
    }
    assert.deepEqual(await bed.mailsTo('weak@shop.example'), []);
  });

  test('a failing api leaves the link usable for a retry', async () => {
    const browser = bed.browser();
    await browser.submit('/sign-up', '/sign-up', { email: 'retry@shop.example', password: STRONG_PASSWORD, business_name: 'Retry' });
    const token = new URL(await bed.linkFrom('retry@shop.example', /Confirm/)).searchParams.get('token')!;
    bed.accounts.failNext = true;
    await browser.get(`/verify-email?token=${token}`);
    const failed = await browser.post('/verify-email', { _csrf: browser.csrf, token, password: STRONG_PASSWORD });
    assert.equal(failed.status, 502);
    assert.match(failed.body, /try again/);
    const retried = await browser.post('/verify-email', { _csrf: browser.csrf, token, password: STRONG_PASSWORD });
    assert.equal(retried.status, 303);
  });

  test('malformed and forged links are refused without a 500', async () => {
    for (const token of ['', 'short', 'A'.repeat(43), '%00', 'A'.repeat(5000)]) {
      const answer = await bed.browser().get(`/verify-email?token=${encodeURIComponent(token)}`);
      assert.ok([400, 414].includes(answer.status), `${token.slice(0, 10)}: ${answer.status}`);
    }
  });
});
