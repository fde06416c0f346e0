// Field names that must never reach a log line, whatever object they sit in.
// pino's `*` wildcard matches exactly one level, so each name is listed at depth 0, 1 and 2.
const SENSITIVE_KEYS = [
  'password',
  'passphrase',
  'secret',
  'secret_key',
  'secretKey',
  'token',
  'access_token',
  'refresh_token',
  'session_token',
  'api_key',
  'apiKey',
  'authorization',
  'cookie',
  'number',
  'pan',
  'card_number',
  'cvv',
  'cvc',
  'security_code',
  'private_key',
  'privateKey',
  'privateKeyPem',
  'keyPem',
] as const;

const EXPLICIT_PATHS = [
  'req.headers.authorization',
  'req.headers.cookie',
  'req.headers["x-api-key"]',
  'req.headers["proxy-authorization"]',
  'res.headers["set-cookie"]',
  'headers.authorization',
  'headers.cookie',
  '*.card.number',
  '*.card.security_code',
  'card.number',
  'card.security_code',
] as const;

export const REDACT_PATHS: readonly string[] = Object.freeze([
  ...EXPLICIT_PATHS,
  ...SENSITIVE_KEYS.flatMap((key) => [key, `*.${key}`, `*.*.${key}`]),
]);

export const REDACT_CENSOR = '[REDACTED]';
