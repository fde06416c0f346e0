// Sites around the vault for the hosted fields browser test, each its own HTTPS origin:
// - a merchant: a checkout page under a strict CSP (no inline script) that loads strongroom.js from the
//   vault, mounts the card fields and, on "Pay", creates a token and posts only its id to /charge;
// - a third party: a page the merchant embeds (an ad, a chat widget) that should get nowhere.
// Every request a site receives is recorded with its body, so a test can prove what never reached it.
import type { FastifyInstance } from 'fastify';
import { createHttpsApp } from '#lib/http/index.ts';
import { createTestCa, createTestLogger, listen, staticIdentity } from '#lib/http/testing.ts';

export type ReceivedRequest = {
  readonly method: string;
  readonly url: string;
  readonly headers: Readonly<Record<string, unknown>>;
  readonly body: string;
};

export type BrowserTestSite = {
  readonly origin: string;
  /** Every request this site answered, in order. */
  readonly received: readonly ReceivedRequest[];
  close(): Promise<void>;
};

export type MerchantOptions = {
  readonly vaultOrigin: string;
  readonly publicKey: string;
  /** A third-party origin whose /widget.html the checkout page embeds. */
  readonly thirdPartyOrigin?: string;
};

const escapeHtml = (text: string) =>
  text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

// Merchant code as a merchant would write it. It writes the token id and card summary into the page
// and sends only the token id to its own server. For the test it also keeps every message the page
// receives (window.messagesSeen), to show what the card frame tells the merchant.
const CHECKOUT_SCRIPT = `(function () {
  'use strict';
  window.messagesSeen = [];
  window.addEventListener('message', function (event) {
    window.messagesSeen.push({ origin: event.origin, data: JSON.stringify(event.data) });
  });
  const byId = function (id) { return document.getElementById(id); };
  const fields = Strongroom.mountCardFields(byId('card-element'), { publicKey: document.body.dataset.publicKey });
  byId('pay').addEventListener('click', function () {
    byId('token').textContent = '';
    byId('card-summary').textContent = '';
    byId('error-code').textContent = '';
    byId('error-message').textContent = '';
    fields.createToken().then(function (token) {
      const card = token.card;
      byId('token').textContent = token.id;
      byId('card-summary').textContent = [card.brand, card.last_digits, card.expiration_month + '/' + card.expiration_year, card.name].join(' ');
      return fetch('/charge', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ token: token.id }) });
    }, function (error) {
      byId('error-code').textContent = error.code;
      byId('error-message').textContent = error.message;
    });
  });
})();
`;

function checkoutPage(options: MerchantOptions): string {
  const thirdParty = options.thirdPartyOrigin === undefined
    ? ''
    : `<iframe id="third-party" title="Third-party widget" src="${escapeHtml(options.thirdPartyOrigin)}/widget.html"></iframe>`;
  return `<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>Checkout</title></head>
<body data-public-key="${escapeHtml(options.publicKey)}">
<h1>Checkout</h1>
<div id="card-element"></div>
<button id="pay" type="button">Pay</button>
<p>Token: <output id="token"></output></p>
<p>Card: <output id="card-summary"></output></p>
<p>Error: <output id="error-code"></output> <output id="error-message"></output></p>
${thirdParty}
<script src="${escapeHtml(options.vaultOrigin)}/hosted/v1/strongroom.js"></script>
<script src="/checkout.js"></script>
</body>
</html>
`;
}

// The CSP a SAQ A merchant can run: scripts from itself and the vault, frames from the vault (and
// whatever else it chose to embed), no inline code.
function checkoutCsp(options: MerchantOptions): string {
  const frames = [options.vaultOrigin, ...(options.thirdPartyOrigin === undefined ? [] : [options.thirdPartyOrigin])];
  return [
    "default-src 'none'",
    `script-src 'self' ${options.vaultOrigin}`,
    `frame-src ${frames.join(' ')}`,
    "connect-src 'self'",
    "style-src 'self'",
    "base-uri 'none'",
    "form-action 'self'",
    "frame-ancestors 'none'",
  ].join('; ');
}

function registerMerchant(app: FastifyInstance, options: MerchantOptions): void {
  app.get('/checkout.html', async (_request, reply) => {
    reply.header('content-security-policy', checkoutCsp(options)).type('text/html; charset=utf-8');
    return checkoutPage(options);
  });
  app.get('/checkout.js', async (_request, reply) => reply.type('text/javascript; charset=utf-8').send(CHECKOUT_SCRIPT));
  app.post('/charge', async () => ({ object: 'charge', status: 'pending' }));
}

function registerThirdParty(app: FastifyInstance): void {
  app.get('/widget.html', async (_request, reply) => {
    reply.removeHeader('x-frame-options');
    reply.header('content-security-policy', "default-src 'none'; frame-ancestors https:").type('text/html; charset=utf-8');
    return '<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Widget</title></head><body><p>Chat with us</p></body></html>';
  });
}

async function startSite(register: (app: FastifyInstance) => void, service: string): Promise<BrowserTestSite> {
  const ca = await createTestCa();
  const log = createTestLogger(service);
  const app = createHttpsApp({ service, identity: await staticIdentity(ca, service), mtls: false, logger: log.logger });
  const received: ReceivedRequest[] = [];
  app.addHook('onResponse', async (request) => {
    received.push({ method: request.method, url: request.url, headers: { ...request.headers }, body: JSON.stringify(request.body ?? null) });
  });
  app.get('/favicon.ico', async (_request, reply) => reply.code(204).send());
  register(app);
  const port = await listen(app);
  return {
    origin: `https://127.0.0.1:${port}`,
    received,
    async close() {
      await app.close();
      log.cleanup();
    },
  };
}

export function startMerchantForBrowserTest(options: MerchantOptions): Promise<BrowserTestSite> {
  return startSite((app) => registerMerchant(app, options), 'merchant');
}

export function startThirdPartyForBrowserTest(): Promise<BrowserTestSite> {
  return startSite(registerThirdParty, 'third-party');
}
