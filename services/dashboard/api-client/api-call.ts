// One request to the api's internal listener, turned into what a dashboard page can show. Shared so
// every page built on the api answers the same way: only a 200 object is data; the api's refusals the
// user can act on keep the api's words; a 404 gets the page's own words; anything else is a 502 that
// says nothing of the api's internals.
import { httpError, isErrorCode, type HttpMethod, type MtlsClient } from '#lib/http/index.ts';

export const apiUnavailable = () => httpError(502, 'bad_gateway', 'The payments service could not be reached just now. Please try again in a minute.');

export type ApiCallOptions = {
  requestId?: string;
  /** The dashboard only ever names its session's account: a 404 is an id of another account, or none. */
  notFound: string;
  /** The error when no usable answer came back (a change that may still have been made says so). */
  failed?: () => Error;
};

export async function callApi<T>(client: Pick<MtlsClient, 'request'>, method: HttpMethod, path: string, body: unknown, options: ApiCallOptions): Promise<T> {
  const failed = options.failed ?? apiUnavailable;
  let response;
  try {
    response = await client.request(method, path, body, { requestId: options.requestId });
  } catch {
    throw failed();
  }
  if (response.status === 200 && response.body !== null && typeof response.body === 'object') return response.body as T;
  const error = (response.body ?? {}) as { code?: unknown; message?: unknown };
  // The api's refusals the user can act on (more than is left to refund, a bad allow-list, too many
  // keys) keep their words.
  if ((response.status === 400 || response.status === 409) && isErrorCode(error.code) && typeof error.message === 'string') {
    throw httpError(response.status, error.code, error.message);
  }
  if (response.status === 404) throw httpError(404, 'not_found', options.notFound);
  throw failed();
}
