// The api service's internal interface, over mTLS (the api authorizes this service by the identity
// in its certificate, per route). The dashboard reaches payments data only through here.
import { createMtlsClient, httpError, type MtlsClient } from '#lib/http/index.ts';
import type { Identity } from '#lib/tls/index.ts';

export type CreatedAccount = { accountId: string; publicKey: string };

/** What sign-up needs from the api: a merchant account with its test-mode keys. */
export type AccountsApi = {
  createAccount(input: { email: string; name: string }, options?: { requestId?: string }): Promise<CreatedAccount>;
};

const unavailable = () => httpError(502, 'bad_gateway', 'The payments service could not create the account just now. Please try again in a minute.');

export function accountsApiOver(client: Pick<MtlsClient, 'request'>): AccountsApi {
  return {
    async createAccount(input, options = {}) {
      let response;
      try {
        response = await client.request('POST', '/internal/v1/accounts', { email: input.email, name: input.name }, { requestId: options.requestId });
      } catch {
        throw unavailable();
      }
      const body = response.body as { object?: unknown; id?: unknown; public_key?: unknown } | null;
      if (response.status !== 200 || body?.object !== 'account' || typeof body.id !== 'string' || typeof body.public_key !== 'string') throw unavailable();
      return { accountId: body.id, publicKey: body.public_key };
    },
  };
}

export function createApiClient(options: { identity: Identity; baseUrl: string }) {
  const client = createMtlsClient({ identity: options.identity, baseUrl: options.baseUrl, expectedServer: 'api' });
  return { ...accountsApiOver(client), close: () => client.close() };
}
export type ApiClient = ReturnType<typeof createApiClient>;
