import { Agent } from 'undici';
import type { PeerCertificate } from 'node:tls';
import { clientTlsOptions, identityOfPeer, isServiceName, type Identity, type IdentityMaterial } from '#lib/tls/index.ts';

export type MtlsClientOptions = {
  readonly identity: Identity;
  /** `https://host:port` of the internal listener. */
  readonly baseUrl: string;
  /** Service name the server certificate must carry (`spiffe://strongroom.local/<expectedServer>`). */
  readonly expectedServer: string;
  readonly timeoutMs?: number;
  readonly maxResponseBytes?: number;
};

export type MtlsResponse = { readonly status: number; readonly body: unknown };

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

/**
 * JSON client for internal mTLS calls over a keep-alive undici Agent. Trusts only the internal CA
 * from the identity and accepts a server only if its certificate carries `expectedServer`'s SPIFFE
 * ID (host names are not what identifies an internal peer). When the identity renews, a new Agent
 * is built and the old one drains its in-flight requests.
 */
export function createMtlsClient(options: MtlsClientOptions) {
  if (!isServiceName(options.expectedServer)) throw new TypeError(`invalid expectedServer: ${JSON.stringify(options.expectedServer)}`);
  const base = new URL(options.baseUrl);
  if (base.protocol !== 'https:' || base.username !== '' || base.password !== '' || (base.pathname !== '/' && base.pathname !== '')) {
    throw new TypeError('baseUrl must be https://host[:port] without path or credentials');
  }
  const timeoutMs = options.timeoutMs ?? 10_000;
  const maxResponseBytes = options.maxResponseBytes ?? 1024 * 1024;

  function checkServerIdentity(_host: string, certificate: PeerCertificate): Error | undefined {
    const actual = identityOfPeer(certificate);
    if (actual === options.expectedServer) return undefined;
    const error = new Error(`server identity ${String(actual)} is not the expected ${options.expectedServer}`) as NodeJS.ErrnoException;
    error.code = 'ERR_STRONGROOM_SERVER_IDENTITY';
    return error;
  }

  function buildAgent(material: IdentityMaterial): Agent {
    return new Agent({
      connect: { ...clientTlsOptions(material), checkServerIdentity },
      keepAliveTimeout: 30_000,
      headersTimeout: timeoutMs,
      bodyTimeout: timeoutMs,
      maxResponseSize: maxResponseBytes,
    });
  }

  let agent = buildAgent(options.identity.current());
  const unsubscribe = options.identity.onChange((material) => {
    const previous = agent;
    agent = buildAgent(material);
    void previous.close().catch(() => undefined);
  });

  return {
    async request(method: HttpMethod, path: string, body?: unknown, extra: { readonly requestId?: string } = {}): Promise<MtlsResponse> {
      if (!path.startsWith('/') || path.startsWith('//')) throw new TypeError('path must start with a single /');
      const headers: Record<string, string> = { accept: 'application/json' };
      if (body !== undefined) headers['content-type'] = 'application/json';
      if (extra.requestId !== undefined) headers['x-request-id'] = extra.requestId;
      const response = await agent.request({
        origin: base.origin,
        path,
        method,
        headers,
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(timeoutMs),
      });
      const text = await response.body.text();
      const type = String(response.headers['content-type'] ?? '');
      let parsed: unknown = text;
      if (text === '') parsed = null;
      else if (type.startsWith('application/json')) parsed = JSON.parse(text) as unknown;
      return { status: response.statusCode, body: parsed };
    },
    async close(): Promise<void> {
      unsubscribe();
      await agent.close();
    },
  };
}

export type MtlsClient = ReturnType<typeof createMtlsClient>;
