// Calling the vault for customers' cards. A refusal passes through with the vault's own status and
// code (`used_token`, `invalid_card_token`, …); an outage, a vault bug or no answer at all is a 503.
import { httpError, isErrorCode, type HttpError } from '#lib/http/index.ts';
import type { VaultAnswer } from '../vault/vault-client.ts';

export type Refusal = { ok: false; status: number; body: { code?: string; message?: string } };

const UNAVAILABLE = 'the card vault could not be reached; try again shortly';

/** Calls the vault; a thrown transport error (refused, reset, timed out) becomes an outage answer. */
export async function ask<T>(call: () => Promise<VaultAnswer<T>>): Promise<VaultAnswer<T>> {
  try {
    return await call();
  } catch {
    return { ok: false, status: 503, body: { code: 'service_unavailable', message: UNAVAILABLE } };
  }
}

/** No answer, or a vault failure: whether the vault acted is not known. */
export function outcomeUnknown(answer: Refusal): boolean {
  return answer.status >= 500;
}

/** The error the api answers with for a refusal of the vault. */
export function passThrough(answer: Refusal): HttpError {
  if (outcomeUnknown(answer)) return httpError(503, 'service_unavailable', UNAVAILABLE);
  const status = answer.status >= 400 && answer.status < 500 ? answer.status : 400;
  const code = isErrorCode(answer.body.code) ? answer.body.code : 'bad_request';
  const message = typeof answer.body.message === 'string' && answer.body.message !== '' ? answer.body.message : 'the request was refused';
  return httpError(status, code, message);
}

/** The answer's body, or the refusal thrown. */
export async function must<T>(call: () => Promise<VaultAnswer<T>>): Promise<T> {
  const answer = await ask(call);
  if (!answer.ok) throw passThrough(answer);
  return answer.body;
}

/** Runs `fn` over `items` with at most `limit` calls in flight, keeping the order. */
export async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    for (let i = next++; i < items.length; i = next++) results[i] = await fn(items[i]!);
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}
