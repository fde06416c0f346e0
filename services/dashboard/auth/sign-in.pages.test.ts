// Sign-in, sign-out, CSRF and the page plumbing, through the real pages.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { sql } from '#lib/db/index.ts';
import { SESSION_COOKIE } from '../sessions/cookie.ts';
import { PAGE_CSP } from '../web/csp.ts';
import { CSRF_COOKIE } from '../web/csrf.ts';
import { startDashboardTestbed, STRONG_PASSWORD, type DashboardTestbed } from '../dashboard.testing.ts';
import { WRONG_CREDENTIALS } from './sign-in.routes.ts';

describe('sign-in pages', () => {
  let bed: DashboardTestbed;
  let owner: { userId: string; accountId: string };
  before(async () => {
    bed = await startDashboardTestbed();
    owner = await bed.createOwner('owner@shop.example');
  });
  after(async () => { await bed?.close(); });

  const signIn = (browser = bed.browser(), email = 'owner@shop.example', password = STRONG_PASSWORD, next = '/') =>
    browser.submit('/sign-in', '/sign-in', { email, password, next });

  test('a right password: 303 home, a fresh __Host- session cookie, strict pages', async () => {
    const browser = bed.browser();
    const page = await browser.get('/sign-in');
    assert.equal(page.headers['content-security-policy'], PAGE_CSP);
    assert.equal(page.headers['cache-control'], 'no-store');
    assert.equal(page.headers['referrer-policy'], 'same-origin', 'so form posts carry their Origin');
    assert.match(String(page.headers['strict-transport-security']), /max-age=\d+/);
    assert.equal(CSRF_COOKIE, '__Host-strongroom_csrf');
    assert.match(String(page.headers['set-cookie']), /^__Host-strongroom_csrf=[A-Za-z0-9_-]{43}; Path=\/; HttpOnly; Secure; SameSite=Strict$/);
    assert.match(page.body, /<html lang="en">/);
    assert.match(page.body, /<label for="email">Email<\/label>/);
    assert.doesNotMatch(page.body, /<script|style=/, 'no inline script or style');

    const answer = await browser.post('/sign-in', { _csrf: browser.csrf, email: 'OWNER@shop.example', password: STRONG_PASSWORD, next: '/' });
    assert.equal(answer.status, 303);
    assert.equal(answer.location, '/');
    const setCookie = String(answer.headers['set-cookie']);
    assert.equal(SESSION_COOKIE, '__Host-strongroom_session');
    assert.match(setCookie, /^__Host-strongroom_session=[A-Za-z0-9_-]{43}; Path=\/; HttpOnly; Secure; SameSite=Strict$/);
    const token = browser.cookies.get(SESSION_COOKIE)!;
    const stored = await bed.db.selectFrom('sessions').select(['token_hash', 'factor', 'country', 'device', 'ip']).where('user_id', '=', owner.userId).execute();
    assert.equal(stored.length, 1);
    assert.ok(!stored[0]!.token_hash.equals(Buffer.from(token)), 'only the hash is stored');
    assert.deepEqual({ ...stored[0], token_hash: undefined }, { token_hash: undefined, factor: 'password', country: 'unknown', device: 'Chrome 140 on Linux (desktop)', ip: '198.51.100.7' });

    // Signed in, the sign-in page sends you home; signing in again (another tab signed out) gets a new token.
    assert.equal((await browser.get('/sign-in')).location, '/');
    browser.cookies.delete(SESSION_COOKIE);
    const second = await signIn(browser);
    assert.equal(second.status, 303);
    assert.notEqual(browser.cookies.get(SESSION_COOKIE), token, 'every sign-in gets a new token');
  });

  test('wrong password and unknown email: the same status and page, and only the real user has a history row', async () => {
    const wrong = await signIn(bed.browser('198.51.100.20'), 'owner@shop.example', 'definitely not the password');
    const unknown = await signIn(bed.browser('198.51.100.21'), 'nobody@shop.example', 'definitely not the password');
    assert.equal(wrong.status, 401);
    assert.equal(unknown.status, 401);
    const normalize = (body: string) => body.replace(/value="[A-Za-z0-9_-]{43}"/g, '').replace(/owner@|nobody@/g, 'X@');
    assert.equal(normalize(wrong.body), normalize(unknown.body));
    assert.ok(wrong.body.includes(WRONG_CREDENTIALS));
    const history = await bed.db.selectFrom('login_events').select(['outcome', 'reason', 'ip']).where('user_id', '=', owner.userId).where('ip', '=', '198.51.100.20').execute();
    assert.deepEqual(history, [{ outcome: 'failure', reason: 'wrong_password', ip: '198.51.100.20' }]);
    await bed.audit.chainNow();
    const failures = await sql<{ reason: string }>`SELECT entry->'outcome'->>'reason' AS reason FROM audit_log WHERE entry->>'action' = 'user.sign_in' AND entry->'outcome'->>'result' = 'failure' AND entry->'origin'->>'ip' IN ('198.51.100.20', '198.51.100.21') ORDER BY seq`.execute(bed.db);
    assert.deepEqual(failures.rows.map((r) => r.reason).sort(), ['unknown_user', 'wrong_password']);
  });

  test('an unknown email costs an Argon2id verify like a real one (no timing tell)', async () => {
    const owners = await Promise.all([1, 2, 3, 4, 5].map((i) => bed.createOwner(`timing${i}@shop.example`)));
    assert.equal(owners.length, 5);
    const known: number[] = [];
    const unknown: number[] = [];
    for (let round = 0; round < 3; round++) {
      for (let i = 1; i <= 5; i++) {
        for (const [list, email] of [[known, `timing${i}@shop.example`], [unknown, `ghost${round}-${i}@shop.example`]] as const) {
          const browser = bed.browser(`203.0.113.${round * 10 + i}`);
          await browser.get('/sign-in');
          const started = process.hrtime.bigint();
          const answer = await browser.post('/sign-in', { _csrf: browser.csrf, email, password: 'a wrong password for timing', next: '/' });
          list.push(Number(process.hrtime.bigint() - started) / 1e6);
          assert.equal(answer.status, 401);
        }
      }
    }
    const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
    const ratio = median(unknown) / median(known);
    assert.ok(ratio > 0.5 && ratio < 2, `median unknown ${median(unknown).toFixed(1)} ms vs known ${median(known).toFixed(1)} ms`);
  });

  test('throttling: after the free attempts the next one waits, whether or not the account exists', async () => {
    await bed.db.deleteFrom('auth_throttle').execute();
    for (const email of ['owner@shop.example', 'stranger@shop.example']) {
      const browser = bed.browser('198.51.100.50');
      // The PCI profile's three free failures, the fourth, then waits (a slow machine may outlast the first, short ones).
      let failures = 0;
      let answer = await signIn(browser, email, 'wrong wrong wrong');
      while (answer.status === 401 && failures < 10) {
        failures++;
        answer = await signIn(browser, email, 'wrong wrong wrong');
      }
      assert.ok(failures >= 4, `${email}: ${failures} failures before the first wait`);
      assert.equal(answer.status, 429, email);
      assert.match(answer.body, /Too many attempts/);
      assert.ok(Number(answer.headers['retry-after']) >= 1);
    }
    // A locked account refuses even the right password, and the owner's history says so.
    const key = (await import('./throttle.store.ts')).emailKey('owner@shop.example');
    await bed.db.updateTable('auth_throttle').set({ locked_until: new Date(Date.now() + 60_000) }).where('scope', '=', 'account').where('key', '=', key).execute();
    const blocked = await signIn(bed.browser('198.51.100.51'));
    assert.equal(blocked.status, 429);
    const last = await bed.db.selectFrom('login_events').select('reason').where('user_id', '=', owner.userId).orderBy('id', 'desc').limit(1).executeTakeFirstOrThrow();
    assert.equal(last.reason, 'locked');
    await bed.db.deleteFrom('auth_throttle').execute();
  });

  test('sign-out ends the session: the old cookie no longer works', async () => {
    const browser = bed.browser();
    await signIn(browser);
    const token = browser.cookies.get(SESSION_COOKIE)!;
    assert.equal((await browser.get('/')).status, 200);
    const out = await browser.post('/sign-out', { _csrf: browser.csrf });
    assert.equal(out.status, 303);
    assert.equal(out.location, '/sign-in?notice=signed-out');
    assert.equal(browser.cookies.has(SESSION_COOKIE), false, 'the cookie is cleared');
    browser.cookies.set(SESSION_COOKIE, token);
    const replay = await browser.get('/activity/sessions');
    assert.equal(replay.status, 303);
    assert.equal(replay.location, '/sign-in?next=%2Factivity%2Fsessions');
    const ended = await bed.db.selectFrom('sessions').select('end_reason').where('token_hash', '=', (await import('../sessions/tokens.ts')).hashToken(token)).executeTakeFirstOrThrow();
    assert.equal(ended.end_reason, 'sign_out');
  });

  test('next: only same-site paths', async () => {
    assert.equal((await signIn(bed.browser(), undefined, undefined, '/activity/sessions')).location, '/activity/sessions');
    for (const next of ['//evil.example/', 'https://evil.example/', '/\\evil.example', ['java', 'script:alert(1)'].join('')]) {
      assert.equal((await signIn(bed.browser(), undefined, undefined, next)).location, '/', next);
    }
  });

  test('CSRF: no token, a wrong token, another origin or a cross-site fetch are refused with 403', async () => {
    const browser = bed.browser();
    await browser.get('/sign-in');
    const fields = { email: 'owner@shop.example', password: STRONG_PASSWORD, next: '/' };
    const refusals = [
      await browser.post('/sign-in', fields),
      await browser.post('/sign-in', { ...fields, _csrf: 'A'.repeat(43) }),
      await browser.post('/sign-in', { ...fields, _csrf: browser.csrf }, { origin: 'https://evil.example' }),
      await browser.post('/sign-in', { ...fields, _csrf: browser.csrf }, { 'sec-fetch-site': 'cross-site' }),
      await browser.post('/sign-in', { ...fields, _csrf: browser.csrf }, { 'sec-fetch-site': 'same-site' }),
    ];
    for (const refusal of refusals) {
      assert.equal(refusal.status, 403);
      assert.match(refusal.body, /did not come from this site/);
    }
    const ok = await browser.post('/sign-in', { ...fields, _csrf: browser.csrf }, { origin: 'https://localhost:80', 'sec-fetch-site': 'same-origin' });
    assert.equal(ok.status, 303);
    // Signed in, the form token is the session's: the pre-session one no longer posts.
    const preSession = browser.cookies.get(CSRF_COOKIE)!;
    assert.equal((await browser.post('/sign-out', { _csrf: preSession })).status, 403);
    await browser.get('/');
    assert.notEqual(browser.csrf, preSession);
    assert.equal((await browser.post('/sign-out', { _csrf: browser.csrf })).status, 303);
  });

  test('unknown pages get the HTML 404 page; the dev outbox is served outside production', async () => {
    const missing = await bed.browser().get('/no/such/page');
    assert.equal(missing.status, 404);
    assert.match(String(missing.headers['content-type']), /^text\/html/);
    assert.match(missing.body, /Page not found/);
    assert.equal((await bed.browser().post('/no/such/form', { a: 'b' })).status, 404);
    assert.equal((await bed.browser().get('/dev/outbox')).status, 200);
    const css = await bed.browser().get('/assets/dashboard.css');
    assert.equal(css.status, 200);
    assert.match(String(css.headers['content-type']), /^text\/css/);
  });
});

describe('production', () => {
  test('no /dev/outbox page', async () => {
    const bed = await startDashboardTestbed({ settings: { production: true, mail: { from: 'x@y.z', smtpUrl: 'smtps://smtp.invalid:465' } } });
    try {
      assert.equal((await bed.browser().get('/dev/outbox')).status, 404);
    } finally {
      await bed.close();
    }
  });
});
