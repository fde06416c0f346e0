// Shape checks every connector runs before acting on a request. A failure is a caller bug, so it throws
// AcquirerRequestError('invalid_request') with a message that names the field and never its value.
// Card data stays in its Buffers: the checks read bytes and never make a string of them.
import { AcquirerRequestError } from './acquirer.ts';
import type { AuthorizationRequest, CaptureRequest, CompleteAuthenticationRequest, RefundRequest, ReverseRequest } from './acquirer.ts';

const PAN_MIN_DIGITS = 13;
const PAN_MAX_DIGITS = 19;
const REFERENCE = /^[A-Za-z0-9_-]{1,255}$/;
const CURRENCY = /^[A-Z]{3}$/;

function invalid(message: string): never {
  throw new AcquirerRequestError('invalid_request', message);
}

/** Whether `bytes` is `min`..`max` ASCII digits. */
export function isAsciiDigits(bytes: unknown, min: number, max: number): bytes is Buffer {
  if (!Buffer.isBuffer(bytes) || bytes.length < min || bytes.length > max) return false;
  for (const byte of bytes) if (byte < 0x30 || byte > 0x39) return false;
  return true;
}

/** Luhn (mod 10) check over ASCII digit bytes, without turning them into a string. */
export function luhnValidBytes(digits: Buffer): boolean {
  if (!isAsciiDigits(digits, 1, Number.MAX_SAFE_INTEGER)) return false;
  let sum = 0;
  let double = false;
  for (let i = digits.length - 1; i >= 0; i--) {
    let d = (digits[i] ?? 0x30) - 0x30;
    if (double) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
    double = !double;
  }
  return sum % 10 === 0;
}

function checkObject(request: unknown): asserts request is Record<string, unknown> {
  if (typeof request !== 'object' || request === null) invalid('the request must be an object');
}

function checkReference(value: unknown, field: string): void {
  if (typeof value !== 'string' || !REFERENCE.test(value)) invalid(`${field} must be 1 to 255 letters, digits, '_' or '-'`);
}

function checkAmount(value: unknown): void {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value <= 0) invalid('amount must be a positive integer in the smallest currency unit');
}

export function checkAuthorizationRequest(request: AuthorizationRequest): void {
  checkObject(request);
  checkReference(request.reference, 'reference');
  if (!isAsciiDigits(request.pan, PAN_MIN_DIGITS, PAN_MAX_DIGITS)) invalid(`pan must be ${PAN_MIN_DIGITS} to ${PAN_MAX_DIGITS} ASCII digits`);
  if (request.securityCode !== null && !isAsciiDigits(request.securityCode, 3, 4)) invalid('securityCode must be null or 3 to 4 ASCII digits');
  const month = request.expirationMonth;
  if (!Number.isInteger(month) || month < 1 || month > 12) invalid('expirationMonth must be an integer from 1 to 12');
  const year = request.expirationYear;
  if (!Number.isInteger(year) || year < 1000 || year > 9999) invalid('expirationYear must be a four-digit integer');
  checkAmount(request.amount);
  if (typeof request.currency !== 'string' || !CURRENCY.test(request.currency)) invalid('currency must be an upper-case ISO 4217 code');
  if (typeof request.capture !== 'boolean') invalid('capture must be a boolean');
  if (typeof request.livemode !== 'boolean') invalid('livemode must be a boolean');
  if (request.threeDSecure !== undefined && typeof request.threeDSecure !== 'boolean') invalid('threeDSecure must be a boolean');
}

export function checkCompleteAuthenticationRequest(request: CompleteAuthenticationRequest): void {
  checkObject(request);
  checkReference(request.acquirerReference, 'acquirerReference');
  if (typeof request.authenticated !== 'boolean') invalid('authenticated must be a boolean');
}

export function checkCaptureRequest(request: CaptureRequest): void {
  checkObject(request);
  checkReference(request.acquirerReference, 'acquirerReference');
  checkAmount(request.amount);
}

export function checkReverseRequest(request: ReverseRequest): void {
  checkObject(request);
  checkReference(request.acquirerReference, 'acquirerReference');
}

export function checkRefundRequest(request: RefundRequest): void {
  checkObject(request);
  checkReference(request.acquirerReference, 'acquirerReference');
  checkReference(request.reference, 'reference');
  checkAmount(request.amount);
}
