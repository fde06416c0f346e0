// The sessions page and login history page, for the signed-in user only.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startDashboardTestbed, STRONG_PASSWORD, type DashboardTestbed, type TestBrowser } from '../dashboard.testing.ts';

describe('activity pages', () => {
  let bed: DashboardTestbed;
  before(async () => {
    bed = await startDashboardTestbed();
    await bed.createOwner('act@shop.example');
    await bed.createOwner('other@shop.example');
  });
  after(async () => { await bed?.close(); });

  async function signedIn(ip: string, email = 'act@shop.example'): Promise<TestBrowser> {
    const browser = bed.browser(ip);
    const answer = await browser.submit('/sign-in', '/sign-in', { email, password: STRONG_PASSWORD, next: '/' });
    assert.equal(answer.status, 303);
    return browser;
  }
  const sessionIds = (body: string) => [...body.matchAll(/data-session-id="(sess_[0-9a-z]{19})"/g)].map((m) => m[1]!);

  test('signed out, both pages send you to sign in and back', async () => {
    for (const path of ['/activity/sessions', '/activity/login-history']) {
      const answer = await bed.browser().get(path);
      assert.equal(answer.status, 303);
      assert.equal(answer.location, `/sign-in?next=${encodeURIComponent(path)}`);
    }
  });

  test('sessions: listed with device, IP, location and times; revoke one; its next request is signed out', async () => {
    const first = await signedIn('198.51.100.31');
    const second = await signedIn('8.8.8.8');
    const page = await first.get('/activity/sessions');
    assert.equal(page.status, 200);
    const ids = sessionIds(page.body);
    assert.equal(ids.length, 2);
    assert.match(page.body, /Chrome 140 on Linux \(desktop\)/);
    assert.match(page.body, /<td>8\.8\.8\.8<\/td>\s*<td>US<\/td>/);
    assert.match(page.body, /<td>198\.51\.100\.31<\/td>\s*<td>Unknown<\/td>/);
    assert.match(page.body, /this session/);
    assert.equal([...page.body.matchAll(/<time datetime="\d{4}-\d\d-\d\dT/g)].length, 4);

    const current = ids.find((id) => page.body.includes(`data-session-id="${id}" class="current"`))!;
    const other = ids.find((id) => id !== current)!;
    const revoked = await first.post(`/activity/sessions/${other}/revoke`, { _csrf: first.csrf });
    assert.equal(revoked.status, 303);
    assert.equal(revoked.location, '/activity/sessions?notice=revoked');
    assert.deepEqual(sessionIds((await first.get('/activity/sessions')).body), [current]);
    const next = await second.get('/activity/sessions');
    assert.equal(next.status, 303);
    assert.match(next.location!, /^\/sign-in/);
  });

  test("another user's session, or a made-up id, is not found (404) and stays live", async () => {
    const mine = await signedIn('198.51.100.32');
    const theirs = await signedIn('198.51.100.33', 'other@shop.example');
    const theirId = sessionIds((await theirs.get('/activity/sessions')).body)[0]!;
    await mine.get('/activity/sessions');
    for (const id of [theirId, 'sess_aaaaaaaaaaaaaaaaaaa', 'nonsense', '..%2F..']) {
      const answer = await mine.post(`/activity/sessions/${id}/revoke`, { _csrf: mine.csrf });
      assert.equal(answer.status, 404, id);
    }
    assert.equal((await theirs.get('/')).status, 200);
    assert.equal((await mine.post(`/activity/sessions/${theirId}/revoke`, {})).status, 403, 'no token, no revocation');
  });

  test('revoke every other session keeps this one; revoking this one signs out', async () => {
    const keep = await signedIn('198.51.100.34');
    const others = [await signedIn('198.51.100.35'), await signedIn('198.51.100.36')];
    await keep.get('/activity/sessions');
    const answer = await keep.post('/activity/sessions/revoke-others', { _csrf: keep.csrf });
    assert.equal(answer.location, '/activity/sessions?notice=others-revoked');
    for (const other of others) assert.match((await other.get('/')).body, /id="welcome"/);
    const page = await keep.get(answer.location!);
    assert.match(page.body, /<p class="notice" role="status">Every other session was signed out\.<\/p>/);
    const [own] = sessionIds(page.body);
    const out = await keep.post(`/activity/sessions/${own}/revoke`, { _csrf: keep.csrf });
    assert.equal(out.location, '/sign-in?notice=signed-out');
    assert.match((await keep.get('/')).body, /id="welcome"/);
  });

  test('login history: successes and failures, with method, address, location and device, only your own', async () => {
    const stranger = bed.browser('8.8.4.4');
    await stranger.submit('/sign-in', '/sign-in', { email: 'act@shop.example', password: 'a guess that is wrong', next: '/' });
    const browser = await signedIn('198.51.100.37');
    const page = await browser.get('/activity/login-history');
    assert.equal(page.status, 200);
    assert.match(page.body, /<span class="tag failure">Failed<\/span> <span class="note">wrong password<\/span>/);
    assert.match(page.body, /<td>8\.8\.4\.4<\/td>\s*<td>US<\/td>/);
    assert.match(page.body, /<span class="tag success">Signed in<\/span>/);
    assert.match(page.body, /<td>Password<\/td>/);
    const others = await (await signedIn('198.51.100.38', 'other@shop.example')).get('/activity/login-history');
    assert.doesNotMatch(others.body, /8\.8\.4\.4/, "someone else's history is not shown");
  });
});
