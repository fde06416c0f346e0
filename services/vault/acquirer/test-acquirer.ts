// The built-in TEST acquirer: answers as Opn Payments (Omise) test mode does for its test cards
// (test-cards.ts), and approves any other Luhn-valid number. Not for production: it moves no money,
// refuses livemode requests, and keeps its state in memory only (a bounded Map, oldest authorizations
// forgotten first, after which their references are unknown). Card data is read during `authorize` and
// never kept: the state holds amounts, outcomes and random references only.
import { randomBytes } from 'node:crypto';
import { AcquirerRequestError, AcquirerTransportError, CARD_FAILURE_MESSAGES, OPERATION_FAILURE_MESSAGES } from './acquirer.ts';
import type {
  Acquirer, AcquirerOperation, AuthenticationResult, AuthorizationDeclined, AuthorizationRequest, AuthorizationResult,
  CaptureRequest, CaptureResult, CardFailureCode, CompleteAuthenticationRequest, OperationDeclined, OperationFailureCode,
  RefundRequest, RefundResult, ReverseRequest, ReverseResult,
} from './acquirer.ts';
import {
  checkAuthorizationRequest, checkCaptureRequest, checkCompleteAuthenticationRequest, checkRefundRequest, checkReverseRequest,
  luhnValidBytes,
} from './request-checks.ts';
import { TEST_CARDS } from './test-cards.ts';
import type { TestCardOutcome } from './test-cards.ts';
import type { TransportFaults } from './transport-faults.ts';

export const DEFAULT_MAX_AUTHORIZATIONS = 10_000;

export type TestAcquirerOptions = {
  /** Planned transport failures (createTransportFaults); none by default. */
  faults?: TransportFaults;
  /** Authorizations remembered before the oldest are forgotten. */
  maxAuthorizations?: number;
};

// The table as bytes, so a PAN is compared as bytes and never copied into a string.
const CARD_TABLE = TEST_CARDS.map((card) => ({ digits: Buffer.from(card.number, 'ascii'), outcome: card.outcome }));

function cardOutcome(pan: Buffer): TestCardOutcome {
  for (const card of CARD_TABLE) if (card.digits.equals(pan)) return card.outcome;
  // Any other valid number is approved; an invalid one is "not assigned" (10.3).
  return luhnValidBytes(pan) ? 'approved' : 'invalid_account_number';
}

type Status = 'awaiting_authentication' | 'authorized' | 'captured' | 'reversed' | 'declined';

type Refund = { acquirerReference: string; authorization: string; amount: number; refundedAmount: number };

type Authorization = {
  acquirerReference: string;
  reference: string;
  // What the request asked for, to tell a retry from a reused reference.
  amount: number;
  currency: string;
  capture: boolean;
  threeDSecure: boolean;
  status: Status;
  // Only what 3-D Secure completion needs: the card's outcome, never the card.
  pendingOutcome: TestCardOutcome | null;
  authorizeResult: AuthorizationResult;
  authenticationResult: AuthenticationResult | null;
  capturedAmount: number;
  refundedAmount: number;
  refundReferences: string[];
};

const newReference = (kind: 'auth' | 'rfnd') => `test_${kind}_${randomBytes(16).toString('hex')}`;

function declined(code: CardFailureCode, acquirerReference: string): AuthorizationDeclined {
  return {
    outcome: 'declined',
    failureCode: code,
    failureMessage: CARD_FAILURE_MESSAGES[code],
    securityCodeCheck: code !== 'invalid_security_code',
    acquirerReference,
  };
}

const refused = (code: OperationFailureCode): OperationDeclined => ({ outcome: 'declined', failureCode: code, failureMessage: OPERATION_FAILURE_MESSAGES[code] });

export function createTestAcquirer(options: TestAcquirerOptions = {}) {
  const faults = options.faults ?? null;
  const maxAuthorizations = options.maxAuthorizations ?? DEFAULT_MAX_AUTHORIZATIONS;
  if (!Number.isSafeInteger(maxAuthorizations) || maxAuthorizations < 1) throw new TypeError('createTestAcquirer: maxAuthorizations must be a positive integer');

  const authorizations = new Map<string, Authorization>(); // by acquirer reference, oldest first
  const byReference = new Map<string, string>(); // our authorization id -> acquirer reference
  const refunds = new Map<string, Refund>(); // our refund id -> refund

  function remember(authorization: Authorization): void {
    authorizations.set(authorization.acquirerReference, authorization);
    byReference.set(authorization.reference, authorization.acquirerReference);
    for (const [oldest, forgotten] of authorizations) {
      if (authorizations.size <= maxAuthorizations) break;
      authorizations.delete(oldest);
      byReference.delete(forgotten.reference);
      for (const refund of forgotten.refundReferences) refunds.delete(refund);
    }
  }

  // A `request_lost` fault strikes before the acquirer acts, a `response_lost` one after.
  async function transport<T>(operation: AcquirerOperation, act: () => T): Promise<T> {
    const fault = faults?.take(operation) ?? null;
    if (fault === 'request_lost') throw new AcquirerTransportError(operation);
    const result = act();
    if (fault === 'response_lost') throw new AcquirerTransportError(operation);
    return result;
  }

  // The issuer's decision for the card's outcome; records the authorization's new status.
  function issuerAnswer(outcome: TestCardOutcome, authorization: Authorization): AuthenticationResult {
    const { acquirerReference } = authorization;
    authorization.status = 'declined';
    if (outcome === '3ds_enrollment_failed' || outcome === '3ds_validation_failed') return declined('payment_rejected', acquirerReference);
    if (outcome !== 'approved') return declined(outcome, acquirerReference);
    authorization.status = authorization.capture ? 'captured' : 'authorized';
    authorization.capturedAmount = authorization.capture ? authorization.amount : 0;
    return { outcome: 'approved', acquirerReference, authorizedAmount: authorization.amount, capturedAmount: authorization.capturedAmount };
  }

  function authorizeNow(request: AuthorizationRequest): AuthorizationResult {
    const threeDSecure = request.threeDSecure ?? false;
    const known = authorizations.get(byReference.get(request.reference) ?? '');
    if (known !== undefined) {
      const same = known.amount === request.amount && known.currency === request.currency && known.capture === request.capture && known.threeDSecure === threeDSecure;
      if (!same) throw new AcquirerRequestError('reference_conflict');
      return { ...known.authorizeResult };
    }
    const outcome = cardOutcome(request.pan);
    const acquirerReference = newReference('auth');
    // 3-D Secure first when asked for; the vault serves the test authentication page (omise-compat.md 10.4).
    const authorization: Authorization = {
      acquirerReference,
      reference: request.reference,
      amount: request.amount,
      currency: request.currency,
      capture: request.capture,
      threeDSecure,
      status: 'awaiting_authentication',
      pendingOutcome: outcome,
      authorizeResult: { outcome: 'authentication_required', acquirerReference, authenticationUri: null },
      authenticationResult: null,
      capturedAmount: 0,
      refundedAmount: 0,
      refundReferences: [],
    };
    if (!threeDSecure || outcome === '3ds_enrollment_failed') {
      authorization.pendingOutcome = null;
      authorization.authorizeResult = issuerAnswer(outcome, authorization);
    }
    remember(authorization);
    return { ...authorization.authorizeResult };
  }

  function completeNow(request: CompleteAuthenticationRequest): AuthenticationResult {
    const authorization = authorizations.get(request.acquirerReference);
    if (authorization === undefined) throw new AcquirerRequestError('unknown_authorization');
    if (authorization.authenticationResult !== null) return { ...authorization.authenticationResult };
    if (authorization.status !== 'awaiting_authentication' || authorization.pendingOutcome === null) {
      throw new AcquirerRequestError('not_awaiting_authentication');
    }
    const outcome = request.authenticated ? authorization.pendingOutcome : '3ds_validation_failed';
    authorization.pendingOutcome = null;
    authorization.authenticationResult = issuerAnswer(outcome, authorization);
    return { ...authorization.authenticationResult };
  }

  function captureNow(request: CaptureRequest): CaptureResult {
    const authorization = authorizations.get(request.acquirerReference);
    if (authorization === undefined) return refused('unknown_authorization');
    // Repeating the capture that succeeded answers the same (a retry after a lost answer).
    if (authorization.status === 'captured' && !authorization.capture && authorization.capturedAmount === request.amount) {
      return { outcome: 'approved', capturedAmount: authorization.capturedAmount };
    }
    if (authorization.status !== 'authorized') return refused('not_capturable');
    if (request.amount > authorization.amount) return refused('amount_exceeds_authorized');
    authorization.status = 'captured';
    authorization.capturedAmount = request.amount;
    return { outcome: 'approved', capturedAmount: request.amount };
  }

  function reverseNow(request: ReverseRequest): ReverseResult {
    const authorization = authorizations.get(request.acquirerReference);
    if (authorization === undefined) return refused('unknown_authorization');
    if (authorization.status === 'reversed') return { outcome: 'approved', reversedAmount: authorization.amount };
    if (authorization.status !== 'authorized') return refused('not_reversible');
    authorization.status = 'reversed';
    return { outcome: 'approved', reversedAmount: authorization.amount };
  }

  function refundNow(request: RefundRequest): RefundResult {
    const earlier = refunds.get(request.reference);
    if (earlier !== undefined) {
      if (earlier.authorization !== request.acquirerReference || earlier.amount !== request.amount) throw new AcquirerRequestError('reference_conflict');
      return { outcome: 'approved', acquirerReference: earlier.acquirerReference, amount: earlier.amount, refundedAmount: earlier.refundedAmount };
    }
    const authorization = authorizations.get(request.acquirerReference);
    if (authorization === undefined) return refused('unknown_authorization');
    if (authorization.status !== 'captured') return refused('not_refundable');
    if (request.amount > authorization.capturedAmount - authorization.refundedAmount) return refused('amount_exceeds_refundable');
    authorization.refundedAmount += request.amount;
    const refund: Refund = {
      acquirerReference: newReference('rfnd'),
      authorization: authorization.acquirerReference,
      amount: request.amount,
      refundedAmount: authorization.refundedAmount,
    };
    refunds.set(request.reference, refund);
    authorization.refundReferences.push(request.reference);
    return { outcome: 'approved', acquirerReference: refund.acquirerReference, amount: refund.amount, refundedAmount: refund.refundedAmount };
  }

  // Async throughout, so a refused request is a rejected promise like every other failure.
  const acquirer = {
    async authorize(request: AuthorizationRequest): Promise<AuthorizationResult> {
      checkAuthorizationRequest(request);
      if (request.livemode) throw new AcquirerRequestError('livemode_not_supported');
      return transport('authorize', () => authorizeNow(request));
    },
    async completeAuthentication(request: CompleteAuthenticationRequest): Promise<AuthenticationResult> {
      checkCompleteAuthenticationRequest(request);
      return transport('completeAuthentication', () => completeNow(request));
    },
    async capture(request: CaptureRequest): Promise<CaptureResult> {
      checkCaptureRequest(request);
      return transport('capture', () => captureNow(request));
    },
    async reverse(request: ReverseRequest): Promise<ReverseResult> {
      checkReverseRequest(request);
      return transport('reverse', () => reverseNow(request));
    },
    async refund(request: RefundRequest): Promise<RefundResult> {
      checkRefundRequest(request);
      return transport('refund', () => refundNow(request));
    },
    /** Authorizations remembered now (for tests of the bound). */
    size(): number {
      return authorizations.size;
    },
  } satisfies Acquirer & { size(): number };
  return acquirer;
}

export type TestAcquirer = ReturnType<typeof createTestAcquirer>;
