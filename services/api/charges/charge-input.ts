// Reads a POST /charges body into what the service needs, with Omise's error codes: amount and
// currency problems are one 400 `invalid_charge` (joined with "and", as Omise words it), no card is
// 400 `missing_card`, a card parameter that is neither a token nor a saved card is 400
// `invalid_card_token`.
import { isIP } from 'node:net';
import { idPattern } from '#lib/contracts/index.ts';
import { httpError } from '#lib/http/index.ts';
import { readMetadata, type Metadata } from '../metadata/metadata.ts';
import { limitsOf } from './currencies.ts';
import type { CreateChargeBody } from './charges.schemas.ts';

export type ChargeSource =
  | { kind: 'token'; token: string }
  | { kind: 'card'; card: string; customer: string }
  | { kind: 'customer'; customer: string };

export type ChargeInput = {
  amount: number; currency: string; capture: boolean; authorizationType: string | null;
  description: string | null; metadata: Metadata; returnUri: string | null; ip: string | null;
  /** The merchant asked for 3-D Secure (`authentication: "3DS"`). */
  threeDSecure: boolean;
  source: ChargeSource;
};

const TOKEN = idPattern('token');
const CARD = idPattern('card');
export const CUSTOMER_ID = idPattern('customer');
// Amounts stay below 10^12 (the vault's bound, and exact in a double with room for fee arithmetic).
const MAX_AMOUNT = 999_999_999_999;

/** A positive integer amount, from a JSON number or a string of digits; otherwise why not. */
export function readAmount(value: unknown, name: string): { ok: true; value: number } | { ok: false; problem: string } {
  if (value === undefined || value === null || value === '') return { ok: false, problem: `${name} is required` };
  let n: number;
  if (typeof value === 'number') n = value;
  else if (typeof value === 'string' && value.length <= 32 && /^[+-]?[\d.]+$/.test(value.trim()) && !Number.isNaN(Number(value))) n = Number(value);
  else return { ok: false, problem: `${name} is not a number` };
  if (!Number.isFinite(n)) return { ok: false, problem: `${name} is not a number` };
  if (!Number.isInteger(n)) return { ok: false, problem: `${name} must be an integer` };
  if (n <= 0) return { ok: false, problem: `${name} must be greater than 0` };
  if (n > MAX_AMOUNT) return { ok: false, problem: `${name} must be at most ${MAX_AMOUNT}` };
  return { ok: true, value: n };
}

function readCurrency(value: unknown): { ok: true; value: string } | { ok: false; problem: string } {
  if (value === undefined || value === null || value === '') return { ok: false, problem: 'currency is required' };
  const code = typeof value === 'string' && /^[A-Za-z]{3}$/.test(value) ? value.toUpperCase() : null;
  if (code === null || !limitsOf(code)) return { ok: false, problem: 'currency is currently not supported' };
  return { ok: true, value: code };
}

function readSource(body: CreateChargeBody): ChargeSource {
  const card = body.card?.trim() || undefined;
  const customer = body.customer?.trim() || undefined;
  if (customer !== undefined && !CUSTOMER_ID.test(customer)) throw httpError(404, 'not_found', 'customer was not found');
  if (card === undefined) {
    if (customer === undefined) throw httpError(400, 'missing_card', 'request contains no card parameters');
    return { kind: 'customer', customer };
  }
  if (TOKEN.test(card)) {
    // A token is charged on its own; to keep a card for a customer, attach the token to the customer first.
    if (customer !== undefined) throw httpError(400, 'bad_request', 'a token cannot be charged together with a customer: attach it to the customer, then charge the card');
    return { kind: 'token', token: card };
  }
  if (CARD.test(card)) {
    if (customer === undefined) throw httpError(400, 'bad_request', `card ${card} is a saved card: send its customer too`);
    return { kind: 'card', card, customer };
  }
  throw httpError(400, 'invalid_card_token', 'invalid card token');
}

function readReturnUri(value: string | null | undefined): string | null {
  if (value === undefined || value === null || value === '') return null;
  let url: URL | null = null;
  try { url = new URL(value); } catch { url = null; }
  // Control characters and spaces are refused, not dropped as the URL parser would: the payer is redirected to it.
  if (!url || (url.protocol !== 'https:' && url.protocol !== 'http:') || url.username !== '' || url.password !== '' || /[\u0000-\u0020\u007f]/.test(value)) {
    throw httpError(400, 'invalid_charge', 'return uri is invalid');
  }
  return value;
}

function readAuthentication(value: string | undefined): boolean {
  if (value === 'PASSKEY') throw httpError(400, 'feature_not_supported', 'authentication PASSKEY is not supported; use 3DS');
  return value === '3DS';
}

export function readChargeInput(body: CreateChargeBody): ChargeInput {
  const problems: string[] = [];
  const currency = readCurrency(body.currency);
  if (!currency.ok) problems.push(currency.problem);
  const amount = readAmount(body.amount, 'amount');
  if (!amount.ok) problems.push(amount.problem);
  if (amount.ok && currency.ok) {
    const limits = limitsOf(currency.value)!;
    if (amount.value < limits.min) problems.push(`amount must be at least ${limits.min}`);
    if (amount.value > limits.max) problems.push(`amount must be at most ${limits.max}`);
  }
  if (problems.length > 0 || !amount.ok || !currency.ok) throw httpError(400, 'invalid_charge', problems.join(' and '));
  const ip = body.ip?.trim() || null;
  if (ip !== null && isIP(ip) === 0) throw httpError(400, 'bad_request', 'ip is not a valid IP address');
  return {
    amount: amount.value, currency: currency.value, capture: body.capture ?? true,
    authorizationType: body.authorization_type ?? null, description: body.description ?? null,
    metadata: readMetadata(body.metadata), returnUri: readReturnUri(body.return_uri), ip, threeDSecure: readAuthentication(body.authentication),
    source: readSource(body),
  };
}
