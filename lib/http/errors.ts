// The error catalogue and the one wire shape (Omise compatible):
// {"object":"error","location":"https://www.omise.co/api-errors#<code-with-dashes>","code":"<code>","message":"…"}

/** Every error code Strongroom may put on the wire, with its usual HTTP status. */
export const ERROR_CODES = {
  bad_request: 400,
  invalid_card: 400,
  invalid_charge: 400,
  invalid_amount: 400,
  used_token: 400,
  invalid_card_token: 400,
  missing_card: 400,
  failed_capture: 400,
  failed_refund: 400,
  failed_reverse: 400,
  failed_expire: 400,
  expired_charge: 400,
  failed_fraud_check: 400,
  feature_not_supported: 400,
  authentication_failure: 401,
  key_expired_error: 401,
  forbidden: 403,
  not_found: 404,
  service_not_found: 404,
  conflict: 409,
  payload_too_large: 413,
  unsupported_media_type: 415,
  too_many_requests: 429,
  internal_error: 500,
  bad_gateway: 502,
  service_unavailable: 503,
  // Internal KMS API (never on the merchant-facing hosts).
  kms_sealed: 503,
  key_not_found: 404,
  key_version_unavailable: 410,
  invalid_wrapped_key: 400,
  unwrap_failed: 422,
} as const;

export type ErrorCode = keyof typeof ERROR_CODES;

export type ErrorBody = {
  readonly object: 'error';
  readonly location: string;
  readonly code: ErrorCode;
  readonly message: string;
};

export function isErrorCode(value: unknown): value is ErrorCode {
  return typeof value === 'string' && Object.hasOwn(ERROR_CODES, value);
}

/** Omise documents each code at an anchor spelled with dashes (`bad_request` → `#bad-request`). */
export function errorBody(code: ErrorCode, message: string): ErrorBody {
  return {
    object: 'error',
    location: `https://www.omise.co/api-errors#${code.replaceAll('_', '-')}`,
    code,
    message,
  };
}

const HTTP_ERROR = Symbol.for('strongroom.http-error');

export type HttpError = Error & {
  readonly statusCode: number;
  readonly code: ErrorCode;
  readonly [HTTP_ERROR]: true;
};

/**
 * An error whose status, code and message are safe to send as they are. Anything thrown that is not
 * an HttpError (or a recognised framework error) becomes a 500 with a generic message.
 */
export function httpError(status: number, code: ErrorCode, message: string): HttpError {
  if (!Number.isInteger(status) || status < 400 || status > 599) throw new RangeError(`httpError status must be 4xx or 5xx, got ${status}`);
  if (!isErrorCode(code)) throw new TypeError(`unknown error code: ${String(code)}`);
  if (typeof message !== 'string' || message.length === 0) throw new TypeError('httpError needs a message');
  const error = new Error(message) as Error & { statusCode: number; code: ErrorCode; [HTTP_ERROR]: true };
  error.name = 'HttpError';
  error.statusCode = status;
  error.code = code;
  error[HTTP_ERROR] = true;
  return error;
}

export function isHttpError(value: unknown): value is HttpError {
  return typeof value === 'object' && value !== null && (value as { [HTTP_ERROR]?: unknown })[HTTP_ERROR] === true;
}
