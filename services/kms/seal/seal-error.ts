// Errors raised while initialising or unsealing the local KMS backend. Messages are for operators and
// custodians; they never carry share bytes, keys or anything derived from them.

export type SealErrorCode =
  | 'invalid_parameters'
  | 'malformed_share'
  | 'checksum_mismatch'
  | 'foreign_share'
  | 'conflicting_share'
  | 'unseal_failed';

export class SealError extends Error {
  readonly code: SealErrorCode;
  constructor(code: SealErrorCode, message: string) {
    super(message);
    this.name = 'SealError';
    this.code = code;
  }
}
