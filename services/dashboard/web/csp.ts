// The pages' Content-Security-Policy: nothing inline (no script, no style attribute), everything
// from this origin only, forms post only here, never framed, no <base> rewriting.
export const PAGE_CSP = [
  "default-src 'none'", "script-src 'self'", "style-src 'self'", "img-src 'self'", "connect-src 'self'",
  "font-src 'self'", "form-action 'self'", "frame-ancestors 'none'", "base-uri 'none'",
].join('; ');
