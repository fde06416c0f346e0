// The payer's 3-D Secure pages, rendered on the server: no script at all, one stylesheet allowed by
// its hash (the platform's CSP forbids inline script, and this page's CSP allows nothing else), every
// merchant-controlled text escaped. The form posts back to the page's own address.
import { createHash } from 'node:crypto';

const STYLE = [
  'body{font-family:system-ui,sans-serif;color:#1b1b1f;background:#f6f6f8;margin:0}',
  'main{max-width:26rem;margin:3rem auto;padding:1.5rem 2rem;background:#fff;border:1px solid #ddd;border-radius:.5rem}',
  'h1{font-size:1.25rem}dl{display:grid;grid-template-columns:auto 1fr;gap:.4rem 1rem}dt{color:#555}dd{margin:0;font-weight:600}',
  '.note{color:#555;font-size:.9rem}form{display:flex;gap:.75rem;margin-top:1.5rem}',
  'button{flex:1;padding:.6rem;font-size:1rem;border-radius:.35rem;border:1px solid #888;background:#fff;cursor:pointer}',
  'button[value=success]{background:#1d5fd0;border-color:#1d5fd0;color:#fff}',
].join('');
const STYLE_SOURCE = `'sha256-${createHash('sha256').update(STYLE).digest('base64')}'`;

const ESCAPES: Readonly<Record<string, string>> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };
export const escapeHtml = (text: string) => text.replace(/[&<>"']/g, (c) => ESCAPES[c]!);

// Only an origin made of these characters goes into the CSP (no spaces, quotes or semicolons).
const CSP_ORIGIN = /^https?:\/\/[A-Za-z0-9.:-]+$/;

/**
 * The page's Content-Security-Policy. `form-action` names the return URI's origin too: browsers apply
 * it to the redirect that follows the form's POST.
 */
export function pageCsp(returnUri: string | null = null): string {
  let returnOrigin = '';
  if (returnUri !== null) {
    try {
      const origin = new URL(returnUri).origin;
      if (CSP_ORIGIN.test(origin)) returnOrigin = ` ${origin}`;
    } catch { /* validated at charge creation; an unreadable one is simply not allowed */ }
  }
  return `default-src 'none'; style-src ${STYLE_SOURCE}; form-action 'self'${returnOrigin}; frame-ancestors 'none'; base-uri 'none'`;
}

/** The amount in major units with the currency's own number of decimals (JPY none, THB two). */
export function formatAmount(amount: number, currency: string): string {
  const format = new Intl.NumberFormat('en-US', { style: 'currency', currency, currencyDisplay: 'code' });
  const decimals = format.resolvedOptions().maximumFractionDigits ?? 2;
  return format.format(amount / 10 ** decimals).replace(/\u00a0/g, ' ');
}

function document(title: string, body: string): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>${escapeHtml(title)}</title>
<style>${STYLE}</style>
</head>
<body>
<main>
<h1>${escapeHtml(title)}</h1>
${body}
</main>
</body>
</html>
`;
}

export type AuthorizeView = { merchant: string; amount: number; currency: string; formValue: string };

export function authorizePage(view: AuthorizeView): string {
  return document('3-D Secure authentication', `<p class="note">Strongroom test mode: this page stands in for the card issuer's check.</p>
<dl>
<dt>Merchant</dt><dd>${escapeHtml(view.merchant)}</dd>
<dt>Amount</dt><dd>${escapeHtml(formatAmount(view.amount, view.currency))}</dd>
<dt>Currency</dt><dd>${escapeHtml(view.currency)}</dd>
</dl>
<form method="post">
<input type="hidden" name="form_value" value="${escapeHtml(view.formValue)}">
<button type="submit" name="result" value="success">Authenticate</button>
<button type="submit" name="result" value="failure">Fail authentication</button>
</form>`);
}

/** Shown after the POST when the charge has no return_uri. */
export function resultPage(outcome: 'successful' | 'authorized' | 'failed', merchant: string): string {
  const text = {
    successful: 'Authentication succeeded and the payment was made.',
    authorized: 'Authentication succeeded and the payment was authorized.',
    failed: 'The payment failed: it was not authenticated or the card issuer rejected it.',
  }[outcome];
  return document(outcome === 'failed' ? 'Payment failed' : 'Payment authenticated',
    `<p>${escapeHtml(text)}</p>\n<p class="note">You can close this page and return to ${escapeHtml(merchant || 'the merchant')}.</p>`);
}

export function errorPage(title: string, message: string): string {
  return document(title, `<p>${escapeHtml(message)}</p>`);
}
