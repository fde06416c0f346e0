// Which answers the Idempotency-Key table may keep for replay. It must never hold a secret: an answer
// that shows one once (a webhook endpoint's signing secret, a new secret key) is not kept, whether its
// route says so (`config: { secretResponse: true }`) or this check finds it. When in doubt, not kept:
// the request is still performed once, and a retry is told so (409) instead of getting a copy.
const SECRET_NAME = /secret|password|passphrase/i;
const SECRET_VALUE = /^skey_/;
const MAX_DEPTH = 64;

function holdsSecret(value: unknown, depth: number): boolean {
  if (depth > MAX_DEPTH) return true;
  if (typeof value === 'string') return SECRET_VALUE.test(value);
  if (Array.isArray(value)) return value.some((item) => holdsSecret(item, depth + 1));
  if (value !== null && typeof value === 'object') {
    return Object.entries(value).some(([key, item]) => (SECRET_NAME.test(key) && item !== null) || holdsSecret(item, depth + 1));
  }
  return false;
}

/** The body to keep, or null when it must not be kept (a secret in it, or not JSON text). */
export function keepableBody(payload: unknown, secretRoute: boolean): string | null {
  if (secretRoute) return null;
  const text = typeof payload === 'string' ? payload : Buffer.isBuffer(payload) ? payload.toString('utf8') : null;
  if (text === null) return null;
  try {
    return holdsSecret(JSON.parse(text), 0) ? null : text;
  } catch {
    return null;
  }
}
