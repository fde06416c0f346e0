// The hosted card fields in a real Chromium, across real HTTPS origins: the vault, a merchant whose
// checkout page embeds the fields, and a third party the merchant also embeds. What must hold: the token
// reaches the merchant, the card number reaches only the vault, and nobody else can drive or fake the frame.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { chromium, type Browser, type BrowserContext, type FrameLocator, type Page, type Request } from 'playwright-core';
import { startVaultForBrowserTest, type BrowserTestVault } from './browser-vault.testing.ts';
import { startMerchantForBrowserTest, startThirdPartyForBrowserTest, type BrowserTestSite, type ReceivedRequest } from './browser-merchant.testing.ts';

const CHROMIUM = '/usr/bin/chromium';
const CHROMIUM_ARGS = ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];
// In CI the browser is part of the image: a missing one must fail the run, not skip it.
const skip = !existsSync(CHROMIUM) && process.env.CI !== 'true'
  ? `${CHROMIUM} is not installed (apt-get install chromium); with CI=true this suite runs and fails instead`
  : false;

const PAN = '4242424242424242';
const PAN_FORMATTED = '4242 4242 4242 4242';
const FRAME_TITLE = 'Secure card payment fields';
const TOKEN_ID = /^tokn_test_[0-9a-z]+$/;

type Observed = { requests: Request[]; console: { type: string; text: string }[]; pageErrors: string[] };

type Checkout = {
  context: BrowserContext;
  page: Page;
  card: FrameLocator;
  observed: Observed;
  /** What the merchant's server received since this checkout opened (the sites live across tests). */
  merchantReceived: () => readonly ReceivedRequest[];
};

// Also grouped by spaces, dashes or their URL encodings.
const containsPan = (text: string) => text.replace(/%20|[\s+-]/g, '').includes(PAN);

async function waitFor<T>(read: () => T | undefined, what: string, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = read();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(25);
  }
}

describe('hosted card fields in Chromium', { skip }, () => {
  let browser: Browser;
  let vault: BrowserTestVault;
  let merchant: BrowserTestSite;
  let thirdParty: BrowserTestSite;
  const contexts: BrowserContext[] = [];

  before(async () => {
    vault = await startVaultForBrowserTest();
    thirdParty = await startThirdPartyForBrowserTest();
    merchant = await startMerchantForBrowserTest({ vaultOrigin: vault.origin, publicKey: vault.publicKey, thirdPartyOrigin: thirdParty.origin });
    browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
  });

  after(async () => {
    for (const context of contexts) await context.close();
    await browser?.close();
    await merchant?.close();
    await thirdParty?.close();
    await vault?.close();
  });

  async function openCheckout(): Promise<Checkout> {
    const context = await browser.newContext({ ignoreHTTPSErrors: true });
    contexts.push(context);
    context.setDefaultTimeout(15_000);
    const page = await context.newPage();
    const mark = merchant.received.length;
    const observed: Observed = { requests: [], console: [], pageErrors: [] };
    page.on('request', (request) => observed.requests.push(request));
    page.on('console', (message) => observed.console.push({ type: message.type(), text: message.text() }));
    page.on('pageerror', (error) => observed.pageErrors.push(String(error)));
    await page.goto(`${merchant.origin}/checkout.html`);
    const merchantReceived = () => merchant.received.slice(mark);
    return { context, page, card: page.frameLocator(`iframe[title="${FRAME_TITLE}"]`), observed, merchantReceived };
  }

  async function typeCard(card: FrameLocator, values: { name?: string; number: string; expiry: string; cvc: string }) {
    if (values.name !== undefined) await card.locator('#name').fill(values.name);
    await card.locator('#number').pressSequentially(values.number);
    await card.locator('#expiry').pressSequentially(values.expiry);
    await card.locator('#cvc').fill(values.cvc);
  }

  const text = (page: Page, selector: string) => page.locator(selector).innerText();
  const tokenRequests = (observed: Observed) => observed.requests.filter((r) => r.url() === `${vault.origin}/tokens`);

  async function waitForOutcome(page: Page): Promise<{ token: string; errorCode: string }> {
    // A locator, not waitForFunction: the merchant's CSP (rightly) forbids the eval that one needs.
    await page.locator('#token:not(:empty), #error-code:not(:empty)').first().waitFor();
    return { token: await text(page, '#token'), errorCode: await text(page, '#error-code') };
  }

  test('a typed card becomes a token on the merchant page; the number goes only from the frame to the vault', async () => {
    const { page, card, observed, merchantReceived } = await openCheckout();
    await typeCard(card, { name: 'Somchai Prasert', number: PAN, expiry: '1230', cvc: '123' });
    assert.equal(await card.locator('#number').inputValue(), PAN_FORMATTED, 'the frame groups the digits');
    assert.equal(await card.locator('#expiry').inputValue(), '12 / 30');

    // While the card sits in the frame, the merchant page's own script cannot reach into it.
    const reach = await page.evaluate(`(() => {
      const frame = document.querySelector('iframe[title="${FRAME_TITLE}"]');
      const attempt = (read) => { try { return 'read: ' + String(read()); } catch (error) { return error.name; } };
      return {
        contentDocument: frame.contentDocument === null,
        document: attempt(() => frame.contentWindow.document.body.innerHTML),
        input: attempt(() => frame.contentWindow.document.getElementById('number').value),
        location: attempt(() => frame.contentWindow.location.href),
        frameSrc: frame.src,
        library: Object.keys(window.Strongroom).sort().join(','),
      };
    })()`);
    assert.deepEqual(reach, {
      contentDocument: true,
      document: 'SecurityError',
      input: 'SecurityError',
      location: 'SecurityError',
      frameSrc: `${vault.origin}/hosted/v1/card-frame.html`,
      library: 'mountCardFields,vaultOrigin,version',
    });

    await page.click('#pay');
    const outcome = await waitForOutcome(page);
    assert.equal(outcome.errorCode, '');
    assert.match(outcome.token, TOKEN_ID);
    assert.equal(await text(page, '#card-summary'), 'Visa 4242 12/2030 Somchai Prasert');
    const charge = await waitFor(() => merchantReceived().find((r) => r.method === 'POST' && r.url === '/charge'), 'the merchant /charge call');
    assert.deepEqual(JSON.parse(charge.body), { token: outcome.token });

    // The card number left the browser exactly once: from the vault's frame, to the vault, and was accepted.
    const withPan: Request[] = [];
    for (const request of observed.requests) {
      const headers = JSON.stringify(await request.allHeaders());
      if (containsPan(request.url()) || containsPan(request.postData() ?? '') || containsPan(headers)) withPan.push(request);
    }
    assert.equal(withPan.length, 1, `requests carrying the card number: ${withPan.map((r) => r.url()).join(', ')}`);
    const [tokenRequest] = withPan;
    assert.ok(tokenRequest);
    assert.equal(tokenRequest.method(), 'POST');
    assert.equal(tokenRequest.url(), `${vault.origin}/tokens`);
    assert.equal(tokenRequest.frame().url(), `${vault.origin}/hosted/v1/card-frame.html`);
    const sent = await tokenRequest.allHeaders();
    assert.equal(sent.origin, vault.origin, 'a same-origin request from the frame');
    assert.equal(sent.authorization, `Basic ${Buffer.from(`${vault.publicKey}:`).toString('base64')}`);
    assert.deepEqual(JSON.parse(tokenRequest.postData() ?? 'null'), {
      card: { number: PAN, expiration_month: 12, expiration_year: 2030, security_code: '123', name: 'Somchai Prasert' },
    });
    assert.equal((await tokenRequest.response())?.status(), 200);

    // What the frame told the merchant page: that it is ready, then the token id and card metadata only.
    const seen = (await page.evaluate('window.messagesSeen')) as { origin: string; data: string }[];
    assert.deepEqual(seen.filter((m) => m.origin === vault.origin).map((m) => JSON.parse(m.data) as unknown), [
      { type: 'strongroom:ready' },
      {
        type: 'strongroom:result',
        requestId: 1,
        ok: true,
        token: { id: outcome.token, card: { brand: 'Visa', last_digits: '4242', expiration_month: 12, expiration_year: 2030, name: 'Somchai Prasert' } },
      },
    ]);

    // Nothing the merchant origin sent or received, logged or shows carries the number.
    const merchantSide = observed.requests.filter((r) => new URL(r.url()).origin === merchant.origin || r.frame() === page.mainFrame());
    assert.ok(merchantSide.some((r) => r.url().endsWith('/charge')), 'the merchant requests were observed');
    assert.ok(!merchantSide.includes(tokenRequest));
    assert.ok(merchantReceived().some((r) => r.url === '/checkout.html'));
    for (const received of merchantReceived()) {
      assert.ok(!containsPan(`${received.url} ${JSON.stringify(received.headers)} ${received.body}`), `merchant received ${received.url}`);
    }
    assert.equal(observed.console.filter((m) => containsPan(m.text)).length, 0);
    assert.deepEqual(observed.console.filter((m) => /Content Security Policy|Refused to/i.test(m.text)), []);
    assert.deepEqual(observed.pageErrors, []);
    const merchantDom = await page.content();
    assert.ok(merchantDom.includes(outcome.token), 'the DOM snapshot is the one with the token');
    assert.ok(!containsPan(merchantDom) && !containsPan(await page.locator('body').innerText()));

    // The frame forgets the card once it is tokenized.
    for (const field of ['#name', '#number', '#expiry', '#cvc']) assert.equal(await card.locator(field).inputValue(), '', field);
  });

  test('an invalid card gives the merchant invalid_card, never a token; the same fields then succeed', async () => {
    const { page, card, observed, merchantReceived } = await openCheckout();
    // Luhn failure: refused in the frame, nothing sent.
    await typeCard(card, { name: 'Somchai Prasert', number: '4242424242424241', expiry: '1230', cvc: '123' });
    await page.click('#pay');
    const local = await waitForOutcome(page);
    assert.deepEqual(local, { token: '', errorCode: 'invalid_card' });
    assert.equal(tokenRequests(observed).length, 0);
    assert.equal(await card.locator('#number').getAttribute('aria-invalid'), 'true');

    // Luhn-valid but expired: only the vault can say no, and it does.
    await card.locator('#number').fill(PAN);
    await card.locator('#expiry').fill('01/20');
    await page.click('#pay');
    const remote = await waitForOutcome(page);
    assert.deepEqual(remote, { token: '', errorCode: 'invalid_card' });
    assert.match(await text(page, '#error-message'), /expired/, "the vault's own message reaches the merchant");
    const [refused] = tokenRequests(observed);
    assert.equal(tokenRequests(observed).length, 1);
    assert.equal((await refused?.response())?.status(), 400);
    assert.equal(await card.locator('#number').inputValue(), PAN_FORMATTED, 'the card stays in the frame to be corrected');
    assert.equal(merchantReceived().filter((r) => r.url === '/charge').length, 0);

    await card.locator('#expiry').fill('12/2031');
    await page.click('#pay');
    const fixed = await waitForOutcome(page);
    assert.equal(fixed.errorCode, '');
    assert.match(fixed.token, TOKEN_ID);
    assert.equal(tokenRequests(observed).length, 2);
  });

  test('a third-party frame on the checkout page can neither drive the card frame nor forge its answer', async () => {
    const { page, card, observed } = await openCheckout();
    await typeCard(card, { name: 'Somchai Prasert', number: PAN, expiry: '1230', cvc: '123' });
    const widget = await waitFor(() => page.frames().find((f) => f.url() === `${thirdParty.origin}/widget.html`), 'the third-party frame');
    // The widget listens, then re-initialises the card frame with its own key and asks it for tokens.
    await widget.evaluate(`(() => {
      window.received = [];
      window.addEventListener('message', (event) => window.received.push({ origin: event.origin, data: event.data }));
      const others = Array.from({ length: parent.frames.length }, (_, i) => parent.frames[i]).filter((w) => w !== window);
      for (const target of others) {
        target.postMessage({ type: 'strongroom:init', version: 1, publicKey: 'pkey_test_attackerattackerattacker1', nameField: true }, '*');
        for (let requestId = 1; requestId <= 5; requestId++) {
          target.postMessage({ type: 'strongroom:tokenize', requestId }, '*');
          target.postMessage({ type: 'strongroom:tokenize', requestId }, '${vault.origin}');
        }
      }
      return others.length;
    })()`);
    await sleep(500);
    assert.equal(tokenRequests(observed).length, 0, 'the card frame sent nothing for the widget');

    // Hold the genuine request at the network so the widget's forged answers arrive first.
    let release = () => {};
    const held = new Promise<void>((resolve) => { release = resolve; });
    let reached = () => {};
    const atGate = new Promise<void>((resolve) => { reached = resolve; });
    await page.route(`${vault.origin}/tokens`, async (route) => {
      reached();
      await held;
      await route.continue();
    });
    await page.click('#pay');
    await atGate;
    await widget.evaluate(`(() => {
      const forged = { id: 'tokn_test_forgedforgedforged1', card: { brand: 'Visa', last_digits: '0000', expiration_month: 1, expiration_year: 2031, name: 'Mallory' } };
      for (let requestId = 1; requestId <= 20; requestId++) {
        parent.postMessage({ type: 'strongroom:result', requestId, ok: true, token: forged }, '*');
        parent.postMessage({ type: 'strongroom:result', requestId, ok: false, error: { code: 'forged', message: 'forged' } }, '*');
      }
    })()`);
    await sleep(300);
    assert.equal(await text(page, '#token'), '', 'no forged token accepted');
    assert.equal(await text(page, '#error-code'), '', 'no forged error accepted');
    release();

    const outcome = await waitForOutcome(page);
    assert.equal(outcome.errorCode, '');
    assert.match(outcome.token, TOKEN_ID);
    assert.notEqual(outcome.token, 'tokn_test_forgedforgedforged1');
    const [genuine] = tokenRequests(observed);
    assert.equal(tokenRequests(observed).length, 1);
    // Still initialised by the merchant: the merchant's key, not the widget's.
    assert.equal((await genuine?.allHeaders())?.authorization, `Basic ${Buffer.from(`${vault.publicKey}:`).toString('base64')}`);
    const widgetGot = (await widget.evaluate('window.received')) as { origin: string; data: unknown }[];
    assert.deepEqual(widgetGot.filter((m) => m.origin === vault.origin), [], 'the card frame never answered the widget');
  });
});
