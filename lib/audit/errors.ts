// Errors thrown by record(): they name the field path and the rule, never the offending value,
// so they are safe to log and to carry in an HTTP error body.

export const AUDIT_ERROR_CODES = {
  /** The entry holds something that may never be written (card number, secret, forbidden key). */
  refused: 'audit_refused',
  /** The entry does not match the record schema, or record() was called outside a transaction. */
  invalid: 'audit_invalid',
} as const;

export type AuditErrorCode = (typeof AUDIT_ERROR_CODES)[keyof typeof AUDIT_ERROR_CODES];

export type AuditError = Error & { code: AuditErrorCode; path: string };

export function auditError(code: AuditErrorCode, path: string, message: string): AuditError {
  const error = new Error(message) as AuditError;
  error.name = 'AuditError';
  error.code = code;
  error.path = path;
  return error;
}

export function isAuditError(error: unknown): error is AuditError {
  return (
    error instanceof Error &&
    error.name === 'AuditError' &&
    Object.values(AUDIT_ERROR_CODES).includes((error as AuditError).code)
  );
}
