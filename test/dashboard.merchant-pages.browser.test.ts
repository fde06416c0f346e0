// The audit log, API keys and support pages in a real Chromium against the real platform (every
// service, real TLS and mTLS): a new owner sees their sign-in in the audit log, filters it, downloads
// the CSV and checks the chain; creates an API key (after the step-up) and sees the secret once; a
// View Only member gets 403 on the keys page; a request recorded by the support desk (the real
// `strongroom support` command) waits until the owner confirms it signed in, with the desk's view shown.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { Page } from 'playwright-core';
import { newId } from '#lib/contracts/index.ts';
import { openDatabase } from '#lib/db/index.ts';
import type { DashboardDatabase } from '../services/dashboard/db.ts';
import { hashPassword } from '../services/dashboard/users/passwords.ts';
import { chromiumSkip as skip, startBrowserBed, type BrowserBed } from './browser-harness.ts';

const EMAIL = 'owner@lantern-books.example';
const VIEWER = 'viewer@lantern-books.example';
const PASSWORD = 'amber orchard 73 quiet meridian';

describe('audit log and API keys in Chromium', { skip }, () => {
  let bed: BrowserBed;
  let origin: string;
  let problems: string[];

  before(async () => {
    bed = await startBrowserBed();
    ({ origin, problems } = bed);
  });
  after(async () => { await bed?.close(); });

  const newPage = (options?: { acceptDownloads?: boolean }) => bed.newPage(options);
  const expectVisible = (page: Page, selector: string) => bed.expectVisible(page, selector);
  const shot = (page: Page, name: string) => bed.shot(page, name);
  const outboxMail = (page: Page, to: string, subject: string) => bed.outboxMail(page, to, subject);
  async function signIn(page: Page, email: string) {
    await bed.signIn(page, email, PASSWORD);
    await expectVisible(page, '#signed-in-email');
  }

  /** A View Only member of the account, as an invitation accepted would leave it (team/'s tables). */
  async function addViewOnlyMember(accountId: string): Promise<void> {
    const config = JSON.parse(await readFile(join(bed.platform.dataDir, 'services', 'dashboard', 'config.json'), 'utf8')) as { databaseUrl: string };
    const db = openDatabase<DashboardDatabase>(config.databaseUrl, { max: 1 });
    try {
      const userId = newId('user');
      await db.insertInto('users').values({ id: userId, email: VIEWER, password_hash: await hashPassword(PASSWORD), email_verified: true }).execute();
      await db.insertInto('memberships').values({ user_id: userId, account_id: accountId, roles: ['view_only'] }).execute();
    } finally {
      await db.destroy();
    }
  }

  test('audit log (filter, CSV, integrity), a key shown once, and 403 for View Only', async () => {
    const page = await newPage({ acceptDownloads: true });
    const accountId = await bed.signUp(page, { business: 'Lantern Books', email: EMAIL, password: PASSWORD });
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.waitForURL(/\/sign-in/);
    await signIn(page, EMAIL);

    // The audit log: the sign-in is there (entries show once chained, within a moment).
    await page.getByRole('link', { name: 'Audit log', exact: true }).click();
    const signIns = page.locator('#audit-entries tbody tr', { hasText: 'user.sign_in' });
    for (let i = 0; i < 30 && await signIns.count() === 0; i++) {
      await page.waitForTimeout(200);
      await page.reload();
    }
    assert.ok(await signIns.count() >= 1, 'the sign-in is in the audit log');
    const row = await signIns.first().innerText();
    assert.ok(row.includes(EMAIL) && row.includes('success') && row.includes('127.0.0.1'), row);
    await shot(page, 'audit-log');

    await page.getByLabel('Action').fill('user.sign_in');
    await page.getByRole('button', { name: 'Filter' }).click();
    await page.waitForURL(/action=user\.sign_in/);
    const actions = await page.locator('#audit-entries tbody tr td:nth-child(3) code').allInnerTexts();
    assert.ok(actions.length >= 1 && actions.every((a) => a === 'user.sign_in'), actions.join(','));

    const [download] = await Promise.all([page.waitForEvent('download'), page.locator('#export-csv').click()]);
    assert.match(download.suggestedFilename(), /^audit-log-dashboard-[0-9T-]+\.csv$/);
    const csv = await readFile((await download.path())!, 'utf8');
    const lines = csv.trim().split('\r\n');
    assert.match(lines[0]!, /^"time","service","seq","actor_type","actor_id","actor_email","action"/);
    assert.equal(lines.length - 1, actions.length, 'the same entries as the filtered page');
    assert.ok(lines.slice(1).every((l) => l.includes('"user.sign_in"') && l.includes(`"${EMAIL}"`)));

    await page.locator('#integrity-link').click();
    await expectVisible(page, '#integrity-dashboard');
    assert.match(await page.locator('#integrity-dashboard').innerText(), /OK[\s\S]*entries linked from the first/);
    assert.match(await page.locator('#integrity-api').innerText(), /OK[\s\S]*entries linked from the first/);
    await shot(page, 'audit-log-integrity');

    // API keys: public keys in full; a new secret key, after the step-up, shown once.
    await page.getByRole('link', { name: 'API keys', exact: true }).click();
    assert.match(await page.locator('#api-keys').innerText(), /pkey_test_[0-9a-z]+/);
    await page.locator('#key-kind').selectOption('secret');
    await page.getByRole('button', { name: 'Create key' }).click();
    await page.waitForLoadState();
    // A password-only session must prove itself again first (the step-up page, then back to the form).
    assert.equal(new URL(page.url()).pathname, '/step-up', 'creating a key asks for a step-up');
    await page.getByLabel('Your password').fill(PASSWORD);
    await page.getByRole('button', { name: 'Confirm' }).click();
    await page.waitForURL(`${origin}/api-keys`);
    await page.locator('#key-kind').selectOption('secret');
    await page.getByRole('button', { name: 'Create key' }).click();
    await expectVisible(page, '#new-secret-key');
    const secret = (await page.locator('#new-secret-key').innerText()).trim();
    assert.match(secret, /^skey_test_[0-9a-z]+$/);
    await shot(page, 'api-key-created');
    await page.locator('#done').click();
    await expectVisible(page, '#api-keys');
    assert.ok(!(await page.content()).includes(secret), 'never shown again');
    assert.ok((await page.locator('#api-keys').innerText()).includes(`skey_…${secret.slice(-4)}`));
    await shot(page, 'api-keys');
    const mail = await outboxMail(page, EMAIL, 'New test API key');
    assert.ok(mail.includes(secret.slice(-4)) && !mail.includes(secret));

    // A View Only member: no keys page.
    await addViewOnlyMember(accountId);
    const viewer = await newPage();
    await signIn(viewer, VIEWER);
    const refused = await viewer.goto(`${origin}/api-keys`);
    assert.equal(refused?.status(), 403);
    assert.match(await viewer.locator('#error-message').innerText(), /your role does not allow this/);
    await shot(viewer, 'api-keys-forbidden');

    assert.deepEqual(problems, [], 'no CSP violation, no script error');
  });

  /** `strongroom support …` against the running platform, as the support desk runs it. */
  async function desk(args: string[], stdin = ''): Promise<string> {
    const child = promisify(execFile)(process.execPath, ['bin/strongroom.ts', 'support', ...args, '--actor', 'sam.desk'], {
      env: { ...process.env, STRONGROOM_DATA_DIR: bed.platform.dataDir }, timeout: 60_000,
    });
    child.child.stdin?.end(stdin);
    return (await child).stdout;
  }

  test('support: a request by email waits for the member, who confirms it signed in; the desk\'s view is shown', async () => {
    const page = await newPage();
    await signIn(page, EMAIL);
    const accountId = (await page.locator('dl.facts code').first().innerText()).trim();
    const id = (await desk(['inbound', '--account', accountId, '--from', EMAIL, '--subject', 'Change our payout account'], 'Please change it.')).match(/supp_[0-9a-z]{19}/)![0];
    await assert.rejects(desk(['reply', id], 'Done.'), /no answer until the request is verified/);
    assert.match(await desk(['show', id]), /unverified[\s\S]*Change our payout account/);

    await page.getByRole('link', { name: 'Support', exact: true }).click();
    await page.locator(`#support-requests a[href="/support/${id}"]`).click();
    assert.match(await page.locator('#request-history').innerText(), /Support desk \(sam\.desk\)[\s\S]*staff view/);
    await page.getByRole('button', { name: 'Yes, I made this request' }).click();
    await page.waitForURL(`${origin}/support/${id}?notice=confirmed`);
    assert.match(await page.locator('#request-status').innerText(), /verified \(in a signed-in session\)/);
    await desk(['reply', id], 'Done: changed.');
    await page.reload();
    assert.match(await page.locator('#request-history').innerText(), /replied:[\s\S]*Done: changed\./);
    await shot(page, 'support-request');
    assert.deepEqual(problems, [], 'no CSP violation, no script error');
  });
});
