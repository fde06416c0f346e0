// The audit log, API keys and support pages in a real Chromium against the real platform (every
// service, real TLS and mTLS): a new owner sees their sign-in in the audit log, filters it, downloads
// the CSV and checks the chain; creates an API key (after the step-up) and sees the secret once; a
// View Only member gets 403 on the keys page; a request recorded by the support desk (the real
// `strongroom support` command) waits until the owner confirms it signed in, with the desk's view shown.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { newId } from '#lib/contracts/index.ts';
import { openDatabase } from '#lib/db/index.ts';
import type { DashboardDatabase } from '../services/dashboard/db.ts';
import { hashPassword } from '../services/dashboard/users/passwords.ts';
import { startPlatform, type RunningPlatform } from './platform-harness.ts';

const CHROMIUM = '/usr/bin/chromium';
const CHROMIUM_ARGS = ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];
const skip = !existsSync(CHROMIUM) && process.env.CI !== 'true'
  ? `${CHROMIUM} is not installed (apt-get install chromium); with CI=true this suite runs and fails instead`
  : false;
const SCREENSHOTS = process.env.STRONGROOM_SCREENSHOTS_DIR;

const EMAIL = 'owner@lantern-books.example';
const VIEWER = 'viewer@lantern-books.example';
const PASSWORD = 'amber orchard 73 quiet meridian';

describe('audit log and API keys in Chromium', { skip }, () => {
  let platform: RunningPlatform;
  let browser: Browser;
  let origin: string;
  const contexts: BrowserContext[] = [];
  const problems: string[] = [];

  before(async () => {
    platform = await startPlatform();
    origin = `https://localhost:${platform.ports.dashboard}`;
    browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
    if (SCREENSHOTS) await mkdir(SCREENSHOTS, { recursive: true });
  });
  after(async () => {
    for (const context of contexts) await context.close();
    await browser?.close();
    await platform?.stop();
  });

  // As in dashboard.auth.browser.test.ts: Chromium skips its own certificate check (no NSS tools here);
  // that test checks the certificate against the platform CA.
  async function newPage(): Promise<Page> {
    const context = await browser.newContext({ ignoreHTTPSErrors: true, acceptDownloads: true });
    contexts.push(context);
    context.setDefaultTimeout(15_000);
    const page = await context.newPage();
    page.on('console', (message) => { if (/Content Security Policy|Refused to/i.test(message.text())) problems.push(message.text()); });
    page.on('pageerror', (error) => problems.push(String(error)));
    return page;
  }
  async function expectVisible(page: Page, selector: string): Promise<void> {
    try {
      await page.locator(selector).first().waitFor();
    } catch {
      const log = await readFile(join(platform.dataDir, 'logs', 'dashboard.log'), 'utf8').catch(() => '');
      const warnings = log.split('\n').filter((line) => /"level":(40|50)/.test(line)).slice(-5).join('\n');
      assert.fail(`${selector} not on ${page.url()}:\n${(await page.locator('main').innerText().catch(() => '')).slice(0, 500)}\n${warnings}`);
    }
  }
  const shot = async (page: Page, name: string) => { if (SCREENSHOTS) await page.screenshot({ path: join(SCREENSHOTS, `${name}.png`), fullPage: true }); };

  async function signIn(page: Page, email: string) {
    await page.goto(`${origin}/sign-in`);
    await page.getByLabel('Email').fill(email);
    await page.getByLabel('Password').fill(PASSWORD);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await expectVisible(page, '#signed-in-email');
  }

  /** A newest-first email to `to` whose subject matches, from the development outbox. */
  async function outboxMail(page: Page, to: string, subject: string): Promise<string> {
    for (let i = 0; i < 50; i++) {
      await page.goto(`${origin}/dev/outbox`);
      const mail = page.locator('article.mail', { has: page.locator('.recipient', { hasText: to }) }).filter({ hasText: subject });
      if (await mail.count() > 0) return mail.first().locator('pre').innerText();
      await page.waitForTimeout(100);
    }
    return assert.fail(`no email "${subject}" to ${to}`);
  }

  /** A View Only member of the account, as an invitation accepted would leave it (team/'s tables). */
  async function addViewOnlyMember(accountId: string): Promise<void> {
    const config = JSON.parse(await readFile(join(platform.dataDir, 'services', 'dashboard', 'config.json'), 'utf8')) as { databaseUrl: string };
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
    const page = await newPage();
    await page.goto(`${origin}/sign-up`);
    await page.getByLabel('Business name').fill('Lantern Books');
    await page.getByLabel('Email').fill(EMAIL);
    await page.getByLabel('Password').fill(PASSWORD);
    await page.getByRole('button', { name: 'Create account' }).click();
    await expectVisible(page, '#check-email');
    const link = (await outboxMail(page, EMAIL, 'Confirm your email')).match(/https:\/\/\S+/)![0];
    await page.goto(link);
    await page.getByLabel('Password').fill(PASSWORD);
    await page.getByRole('button', { name: 'Confirm and sign in' }).click();
    await expectVisible(page, '#signed-in-email');
    const accountId = (await page.locator('dl.facts code').first().innerText()).trim();
    assert.match(accountId, /^acct_[0-9a-z]{19}$/);
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
      env: { ...process.env, STRONGROOM_DATA_DIR: platform.dataDir }, timeout: 60_000,
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
