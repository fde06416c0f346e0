// Turning the vault's answers into the api's: a refusal passes through with its own status and code
// (`used_token`, `invalid_card_token`, `not_found`, `failed_capture`, …); an outage, a vault bug or
// no answer at all is a 503, since the outcome is not known to the api.
import { httpError, isErrorCode, type HttpError } from '#lib/http/index.ts';
import type { ChargeStatus } from '../db.ts';
import type { VaultAnswer, VaultAuthorization } from '../vault/vault-client.ts';
import type { AuthorizationChange } from './charges.store.ts';

export type Refusal = { ok: false; status: number; body: { code?: string; message?: string } };

const UNAVAILABLE_MESSAGE = 'the card vault could not be reached; nothing was charged for certain, try again shortly';

export function isOutage(answer: Refusal): boolean {
  return answer.status >= 500;
}

/** The error the api answers with for a refusal of the vault. */
export function passThrough(answer: Refusal): HttpError {
  if (isOutage(answer)) {
    const message = answer.body.code === 'service_unavailable' && answer.body.message ? answer.body.message : UNAVAILABLE_MESSAGE;
    return httpError(503, 'service_unavailable', message);
  }
  const status = answer.status >= 400 && answer.status < 500 ? answer.status : 400;
  const code = isErrorCode(answer.body.code) ? answer.body.code : 'bad_request';
  const message = typeof answer.body.message === 'string' && answer.body.message !== '' ? answer.body.message : 'the request was refused';
  return httpError(status, code, message);
}

/** Calls the vault; a thrown transport error (refused, reset, timed out) becomes an outage answer. */
export async function ask<T>(call: () => Promise<VaultAnswer<T>>): Promise<VaultAnswer<T>> {
  try {
    return await call();
  } catch {
    return { ok: false, status: 503, body: { code: 'service_unavailable', message: UNAVAILABLE_MESSAGE } };
  }
}

/** The charge status an authorization stands for (docs/omise-compat.md §7.3 table). */
export function chargeStatusOf(authorization: Pick<VaultAuthorization, 'status' | 'captured_amount'>): ChargeStatus {
  switch (authorization.status) {
    case 'declined': return 'failed';
    case 'reversed': return 'reversed';
    case 'approved': return authorization.captured_amount > 0 ? 'successful' : 'pending';
    default: return 'pending';
  }
}

export function changeFrom(authorization: VaultAuthorization): AuthorizationChange {
  return {
    status: chargeStatusOf(authorization),
    authorization_id: authorization.id,
    authorized: authorization.status === 'approved' || authorization.status === 'reversed',
    authorized_amount: authorization.authorized_amount,
    captured_amount: authorization.captured_amount,
    refunded_amount: authorization.refunded_amount,
    failure_code: authorization.failure_code,
    failure_message: authorization.failure_message,
    card: authorization.card,
    authorize_uri: authorization.authentication_uri ?? null,
  };
}
