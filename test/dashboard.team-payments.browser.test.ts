// Team onboarding and payments in a real Chromium against the real platform (every service, real
// TLS and mTLS): a charge made through the api with the demo account's secret key; the demo owner
// invites a Refund Analyst (after a step-up); the invitee, new to Strongroom, joins from the emailed
// link by choosing a password; the analyst cannot reach the team, keys or audit pages, nor post to
// the invitation endpoint with a valid form token; on the payments page the analyst's refund asks for
// a step-up first, then is made at the api and shown; the owner sees it in the audit log with the
// analyst as actor.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { httpsJson, retryUntil } from './platform-harness.ts';
import { chromiumSkip as skip, startBrowserBed, type BrowserBed } from './browser-harness.ts';

const ANALYST = 'refunds@demo-shop.example';
const ANALYST_PASSWORD = 'copper lagoon 58 silent orchard';

describe('team onboarding and payments in Chromium', { skip }, () => {
  let bed: BrowserBed;
  let origin: string;
  let demo: { email: string; password: string; accountId: string; publicKey: string; secretKey: string };
  let chargeId: string;

  before(async () => {
    bed = await startBrowserBed();
    origin = bed.origin;
    demo = JSON.parse(await readFile(join(bed.platform.dataDir, 'demo.json'), 'utf8'));
    // A successful charge of THB 1,500.00 through the public API, as a merchant's server makes it.
    const token = await retryUntil(async () => {
      const answer = await httpsJson(bed.platform, bed.platform.ports.vault, '/tokens', {
        method: 'POST', auth: demo.publicKey,
        body: { card: { name: 'Somchai Prasert', number: '4242424242424242', expiration_month: 12, expiration_year: 2031, security_code: '123' } },
      });
      if (answer.status !== 200) throw new Error(`token: ${answer.status}`);
      return answer.body as { id: string };
    }, 'the vault never accepted the demo public key');
    const charge = await httpsJson(bed.platform, bed.platform.ports.api, '/charges', {
      method: 'POST', auth: demo.secretKey, body: { amount: 150_000, currency: 'thb', card: token.id, description: 'Walnut desk' },
    });
    assert.equal(charge.body.status, 'successful', JSON.stringify(charge.body));
    chargeId = charge.body.id;
  });
  after(async () => { await bed?.close(); });

  async function stepUpWithPassword(page: Page, password: string): Promise<void> {
    assert.equal(new URL(page.url()).pathname, '/step-up', `a step-up is asked for (at ${page.url()})`);
    await page.getByLabel('Your password').fill(password);
    await page.getByRole('button', { name: 'Confirm' }).click();
    await page.waitForLoadState();
  }

  test('invitation → a new user joins as Refund Analyst → forbidden pages refused → refund after a step-up → in the audit log', async () => {
    // The owner invites; inviting needs a fresh step-up.
    const owner = await bed.newPage();
    await bed.signIn(owner, demo.email, demo.password);
    await bed.expectVisible(owner, '#signed-in-email');
    await owner.goto(`${origin}/team`);
    await owner.locator('#invite-email').fill(ANALYST);
    await owner.locator('#role-refund_analyst').check();
    await owner.getByRole('button', { name: 'Send invitation' }).click();
    await owner.waitForLoadState();
    await stepUpWithPassword(owner, demo.password);
    await owner.locator('#invite-email').fill(ANALYST);
    await owner.locator('#role-refund_analyst').check();
    await owner.getByRole('button', { name: 'Send invitation' }).click();
    await owner.waitForLoadState();
    assert.ok((await owner.locator('main').innerText()).includes(ANALYST), 'the invitation is listed');
    await bed.shot(owner, 'team');

    // The invitee has no Strongroom user yet: the link lets them choose a password and join.
    const analyst = await bed.newPage();
    const link = (await bed.outboxMail(analyst, ANALYST, 'invit')).match(/https:\/\/\S+/)![0];
    await analyst.goto(link);
    await bed.expectVisible(analyst, '#new-user-form');
    assert.match(await analyst.locator('#invitation-roles').innerText(), /Refund Analyst/);
    await bed.shot(analyst, 'invitation');
    await analyst.locator('#new-user-password').fill(ANALYST_PASSWORD);
    await analyst.locator('#new-user-submit').click();
    await bed.expectVisible(analyst, '#signed-in-email');
    assert.equal(await analyst.locator('#signed-in-email').innerText(), ANALYST);

    // Least privilege: no team, keys or audit pages; no links to them; a forged post is refused too.
    for (const path of ['/team', '/api-keys', '/audit-log', '/customers']) {
      const answer = await analyst.goto(`${origin}${path}`);
      assert.equal(answer?.status(), 403, path);
      assert.match(await analyst.locator('#error-message').innerText(), /your role does not allow this/);
    }
    await analyst.goto(`${origin}/profile`);
    const csrf = await analyst.locator('input[name="_csrf"]').first().getAttribute('value');
    const forged = await analyst.request.post(`${origin}/team/invitations`, {
      form: { _csrf: csrf ?? '', email: 'friend@elsewhere.example', 'role:owner': 'on' }, headers: { origin },
    });
    assert.equal(forged.status(), 403, 'a valid form token does not lend a permission');
    const nav = await analyst.locator('nav').innerText();
    assert.ok(nav.includes('Payments') && !nav.includes('Team') && !nav.includes('API keys'), nav);

    // The refund: the charge page offers it; the first submit asks for a step-up, then it is made.
    await analyst.locator('#nav-payments').click();
    await analyst.locator(`tr[data-charge-id="${chargeId}"] a.charge-link`).click();
    await bed.expectVisible(analyst, '#refund-form');
    assert.match(await analyst.locator('#charge-amount').innerText(), /1,500\.00/);
    await bed.shot(analyst, 'charge');
    await analyst.locator('#refund-amount').fill('25000');
    await analyst.locator('#refund-submit').click();
    await analyst.waitForLoadState();
    await bed.shot(analyst, 'step-up-before-refund');
    await stepUpWithPassword(analyst, ANALYST_PASSWORD);
    assert.equal(new URL(analyst.url()).pathname, `/payments/charges/${chargeId}`, 'back to the charge');
    assert.equal(await analyst.locator('#charge-refunds tr[data-refund-id]').count(), 0, 'nothing was refunded before the step-up');
    await analyst.locator('#refund-amount').fill('25000');
    await analyst.locator('#refund-submit').click();
    await bed.expectVisible(analyst, '#payments-notice');
    assert.equal(await analyst.locator('#charge-refunds tr[data-refund-id]').count(), 1);
    assert.match(await analyst.locator('#charge-refunds').innerText(), /250\.00/);
    await bed.shot(analyst, 'charge-refunded');

    // At the api, the refund exists; in the audit log, the owner sees who made it.
    const refunds = await httpsJson(bed.platform, bed.platform.ports.api, `/charges/${chargeId}/refunds`, { auth: demo.secretKey });
    assert.deepEqual(refunds.body.data.map((r: { amount: number }) => r.amount), [25_000]);
    // Both trails: the dashboard's (who, from which browser) and the api's (the money moved).
    for (const source of ['dashboard', 'api']) {
      await owner.goto(`${origin}/audit-log?source=${source}&action=refund.create`);
      const rows = owner.locator('#audit-entries tbody tr', { hasText: 'refund.create' });
      for (let i = 0; i < 30 && await rows.count() === 0; i++) {
        await owner.waitForTimeout(200);
        await owner.reload();
      }
      const text = await owner.locator('#audit-entries tbody').innerText();
      assert.equal(await rows.count(), 1, `${source}: ${text}`);
      assert.ok(text.includes(ANALYST) && text.includes(chargeId), `${source}: ${text}`);
      if (source === 'dashboard') await bed.shot(owner, 'audit-log-refund-dashboard');
    }
    await bed.shot(owner, 'audit-log-refund');
    assert.deepEqual(bed.problems, [], 'no CSP violation, no script error');
  });

  test('screens a member uses every day: payments, customers, profile, accounts', async () => {
    const owner = await bed.newPage();
    await bed.signIn(owner, demo.email, demo.password);
    for (const [path, name, selector] of [
      ['/payments', 'payments', '#charges'], ['/customers', 'customers', 'main'], ['/profile', 'profile', '#password-change-form'],
      ['/accounts', 'accounts', '#accounts'], ['/security', 'security', 'main'], ['/activity/sessions', 'sessions', '#sessions'],
    ] as const) {
      const answer = await owner.goto(`${origin}${path}`);
      assert.equal(answer?.status(), 200, path);
      await bed.expectVisible(owner, selector);
      await bed.shot(owner, name);
    }
    assert.deepEqual(bed.problems, [], 'no CSP violation, no script error');
  });
});
