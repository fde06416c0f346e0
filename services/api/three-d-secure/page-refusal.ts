// Why the 3-D Secure page refused a request, as the payer reads it: an HTML page with a 4xx (or a
// 503 when the vault could not be reached), never the merchant API's JSON error. Each refusal says
// that nothing was changed, which is true: a refused request only adds an audit entry.

export type RefusalReason = 'unknown' | 'choice' | 'form' | 'used' | 'closed' | 'expired' | 'unavailable';

const REFUSALS: Readonly<Record<RefusalReason, { status: number; title: string; message: string }>> = {
  unknown: { status: 404, title: 'Page not found', message: 'This payment page does not exist. Check the address, or go back to the merchant.' },
  choice: { status: 400, title: 'Nothing was chosen', message: 'Choose "Authenticate" or "Fail authentication" on the payment page. Nothing was changed.' },
  form: { status: 403, title: 'Form out of date', message: 'This form does not belong to this payment page. Reload the page and try again. Nothing was changed.' },
  used: { status: 409, title: 'Already completed', message: 'Authentication for this payment is already complete. Nothing was changed: go back to the merchant.' },
  closed: { status: 409, title: 'Payment closed', message: 'This payment is no longer waiting for authentication. Nothing was changed: go back to the merchant.' },
  expired: { status: 410, title: 'Page expired', message: 'This payment expired before it was authenticated. Nothing was charged: go back to the merchant.' },
  unavailable: { status: 503, title: 'Try again', message: 'The card issuer could not be reached. Nothing was changed: try again in a moment.' },
};

export type PageRefusal = Error & { readonly pageRefusal: true; readonly status: number; readonly title: string };

export function pageRefusal(reason: RefusalReason): PageRefusal {
  const { status, title, message } = REFUSALS[reason];
  return Object.assign(new Error(message), { name: 'PageRefusal', pageRefusal: true as const, status, title });
}

export function isPageRefusal(error: unknown): error is PageRefusal {
  return error instanceof Error && (error as Partial<PageRefusal>).pageRefusal === true;
}
