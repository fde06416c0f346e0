// The callers' side of the KMS API (lib/contracts/kms.ts), over a kept-alive mTLS connection. Fails
// closed: a sealed or unreachable KMS raises KmsUnavailableError, and nothing proceeds without a key.
import { createMtlsClient, type MtlsResponse } from '#lib/http/index.ts';
import type { Identity } from '#lib/tls/index.ts';
import type {
  DataKeyResponse, DecryptResponse, MacBatchResponse, MacResponse, PublicKeysResponse, RewrapResponse, SealStatusResponse, SignResponse,
} from '#lib/contracts/index.ts';

/** The KMS cannot serve key operations now (sealed, down, or unreachable): callers must refuse too. */
export class KmsUnavailableError extends Error {
  readonly reason: 'sealed' | 'unreachable' | 'unavailable';
  constructor(reason: 'sealed' | 'unreachable' | 'unavailable', message: string) {
    super(message);
    this.name = 'KmsUnavailableError';
    this.reason = reason;
  }
}

/** The KMS refused or failed the request (403, 404, 410, 422, …): a definite answer, not an outage. */
export class KmsRequestError extends Error {
  readonly status: number;
  readonly code: string;
  constructor(status: number, code: string, message: string) {
    super(message);
    this.name = 'KmsRequestError';
    this.status = status;
    this.code = code;
  }
}

export function createKmsClient(options: { identity: Identity; baseUrl: string; timeoutMs?: number }) {
  const client = createMtlsClient({ identity: options.identity, baseUrl: options.baseUrl, expectedServer: 'kms', timeoutMs: options.timeoutMs ?? 5_000 });

  async function call<T>(method: 'GET' | 'POST' | 'DELETE', path: string, body?: unknown, requestId?: string): Promise<T> {
    let response: MtlsResponse;
    try {
      response = await client.request(method, path, body, { requestId });
    } catch (error) {
      throw new KmsUnavailableError('unreachable', `the KMS could not be reached: ${(error as Error).message}`);
    }
    if (response.status >= 200 && response.status < 300) return response.body as T;
    const answer = (response.body ?? {}) as { code?: unknown; message?: unknown };
    const code = typeof answer.code === 'string' ? answer.code : 'unknown';
    const message = typeof answer.message === 'string' ? answer.message : `KMS answered ${response.status}`;
    if (code === 'kms_sealed') throw new KmsUnavailableError('sealed', 'the KMS is sealed');
    if (response.status >= 500) throw new KmsUnavailableError('unavailable', message);
    throw new KmsRequestError(response.status, code, message);
  }

  const key = (keyId: string) => `/v1/keys/${encodeURIComponent(keyId)}`;
  return {
    dataKey: (keyId: string, requestId?: string) => call<DataKeyResponse>('POST', `${key(keyId)}/data-key`, undefined, requestId),
    decrypt: (wrapped: string, requestId?: string) => call<DecryptResponse>('POST', '/v1/decrypt', { wrapped }, requestId),
    rewrap: (wrapped: string, requestId?: string) => call<RewrapResponse>('POST', '/v1/rewrap', { wrapped }, requestId),
    hmac: (keyId: string, data: Uint8Array, requestId?: string) =>
      call<MacResponse>('POST', `${key(keyId)}/hmac`, { data: Buffer.from(data).toString('base64') }, requestId),
    hmacBatch: (keyId: string, data: readonly Uint8Array[], requestId?: string) =>
      call<MacBatchResponse>('POST', `${key(keyId)}/hmac-batch`, { data: data.map((item) => Buffer.from(item).toString('base64')) }, requestId),
    sign: (keyId: string, data: Uint8Array, requestId?: string) =>
      call<SignResponse>('POST', `${key(keyId)}/sign`, { data: Buffer.from(data).toString('base64') }, requestId),
    publicKeys: (keyId: string) => call<PublicKeysResponse>('GET', `${key(keyId)}/public-keys`),
    destroy: (keyId: string, requestId?: string) => call<{ key_id: string; destroyed_versions: number[] }>('DELETE', key(keyId), undefined, requestId),
    sealStatus: () => call<SealStatusResponse>('GET', '/v1/sys/seal-status'),
    /** Raw access for operator tools (admin routes). */
    call,
    close: () => client.close(),
  };
}

export type KmsClient = ReturnType<typeof createKmsClient>;
