// The api's side of the vault's internal API (mTLS; the vault authorizes the `api` identity per route).
// The api never sees card data: answers carry card metadata (the Omise card object), amounts,
// statuses and failure codes. Non-2xx answers come back as they are (status + Omise error body), so
// a service can pass a vault refusal (`used_token`, `invalid_card_token`, `not_found`, …) through.
import { createMtlsClient, type MtlsResponse } from '#lib/http/index.ts';
import type { Identity } from '#lib/tls/index.ts';

export type PublicKeyPush = { key_id: string; key_hash: string; livemode: boolean };

/** The Omise card object as the vault answers it (metadata only). */
export type VaultCard = {
  object: 'card'; id: string; livemode: boolean; location: string | null; deleted: boolean;
  street1: string | null; street2: string | null; city: string | null; state: string | null; phone_number: string | null;
  postal_code: string | null; country: string; financing: string; bank: string; brand: string; fingerprint: string;
  first_digits: null; last_digits: string; name: string; expiration_month: number; expiration_year: number;
  security_code_check: boolean; tokenization_method: null; created_at: string;
};

export type VaultAuthorization = {
  object: 'authorization'; id: string; charge_id: string; livemode: boolean;
  status: 'approved' | 'declined' | 'authentication_required' | 'reversed';
  /** What an Omise charge's status would be now: successful, failed, pending or reversed. */
  charge_status: string; amount: number; currency: string;
  authorized_amount: number; captured_amount: number; refunded_amount: number;
  failure_code: string | null; failure_message: string | null; card: VaultCard | null;
  authentication_uri?: string | null;
};

/** What a merchant may change on a saved card (docs/omise-compat.md §8.5). */
export type CardDetailsChange = { name?: string; expiration_month?: number; expiration_year?: number; city?: string; postal_code?: string };

export type AuthorizeRequest = {
  livemode: boolean; charge_id: string; amount: number; currency: string; capture: boolean;
  token?: string; card?: string; customer?: string; three_d_secure?: boolean;
};

/** A 2xx answer's body, typed; otherwise the raw answer (status and Omise error object). */
export type VaultAnswer<T> = { ok: true; status: number; body: T } | { ok: false; status: number; body: { object?: string; code?: string; message?: string } };

function answer<T>(response: MtlsResponse): VaultAnswer<T> {
  return response.status >= 200 && response.status < 300
    ? { ok: true, status: response.status, body: response.body as T }
    : { ok: false, status: response.status, body: (response.body ?? {}) as { code?: string; message?: string } };
}

export function createVaultClient(options: { identity: Identity; baseUrl: string; timeoutMs?: number }) {
  const client = createMtlsClient({ identity: options.identity, baseUrl: options.baseUrl, expectedServer: 'vault', timeoutMs: options.timeoutMs ?? 10_000 });
  const account = (accountId: string) => `/internal/v1/accounts/${encodeURIComponent(accountId)}`;
  const call = async <T>(method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE', path: string, body?: unknown, requestId?: string) =>
    answer<T>(await client.request(method, path, body, { requestId }));
  return {
    /** The account's public keys become exactly `keys` at the vault. */
    async putPublicKeys(accountId: string, keys: readonly PublicKeyPush[]): Promise<MtlsResponse> {
      return client.request('PUT', `${account(accountId)}/public-keys`, { keys });
    },
    attachCard: (accountId: string, livemode: boolean, customerId: string, token: string, requestId?: string) =>
      call<VaultCard>('POST', `${account(accountId)}/customers/${encodeURIComponent(customerId)}/cards`, { livemode, token }, requestId),
    listCards: (accountId: string, livemode: boolean, customerId: string) =>
      call<{ object: 'list'; data: VaultCard[] }>('GET', `${account(accountId)}/customers/${encodeURIComponent(customerId)}/cards?livemode=${livemode}`),
    getCard: (accountId: string, livemode: boolean, cardId: string) =>
      call<VaultCard>('GET', `${account(accountId)}/cards/${encodeURIComponent(cardId)}?livemode=${livemode}`),
    /** Holder details only (name, expiry, city, postal code): the number of a saved card never changes. */
    updateCard: (accountId: string, livemode: boolean, customerId: string, cardId: string, change: CardDetailsChange, requestId?: string) =>
      call<VaultCard>('PATCH', `${account(accountId)}/customers/${encodeURIComponent(customerId)}/cards/${encodeURIComponent(cardId)}`, { livemode, ...change }, requestId),
    deleteCard: (accountId: string, livemode: boolean, cardId: string, requestId?: string) =>
      call<VaultCard>('DELETE', `${account(accountId)}/cards/${encodeURIComponent(cardId)}?livemode=${livemode}`, undefined, requestId),
    eraseCustomer: (accountId: string, livemode: boolean, customerId: string, requestId?: string) =>
      call<{ customer: string; deleted_cards: number }>('POST', `${account(accountId)}/customers/${encodeURIComponent(customerId)}/erase`, { livemode }, requestId),
    authorize: (accountId: string, request: AuthorizeRequest, requestId?: string) =>
      call<VaultAuthorization>('POST', `${account(accountId)}/authorizations`, request, requestId),
    getAuthorization: (accountId: string, livemode: boolean, id: string) =>
      call<VaultAuthorization>('GET', `${account(accountId)}/authorizations/${encodeURIComponent(id)}?livemode=${livemode}`),
    authenticate: (accountId: string, livemode: boolean, id: string, authenticated: boolean, requestId?: string) =>
      call<VaultAuthorization>('POST', `${account(accountId)}/authorizations/${encodeURIComponent(id)}/authenticate`, { livemode, authenticated }, requestId),
    capture: (accountId: string, livemode: boolean, id: string, amount?: number, requestId?: string) =>
      call<VaultAuthorization>('POST', `${account(accountId)}/authorizations/${encodeURIComponent(id)}/capture`, { livemode, ...(amount === undefined ? {} : { amount }) }, requestId),
    reverse: (accountId: string, livemode: boolean, id: string, requestId?: string) =>
      call<VaultAuthorization>('POST', `${account(accountId)}/authorizations/${encodeURIComponent(id)}/reverse`, { livemode }, requestId),
    refund: (accountId: string, livemode: boolean, id: string, amount: number, refundId: string, requestId?: string) =>
      call<VaultAuthorization>('POST', `${account(accountId)}/authorizations/${encodeURIComponent(id)}/refunds`, { livemode, amount, refund_id: refundId }, requestId),
    request: client.request,
    close: () => client.close(),
  };
}

export type VaultClient = ReturnType<typeof createVaultClient>;
