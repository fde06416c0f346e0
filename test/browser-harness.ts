// What every dashboard browser suite needs: the real platform (every service, real TLS and mTLS),
// Debian's Chromium driven by playwright-core, pages that collect CSP violations and script errors,
// a wait that says what the page shows instead, screenshots (STRONGROOM_SCREENSHOTS_DIR, for the
// issues' closing notes), the development outbox, and sign-up / sign-in as a user does them.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { startPlatform, type RunningPlatform } from './platform-harness.ts';

export const CHROMIUM = '/usr/bin/chromium';
const CHROMIUM_ARGS = ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

/** `describe(…, { skip })`: without Chromium a developer's run skips; CI (CI=true) runs and fails instead. */
export const chromiumSkip = !existsSync(CHROMIUM) && process.env.CI !== 'true'
  ? `${CHROMIUM} is not installed (apt-get install chromium); with CI=true this suite runs and fails instead`
  : false;

const SCREENSHOTS = process.env.STRONGROOM_SCREENSHOTS_DIR;

export type BrowserBed = {
  platform: RunningPlatform;
  browser: Browser;
  /** https://localhost:<dashboard port> */
  origin: string;
  /** CSP violations and uncaught script errors seen on any page (a suite asserts it stays empty). */
  problems: string[];
  newPage(options?: { acceptDownloads?: boolean }): Promise<Page>;
  expectVisible(page: Page, selector: string): Promise<void>;
  shot(page: Page, name: string): Promise<void>;
  outboxMail(page: Page, to: string, subject: string): Promise<string>;
  signIn(page: Page, email: string, password: string): Promise<void>;
  /** Sign-up, the emailed link, the password again: signed in as the new owner; returns the account id. */
  signUp(page: Page, input: { business: string; email: string; password: string }): Promise<string>;
  close(): Promise<void>;
};

export async function startBrowserBed(): Promise<BrowserBed> {
  const platform = await startPlatform();
  const origin = `https://localhost:${platform.ports.dashboard}`;
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
  if (SCREENSHOTS) await mkdir(SCREENSHOTS, { recursive: true });
  const contexts: BrowserContext[] = [];
  const problems: string[] = [];

  // Chromium cannot be given the platform's CA here (no NSS tools), so it skips its own certificate
  // check; dashboard.auth.browser.test.ts checks the certificate against the CA with Node instead.
  async function newPage(options: { acceptDownloads?: boolean } = {}): Promise<Page> {
    const context = await browser.newContext({ ignoreHTTPSErrors: true, acceptDownloads: options.acceptDownloads ?? false });
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

  async function outboxMail(page: Page, to: string, subject: string): Promise<string> {
    for (let i = 0; i < 50; i++) {
      await page.goto(`${origin}/dev/outbox`);
      const mail = page.locator('article.mail', { has: page.locator('.recipient', { hasText: to }) }).filter({ hasText: subject });
      if (await mail.count() > 0) return mail.first().locator('pre').innerText();
      await page.waitForTimeout(100);
    }
    return assert.fail(`no email "${subject}" to ${to}`);
  }

  async function signIn(page: Page, email: string, password: string): Promise<void> {
    await page.goto(`${origin}/sign-in`);
    await page.getByLabel('Email').fill(email);
    await page.getByLabel('Password', { exact: true }).fill(password);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForLoadState();
  }

  async function signUp(page: Page, input: { business: string; email: string; password: string }): Promise<string> {
    await page.goto(`${origin}/sign-up`);
    await page.getByLabel('Business name').fill(input.business);
    await page.getByLabel('Email').fill(input.email);
    await page.getByLabel('Password').fill(input.password);
    await page.getByRole('button', { name: 'Create account' }).click();
    await expectVisible(page, '#check-email');
    const link = (await outboxMail(page, input.email, 'Confirm your email')).match(/https:\/\/\S+/)![0];
    await page.goto(link);
    await page.getByLabel('Password').fill(input.password);
    await page.getByRole('button', { name: 'Confirm and sign in' }).click();
    await expectVisible(page, '#signed-in-email');
    const accountId = (await page.locator('dl.facts code').first().innerText()).trim();
    assert.match(accountId, /^acct_[0-9a-z]{19}$/);
    return accountId;
  }

  return {
    platform, browser, origin, problems, newPage, expectVisible, outboxMail, signIn, signUp,
    shot: async (page, name) => { if (SCREENSHOTS) await page.screenshot({ path: join(SCREENSHOTS, `${name}.png`), fullPage: true }); },
    async close() {
      for (const context of contexts) await context.close();
      await browser.close();
      await platform.stop();
    },
  };
}
