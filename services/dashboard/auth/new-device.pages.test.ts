// "A sign-in from a new device or place": emailed when the device (browser family and OS, version
// ignored) and country appear together in none of the user's earlier successful sign-ins; never on
// the very first sign-in (after sign-up or an invitation there is no history to compare with).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startDashboardTestbed, STRONG_PASSWORD, type DashboardTestbed, type TestBrowser } from '../dashboard.testing.ts';
import { SESSION_COOKIE } from '../sessions/cookie.ts';
import { deviceFamily } from './new-device.ts';

const FIREFOX = 'Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:141.0) Gecko/20100101 Firefox/141.0';
const CHROME_NEXT = 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/141.0.0.0 Safari/537.36';
const SUBJECT = /a sign-in from a new device or place/;

test('deviceFamily drops the browser version only', () => {
  assert.equal(deviceFamily('Chrome 140 on Linux (desktop)'), 'Chrome on Linux (desktop)');
  assert.equal(deviceFamily('Microsoft Edge 120 on Windows (desktop)'), 'Microsoft Edge on Windows (desktop)');
  assert.equal(deviceFamily('Safari 17 (mobile)'), 'Safari (mobile)');
  assert.equal(deviceFamily('unknown browser on Linux'), 'unknown browser on Linux');
  assert.equal(deviceFamily('unknown device'), 'unknown device');
  assert.notEqual(deviceFamily('Chrome 140 on Linux (desktop)'), deviceFamily('Firefox 140 on Linux (desktop)'));
});

describe('the new-device email', () => {
  let bed: DashboardTestbed;
  before(async () => { bed = await startDashboardTestbed(); });
  after(async () => { await bed?.close(); });

  async function signIn(browser: TestBrowser, email: string, userAgent?: string) {
    await browser.get('/sign-in');
    const answer = await browser.post('/sign-in', { _csrf: browser.csrf, email, password: STRONG_PASSWORD, next: '/' }, userAgent ? { 'user-agent': userAgent } : {});
    assert.equal(answer.location, '/', `signed in (${answer.status})`);
    return answer;
  }
  const newDeviceMails = async (to: string) => (await bed.mailsTo(to)).filter((m) => SUBJECT.test(m.subject));

  test('not on the first sign-in (no history), not from a known device and country, but from a new device', async () => {
    await bed.createOwner('nd@shop.example');
    await signIn(bed.browser(), 'nd@shop.example');
    assert.equal((await newDeviceMails('nd@shop.example')).length, 0, 'the first sign-in has nothing to compare with');
    await signIn(bed.browser(), 'nd@shop.example');
    await signIn(bed.browser(), 'nd@shop.example', CHROME_NEXT);
    assert.equal((await newDeviceMails('nd@shop.example')).length, 0, 'the same device and country (a browser update is no new device)');

    await signIn(bed.browser('198.51.100.20'), 'nd@shop.example', FIREFOX);
    const [mail, ...more] = await newDeviceMails('nd@shop.example');
    assert.equal(more.length, 0);
    assert.match(mail!.body, /Device: Firefox 141 on Windows \(desktop\)/);
    assert.match(mail!.body, /IP address: 198\.51\.100\.20/);
    assert.match(mail!.body, /Country: unknown/);
    assert.match(mail!.body, /Time: \d{4}-\d\d-\d\d \d\d:\d\d UTC/);
    assert.ok(mail!.body.includes('https://dashboard.test/activity/sessions'));
    assert.ok(!/token|password:/i.test(mail!.body), 'no secret in it');
    await signIn(bed.browser('198.51.100.21'), 'nd@shop.example', FIREFOX);
    assert.equal((await newDeviceMails('nd@shop.example')).length, 1, 'known now');
  });

  test('a known device from a new country is new too', async () => {
    await bed.createOwner('abroad@shop.example');
    await signIn(bed.browser(), 'abroad@shop.example');
    await signIn(bed.browser('8.8.8.8'), 'abroad@shop.example');
    const [mail] = await newDeviceMails('abroad@shop.example');
    assert.match(mail!.body, /Country: US/);
    assert.match(mail!.body, /Device: Chrome 140 on Linux \(desktop\)/);
  });

  test('failed attempts are no history: a device seen only failing is still new when it succeeds', async () => {
    await bed.createOwner('fails@shop.example');
    await signIn(bed.browser(), 'fails@shop.example');
    const stranger = bed.browser();
    await stranger.get('/sign-in');
    const failed = await stranger.post('/sign-in', { _csrf: stranger.csrf, email: 'fails@shop.example', password: 'not the right password at all', next: '/' }, { 'user-agent': FIREFOX });
    assert.equal(failed.status, 401);
    await signIn(bed.browser(), 'fails@shop.example', FIREFOX);
    assert.equal((await newDeviceMails('fails@shop.example')).length, 1);
  });

  test('the first sign-in after sign-up mails nothing', async () => {
    const browser = bed.browser('8.8.4.4');
    await browser.submit('/sign-up', '/sign-up', { email: 'fresh@shop.example', password: STRONG_PASSWORD, business_name: 'Fresh Shop' });
    const token = new URL(await bed.linkFrom('fresh@shop.example', /Confirm your email/)).searchParams.get('token')!;
    await browser.get(`/verify-email?token=${token}`);
    const done = await browser.post('/verify-email', { _csrf: browser.csrf, token, password: STRONG_PASSWORD }, { 'user-agent': FIREFOX });
    assert.equal(done.location, '/');
    assert.ok(browser.cookies.get(SESSION_COOKIE));
    assert.equal((await newDeviceMails('fresh@shop.example')).length, 0);
    const history = await bed.db.selectFrom('login_events').innerJoin('users', 'users.id', 'login_events.user_id')
      .select(['outcome', 'device']).where('users.email', '=', 'fresh@shop.example').execute();
    assert.deepEqual(history, [{ outcome: 'success', device: 'Firefox 141 on Windows (desktop)' }], 'the history starts here');
  });
});
