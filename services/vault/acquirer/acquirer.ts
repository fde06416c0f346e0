// The connector interface between the vault and a card acquirer. The vault hands card data to
// `authorize` once; every later operation goes by the acquirer's reference. Results carry codes, amounts
// and references only: a connector never puts card data in a result, an error or a log line.
//
// CVV rule (the reason AcquirerTransportError exists): an approved or declined answer is definitive, so the
// vault destroys the security code; a transport failure is not an answer, so the vault keeps it and the
// charge may be retried with the same `reference`. Every operation must therefore be safe to retry after
// an AcquirerTransportError (connectors make them idempotent; see each method).

/** Card failure codes an issuer or acquirer can answer with (docs/omise-compat.md 10.3). */
export const CARD_FAILURE_CODES = [
  'insufficient_fund',
  'stolen_or_lost_card',
  'failed_processing',
  'payment_rejected',
  'invalid_security_code',
  'failed_fraud_check',
  'invalid_account_number',
] as const;
export type CardFailureCode = (typeof CARD_FAILURE_CODES)[number];

/** The `failure_message` Omise returns with each code (docs/omise-compat.md 10.3). */
export const CARD_FAILURE_MESSAGES: Readonly<Record<CardFailureCode, string>> = {
  insufficient_fund: 'insufficient funds in the account or the card has reached the credit limit',
  stolen_or_lost_card: 'card is stolen or lost',
  failed_processing: 'failed processing',
  payment_rejected: 'payment rejected',
  invalid_security_code: 'the security code is invalid',
  failed_fraud_check: 'failed fraud check',
  invalid_account_number: 'the account number is invalid',
};

/** Why a capture, reverse or refund was refused: the authorization's state does not allow it. */
export const OPERATION_FAILURE_CODES = [
  'unknown_authorization',
  'not_capturable',
  'amount_exceeds_authorized',
  'not_reversible',
  'not_refundable',
  'amount_exceeds_refundable',
] as const;
export type OperationFailureCode = (typeof OPERATION_FAILURE_CODES)[number];

export const OPERATION_FAILURE_MESSAGES: Readonly<Record<OperationFailureCode, string>> = {
  unknown_authorization: 'the acquirer does not know this authorization',
  not_capturable: 'the authorization cannot be captured (it is not an approved, uncaptured, unreversed authorization)',
  amount_exceeds_authorized: 'the capture amount is more than the authorized amount',
  not_reversible: 'the authorization cannot be reversed (only an approved, uncaptured authorization can)',
  not_refundable: 'the authorization cannot be refunded (nothing has been captured)',
  amount_exceeds_refundable: 'the refund amount is more than the captured amount not yet refunded',
};

export type AuthorizationRequest = {
  /** Our authorization (charge) id. The idempotency key: repeating a request with it replays the answer. */
  reference: string;
  /** Card number as ASCII digits. Owned by the caller (who zeroises it); a connector keeps no reference. */
  pan: Buffer;
  /** CVV as ASCII digits, or null when none is held (saved cards). Same ownership as `pan`. */
  securityCode: Buffer | null;
  expirationMonth: number;
  expirationYear: number;
  /** Smallest currency unit, a positive integer. */
  amount: number;
  /** Upper-case ISO 4217. */
  currency: string;
  /** true: authorize and capture at once; false: authorize only (capture later). */
  capture: boolean;
  livemode: boolean;
  /** Ask for 3-D Secure (the account requires it). Default false. */
  threeDSecure?: boolean;
};

export type AuthorizationApproved = {
  outcome: 'approved';
  acquirerReference: string;
  authorizedAmount: number;
  /** `authorizedAmount` when the request had `capture: true`, else 0. */
  capturedAmount: number;
};

export type AuthorizationDeclined = {
  outcome: 'declined';
  failureCode: CardFailureCode;
  failureMessage: string;
  /** false when the issuer rejected the security code (card.security_code_check). */
  securityCodeCheck: boolean;
  /** Set when the acquirer recorded the attempt; null when it refused without one. */
  acquirerReference: string | null;
};

/**
 * 3-D Secure is needed before the issuer decides. The payer authenticates, then the vault calls
 * `completeAuthentication` with `acquirerReference`; no card data is needed again.
 */
export type AuthenticationRequired = {
  outcome: 'authentication_required';
  acquirerReference: string;
  /** Where to send the payer, or null when the vault serves the page itself (the test acquirer). */
  authenticationUri: string | null;
};

export type AuthorizationResult = AuthorizationApproved | AuthorizationDeclined | AuthenticationRequired;
/** The issuer's answer once 3-D Secure is over. */
export type AuthenticationResult = AuthorizationApproved | AuthorizationDeclined;

export type CompleteAuthenticationRequest = { acquirerReference: string; authenticated: boolean };
export type CaptureRequest = { acquirerReference: string; amount: number };
export type ReverseRequest = { acquirerReference: string };
export type RefundRequest = {
  acquirerReference: string;
  amount: number;
  /** Our refund id. The idempotency key: repeating a refund with it replays the answer. */
  reference: string;
};

export type OperationDeclined = { outcome: 'declined'; failureCode: OperationFailureCode; failureMessage: string };
export type CaptureResult = { outcome: 'approved'; capturedAmount: number } | OperationDeclined;
export type ReverseResult = { outcome: 'approved'; reversedAmount: number } | OperationDeclined;
export type RefundResult =
  | {
      outcome: 'approved';
      /** The acquirer's reference for this refund. */
      acquirerReference: string;
      amount: number;
      /** All refunds on the authorization so far, this one included. */
      refundedAmount: number;
    }
  | OperationDeclined;

export type AcquirerOperation = 'authorize' | 'completeAuthentication' | 'capture' | 'reverse' | 'refund';

/**
 * What the vault calls. Every method may throw AcquirerTransportError (no answer: retry is safe, keep the
 * CVV) or AcquirerRequestError (the request itself is wrong: a caller bug, never a card's answer).
 */
export type Acquirer = {
  /** Idempotent by `reference`. */
  authorize(request: AuthorizationRequest): Promise<AuthorizationResult>;
  /** Idempotent: once completed, the same answer is replayed. */
  completeAuthentication(request: CompleteAuthenticationRequest): Promise<AuthenticationResult>;
  /** Capture up to the authorized amount, once. Repeating the capture that succeeded replays its answer. */
  capture(request: CaptureRequest): Promise<CaptureResult>;
  /** Release an approved, uncaptured authorization. Repeating it replays the answer. */
  reverse(request: ReverseRequest): Promise<ReverseResult>;
  /** Refund up to the captured amount minus earlier refunds. Idempotent by `reference`. */
  refund(request: RefundRequest): Promise<RefundResult>;
};

/**
 * The acquirer never answered (connection refused, timeout, reset). The outcome is unknown: the operation
 * may or may not have happened. Keep the CVV; retrying with the same references is safe. The message is
 * fixed, so it can carry no card data.
 */
export class AcquirerTransportError extends Error {
  readonly code = 'acquirer_unreachable';
  readonly operation: AcquirerOperation;
  constructor(operation: AcquirerOperation) {
    super(`the acquirer could not be reached during ${operation}; the outcome is unknown and the request may be retried`);
    this.name = 'AcquirerTransportError';
    this.operation = operation;
  }
}

export type AcquirerRequestErrorCode =
  | 'invalid_request'
  | 'livemode_not_supported'
  | 'unknown_authorization'
  | 'not_awaiting_authentication'
  | 'reference_conflict';

const REQUEST_ERROR_MESSAGES: Readonly<Record<Exclude<AcquirerRequestErrorCode, 'invalid_request'>, string>> = {
  livemode_not_supported: 'this acquirer accepts test mode requests only; a live card must never reach it',
  unknown_authorization: 'the acquirer does not know this authorization',
  not_awaiting_authentication: 'this authorization is not waiting for 3-D Secure',
  reference_conflict: 'this reference was already used for a different request',
};

/**
 * The connector refused the request before any issuer saw it: malformed fields, a live request sent to a
 * test acquirer, an unknown reference, or a reused reference. Nothing was authorized or moved. A caller bug
 * or misconfiguration, not a card's answer. Messages name fields, never values.
 */
export class AcquirerRequestError extends Error {
  readonly code: AcquirerRequestErrorCode;
  constructor(code: 'invalid_request', message: string);
  constructor(code: Exclude<AcquirerRequestErrorCode, 'invalid_request'>);
  constructor(code: AcquirerRequestErrorCode, message?: string) {
    super(code === 'invalid_request' ? (message ?? 'the acquirer request is invalid') : REQUEST_ERROR_MESSAGES[code]);
    this.name = 'AcquirerRequestError';
    this.code = code;
  }
}
