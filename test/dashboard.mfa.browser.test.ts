// Second factors in a real Chromium against the real platform (every service; TOTP secrets sealed by
// the real KMS): TOTP enrolment and sign-in (codes computed here with otpauth), recovery codes,
// a passkey enrolled on a CDP virtual authenticator and used for usernameless sign-in, a recovery
// code that works once, and a step-up (with the passkey) before a protected action.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { CDPSession, Page } from 'playwright-core';
import { openDatabase, sql } from '#lib/db/index.ts';
import { totpCode } from '../services/dashboard/mfa/testing.ts';
import type { RunningPlatform } from './platform-harness.ts';
import { chromiumSkip as skip, startBrowserBed, type BrowserBed } from './browser-harness.ts';

describe('dashboard MFA in Chromium', { skip }, () => {
  let bed: BrowserBed;
  let platform: RunningPlatform;
  let page: Page;
  let cdp: CDPSession;
  let authenticatorId = '';
  let origin: string;
  let demo: { email: string; password: string };
  let totpKey = '';
  let recoveryCodes: string[] = [];
  let problems: string[];

  before(async () => {
    bed = await startBrowserBed();
    ({ platform, origin, problems } = bed);
    demo = JSON.parse(await readFile(join(platform.dataDir, 'demo.json'), 'utf8'));
    page = await bed.newPage();
    // A platform authenticator holding passkeys, that always verifies its user.
    cdp = await page.context().newCDPSession(page);
    await cdp.send('WebAuthn.enable');
    ({ authenticatorId } = await cdp.send('WebAuthn.addVirtualAuthenticator', {
      options: { protocol: 'ctap2', transport: 'internal', hasResidentKey: true, hasUserVerification: true, isUserVerified: true },
    }));
  });
  after(async () => { await bed?.close(); });

  const shot = (name: string) => bed.shot(page, name);
  const expectVisible = (selector: string) => bed.expectVisible(page, selector);

  async function signInWithPassword() {
    await page.goto(`${origin}/sign-in`);
    await page.getByLabel('Email').fill(demo.email);
    await page.getByLabel('Password', { exact: true }).fill(demo.password);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForLoadState();
  }

  async function signOut() {
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.waitForURL(/\/sign-in\?notice=signed-out$/);
  }

  const factorOfSession = async () => (await page.locator('dl.facts').innerText()).match(/with (\w+)/)?.[1];

  test('TOTP: enrol after a step-up with the password, create recovery codes, sign in with a code', async () => {
    await signInWithPassword();
    await expectVisible('#signed-in-email');
    await page.getByRole('link', { name: 'Security', exact: true }).click();
    await shot('security-empty');
    await page.getByRole('button', { name: 'Add an authenticator app' }).click();
    // No second factor yet: the step-up asks for the password, then comes back here.
    await page.waitForURL(/\/step-up\?next=%2Fsecurity$/);
    await shot('step-up-password');
    await page.getByLabel('Your password').fill(demo.password);
    await page.getByRole('button', { name: 'Confirm' }).click();
    await page.waitForURL(`${origin}/security`);
    await page.getByRole('button', { name: 'Add an authenticator app' }).click();
    await expectVisible('#totp-secret');
    totpKey = await page.locator('#totp-secret').innerText();
    assert.match(totpKey, /^[A-Z2-7]{32}$/);
    assert.match(await page.locator('#totp-uri').getAttribute('href') ?? '', /^otpauth:\/\/totp\/Strongroom:.+\?.*secret=[A-Z2-7]{32}/);
    await shot('totp-enrol');
    await page.getByLabel('Then enter the 6-digit code it shows').fill(totpCode(totpKey));
    await page.getByRole('button', { name: 'Turn on' }).click();
    await expectVisible('text=Your authenticator app is on.');
    assert.equal(await page.locator('#totp-state').innerText(), 'On.');

    await page.getByRole('button', { name: 'Create recovery codes' }).click();
    await expectVisible('#recovery-codes');
    recoveryCodes = await page.locator('#recovery-codes code').allInnerTexts();
    assert.equal(recoveryCodes.length, 10);
    await shot('recovery-codes');

    await page.goto(`${origin}/security`);
    await signOut();
    await signInWithPassword();
    await page.waitForURL(`${origin}/sign-in/second-factor`);
    await shot('second-factor');
    // The enrolment used this step's code; the next step's (inside the window) has not been used.
    await page.getByLabel('The 6-digit code from your authenticator app').fill(totpCode(totpKey, new Date(Date.now() + 30_000)));
    await page.getByRole('button', { name: 'Verify' }).click();
    await expectVisible('#signed-in-email');
    assert.equal(await factorOfSession(), 'totp');
  });

  test('passkey: enrolled on the virtual authenticator, then usernameless sign-in', async () => {
    await page.goto(`${origin}/security`);
    await page.getByLabel('Name it (so you can tell your keys apart)').fill('Virtual passkey');
    await page.getByRole('button', { name: 'Add a security key or passkey' }).click();
    await page.waitForURL(`${origin}/security?notice=webauthn-added`);
    assert.match(await page.locator('#credentials tbody').innerText(), /Virtual passkey/);
    await shot('security-with-passkey');
    const { credentials } = await cdp.send('WebAuthn.getCredentials', { authenticatorId });
    assert.equal(credentials.length, 1);
    assert.equal(credentials[0]!.isResidentCredential, true, 'a discoverable credential: a passkey');
    assert.equal(credentials[0]!.rpId, 'localhost');

    await signOut();
    await page.getByRole('link', { name: 'Sign in with a passkey' }).click();
    await shot('passkey-sign-in');
    await page.getByRole('button', { name: 'Sign in with a passkey' }).click();
    await expectVisible('#signed-in-email');
    assert.equal(await page.locator('#signed-in-email').innerText(), demo.email);
    assert.equal(await factorOfSession(), 'webauthn');
    const used = await cdp.send('WebAuthn.getCredentials', { authenticatorId });
    assert.ok(used.credentials[0]!.signCount >= 1);
  });

  test('a recovery code signs in once; the same code is then refused', async () => {
    await signOut();
    await signInWithPassword();
    await page.waitForURL(`${origin}/sign-in/second-factor`);
    await page.getByLabel('Recovery code').fill(recoveryCodes[0]!);
    await page.getByRole('button', { name: 'Use a recovery code' }).click();
    await expectVisible('#signed-in-email');
    assert.equal(await factorOfSession(), 'recovery_code');

    await signOut();
    await signInWithPassword();
    await page.waitForURL(`${origin}/sign-in/second-factor`);
    await page.getByLabel('Recovery code').fill(recoveryCodes[0]!);
    await page.getByRole('button', { name: 'Use a recovery code' }).click();
    await expectVisible('.alert li');
    assert.equal(await page.locator('.alert li').innerText(), 'That recovery code is not right, or it was used already.');
    assert.equal(new URL(page.url()).pathname, '/sign-in/second-factor/recovery-code');
    await shot('recovery-code-refused');
  });

  test('step-up with the passkey before a protected action, then the action', async () => {
    // Finish the sign-in left open above with the passkey as the second factor.
    await page.getByRole('button', { name: 'Use your security key or passkey' }).click();
    await expectVisible('#signed-in-email');
    assert.equal(await factorOfSession(), 'webauthn');
    // Eleven minutes pass (the step-up lasts ten): the session's last verification is made older.
    const config = JSON.parse(await readFile(join(platform.dataDir, 'services', 'dashboard', 'config.json'), 'utf8')) as { databaseUrl: string };
    const db = openDatabase(config.databaseUrl, { max: 1 });
    try {
      await sql`UPDATE sessions SET mfa_verified_at = now() - interval '11 minutes' WHERE ended_at IS NULL`.execute(db);
    } finally {
      await db.destroy();
    }

    await page.goto(`${origin}/account/settings`);
    assert.match(await page.locator('#require-mfa-state').innerText(), /not required/);
    await page.getByRole('button', { name: 'Require two-step verification for every member' }).click();
    await page.waitForURL(/\/step-up\?next=%2Faccount%2Fsettings$/);
    await shot('step-up');
    assert.equal(await page.locator('#password-form').count(), 0, 'with a second factor, the password is not enough');
    await page.getByRole('button', { name: 'Use your security key or passkey' }).click();
    await page.waitForURL(`${origin}/account/settings`);
    await page.getByRole('button', { name: 'Require two-step verification for every member' }).click();
    await page.waitForURL(`${origin}/account/settings?notice=mfa-required`);
    assert.match(await page.locator('#require-mfa-state').innerText(), /verification: required\./);
    await shot('account-settings');

    await page.getByRole('link', { name: 'Login history', exact: true }).click();
    const history = await page.locator('#login-history tbody').innerText();
    const rows = history.split('\n');
    for (const method of ['Authenticator app', 'Security key or passkey', 'Recovery code']) {
      assert.ok(rows.some((row) => /Signed in/.test(row) && row.includes(method)), `a sign-in with ${method}:\n${history}`);
    }
    assert.match(history, /Failed wrong recovery code\s+Recovery code/);
    assert.deepEqual(problems, [], 'no CSP violation, no script error');
  });
});
