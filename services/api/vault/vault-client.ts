// The api's side of the vault's internal API (mTLS; the vault authorizes the `api` identity per route).
import { createMtlsClient, type MtlsResponse } from '#lib/http/index.ts';
import type { Identity } from '#lib/tls/index.ts';

export type PublicKeyPush = { key_id: string; key_hash: string; livemode: boolean };

export function createVaultClient(options: { identity: Identity; baseUrl: string; timeoutMs?: number }) {
  const client = createMtlsClient({ identity: options.identity, baseUrl: options.baseUrl, expectedServer: 'vault', timeoutMs: options.timeoutMs ?? 10_000 });
  return {
    /** The account's public keys become exactly `keys` at the vault. */
    async putPublicKeys(accountId: string, keys: readonly PublicKeyPush[]): Promise<MtlsResponse> {
      return client.request('PUT', `/internal/v1/accounts/${encodeURIComponent(accountId)}/public-keys`, { keys });
    },
    request: client.request,
    close: () => client.close(),
  };
}

export type VaultClient = ReturnType<typeof createVaultClient>;
