// The api's key management for one account, over the api's internal mTLS listener
// (services/api/keys/keys.routes.ts). Every change names the dashboard user (`actor_id`), which the
// api writes into its audit trail. A secret key's value arrives only in the answer that made it;
// this module hands it to the page and keeps nothing.
import type { MtlsClient } from '#lib/http/index.ts';
import { callApi } from '../api-client/api-call.ts';

export type ApiKey = {
  id: string;
  kind: 'public' | 'secret';
  livemode: boolean;
  hint: string;
  /** A public key's value; a secret key's only in the answer that created it, else null. */
  key: string | null;
  active: boolean;
  created_at: string;
  expires_at: string | null;
  last_used_at: string | null;
  last_used_ip: string | null;
  ip_allowlist: string[] | null;
};

export type KeysApi = {
  list(accountId: string, options: { includeExpired: boolean; requestId?: string }): Promise<ApiKey[]>;
  create(accountId: string, input: { livemode: boolean; kind?: 'public' | 'secret'; actorId: string; requestId?: string }): Promise<ApiKey[]>;
  roll(accountId: string, keyId: string, input: { graceSeconds: number; actorId: string; requestId?: string }): Promise<{ rolled: ApiKey; created: ApiKey }>;
  setAllowlist(accountId: string, keyId: string, input: { blocks: string[] | null; actorId: string; requestId?: string }): Promise<ApiKey>;
  revoke(accountId: string, keyId: string, input: { actorId: string; requestId?: string }): Promise<ApiKey>;
};

export function keysApiOver(client: Pick<MtlsClient, 'request'>): KeysApi {
  const call = <T>(method: 'GET' | 'POST' | 'PUT', path: string, body: unknown, requestId: string | undefined): Promise<T> =>
    callApi<T>(client, method, path, body, { requestId, notFound: 'There is no such API key in this account.' });
  const keysOf = (accountId: string) => `/internal/v1/accounts/${encodeURIComponent(accountId)}/keys`;
  const keyOf = (accountId: string, keyId: string) => `${keysOf(accountId)}/${encodeURIComponent(keyId)}`;
  return {
    async list(accountId, options) {
      const body = await call<{ data: ApiKey[] }>('GET', `${keysOf(accountId)}${options.includeExpired ? '?include_expired=true' : ''}`, undefined, options.requestId);
      return body.data;
    },
    async create(accountId, input) {
      const body = await call<{ data: ApiKey[] }>('POST', keysOf(accountId), { actor_id: input.actorId, livemode: input.livemode, ...(input.kind ? { kind: input.kind } : {}) }, input.requestId);
      return body.data;
    },
    roll: (accountId, keyId, input) =>
      call('POST', `${keyOf(accountId, keyId)}/roll`, { actor_id: input.actorId, grace_seconds: input.graceSeconds }, input.requestId),
    setAllowlist: (accountId, keyId, input) =>
      call('PUT', `${keyOf(accountId, keyId)}/ip-allowlist`, { actor_id: input.actorId, ip_allowlist: input.blocks }, input.requestId),
    revoke: (accountId, keyId, input) =>
      call('POST', `${keyOf(accountId, keyId)}/revoke`, { actor_id: input.actorId }, input.requestId),
  };
}
