// The dashboard's way in, in a real Chromium against the real platform (every service, real TLS and
// mTLS, the api creating the account): sign up, read the verification email from the dev outbox,
// verify, sign out, sign in, see the session, sign in from a second browser, revoke it there, and
// see its next request signed out; a wrong password gets the generic message; the login history
// lists it all.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { connect } from 'node:tls';
import type { Page } from 'playwright-core';
import type { RunningPlatform } from './platform-harness.ts';
import { chromiumSkip as skip, startBrowserBed, type BrowserBed } from './browser-harness.ts';

const EMAIL = 'owner@corner-shop.example';
const PASSWORD = 'violet canyon 42 harbour lantern';
const BUSINESS = 'Corner Shop Co.';

/** The dashboard's certificate, as Node sees it when trusting only the platform's CA (platform.caPem). */
async function verifiedCertificate(platform: RunningPlatform): Promise<X509Certificate> {
  return new Promise<X509Certificate>((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port: platform.ports.dashboard, servername: 'localhost', ca: platform.caPem }, () => {
      const peer = socket.getPeerX509Certificate();
      socket.end();
      if (!socket.authorized || !peer) reject(new Error(`dashboard certificate not trusted: ${String(socket.authorizationError)}`));
      else resolve(peer);
    });
    socket.on('error', reject);
  });
}

describe('dashboard sign-up, sign-in and sessions in Chromium', { skip }, () => {
  let bed: BrowserBed;
  let origin: string;
  let problems: string[];
  let certificate: X509Certificate;

  before(async () => {
    bed = await startBrowserBed();
    ({ origin, problems } = bed);
    certificate = await verifiedCertificate(bed.platform);
  });
  after(async () => { await bed?.close(); });

  // Chromium skips its own certificate check (see browser-harness.ts); the test checks that it was
  // served a certificate of the kind Node verified against platform.caPem.
  const newPage = () => bed.newPage();
  const expectVisible = (page: Page, selector: string) => bed.expectVisible(page, selector);
  const shot = (page: Page, name: string) => bed.shot(page, name);
  const signIn = (page: Page, password = PASSWORD, email = EMAIL) => bed.signIn(page, email, password);

  test('the whole way in, and a revoked session signed out at its next request', async () => {
    const page = await newPage();

    // Sign up, on the certificate the platform CA vouches for.
    const served = await (await page.goto(`${origin}/sign-up`))?.securityDetails();
    const seconds = (date: string) => Math.floor(Date.parse(date) / 1000);
    assert.deepEqual({ ...served, validFrom: undefined, validTo: undefined }, {
      issuer: 'Strongroom public CA (dev)', protocol: 'TLS 1.3', subjectName: 'localhost', validFrom: undefined, validTo: undefined,
    });
    assert.equal(certificate.issuer, 'CN=Strongroom public CA (dev)\nO=Strongroom');
    assert.equal(served!.validTo! - served!.validFrom!, seconds(certificate.validTo) - seconds(certificate.validFrom), 'the same issuance profile');
    await shot(page, 'sign-up');
    await page.getByLabel('Business name').fill(BUSINESS);
    await page.getByLabel('Email').fill(EMAIL);
    await page.getByLabel('Password').fill(PASSWORD);
    await page.getByRole('button', { name: 'Create account' }).click();
    await expectVisible(page, '#check-email');
    assert.match(await page.locator('#check-email').innerText(), /We sent an email to owner@corner-shop\.example/);

    // The verification email, from the development outbox.
    let link: string | undefined;
    for (let i = 0; i < 50 && !link; i++) {
      await page.goto(`${origin}/dev/outbox`);
      const mail = page.locator('article.mail', { has: page.locator('.recipient', { hasText: EMAIL }) }).filter({ hasText: 'Confirm your email' });
      if (await mail.count() > 0) link = (await mail.first().locator('pre').innerText()).match(/https:\/\/\S+/)?.[0];
      else await page.waitForTimeout(100);
    }
    assert.ok(link !== undefined && link.startsWith(`${origin}/verify-email?token=`), `verification link: ${link}`);
    await shot(page, 'dev-outbox');

    // Verify: the password again, and the account is created through the api.
    await page.goto(link);
    await shot(page, 'verify-email');
    await page.getByLabel('Password').fill(PASSWORD);
    await page.getByRole('button', { name: 'Confirm and sign in' }).click();
    await expectVisible(page, '#signed-in-email');
    assert.equal(await page.locator('#signed-in-email').innerText(), EMAIL);
    assert.match(await page.locator('dl.facts').innerText(), /acct_[0-9a-z]{19}[\s\S]*owner/);
    await shot(page, 'overview');

    // Sign out, sign in.
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.waitForURL(`${origin}/sign-in?notice=signed-out`);
    assert.match(await page.locator('p.notice').innerText(), /You have signed out/);
    assert.equal((await page.context().cookies()).some((c) => c.name === '__Host-strongroom_session'), false);
    await signIn(page);
    await expectVisible(page, '#signed-in-email');
    const cookie = (await page.context().cookies()).find((c) => c.name === '__Host-strongroom_session');
    assert.deepEqual([cookie?.secure, cookie?.httpOnly, cookie?.sameSite, cookie?.path, cookie?.domain], [true, true, 'Strict', '/', 'localhost']);
    assert.equal(await page.evaluate('document.cookie'), '', 'no script can read the session (or form) cookie');

    // The sessions page shows this session.
    await page.getByRole('link', { name: 'Sessions', exact: true }).click();
    const rows = page.locator('#sessions tbody tr');
    assert.equal(await rows.count(), 1);
    const mine = await rows.first().innerText();
    assert.match(mine, /Chrome \d+ on Linux \(desktop\)\s+this session/);
    assert.match(mine, /127\.0\.0\.1\s+Unknown/);
    assert.match(mine, /\d{4}-\d\d-\d\d \d\d:\d\d UTC/);

    // A second browser signs in; the first revokes it; its next request is signed out.
    const other = await newPage();
    await signIn(other);
    await expectVisible(other, '#signed-in-email');
    await page.reload();
    assert.equal(await rows.count(), 2);
    await shot(page, 'sessions');
    const otherRow = page.locator('#sessions tbody tr:not(.current)');
    await otherRow.getByRole('button', { name: /Revoke/ }).click();
    await page.waitForURL(`${origin}/activity/sessions?notice=revoked`);
    assert.equal(await rows.count(), 1);
    assert.equal(await page.locator('#sessions tbody tr.current').count(), 1);
    await other.goto(`${origin}/activity/sessions`);
    assert.equal(new URL(other.url()).pathname, '/sign-in', 'the revoked browser is signed out');
    assert.equal(new URL(other.url()).searchParams.get('next'), '/activity/sessions');

    // A wrong password, and an unknown email, get the same generic message.
    await signIn(other, 'not my password at all');
    assert.equal(await other.locator('.alert li').innerText(), 'The email address or password is not right.');
    await shot(other, 'sign-in-failed');
    await signIn(other, PASSWORD, 'nobody@corner-shop.example');
    assert.equal(await other.locator('.alert li').innerText(), 'The email address or password is not right.');

    // The login history lists the successes and the failure, with the factor and the device.
    await page.getByRole('link', { name: 'Login history', exact: true }).click();
    const history = await page.locator('#login-history tbody').innerText();
    const lines = history.trim().split('\n');
    assert.equal(lines.filter((l) => /Signed in\s+Password\s+127\.0\.0\.1\s+Unknown\s+Chrome/.test(l)).length, 3, history);
    assert.equal(lines.filter((l) => /Failed wrong password\s+Password\s+127\.0\.0\.1/.test(l)).length, 1, history);
    assert.match(lines[0]!, /Failed/, 'newest first');
    await shot(page, 'login-history');

    assert.deepEqual(problems, [], 'no CSP violation, no script error');
  });
});
