import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { TLSSocket } from 'node:tls';
import { identityOfPeer, isServiceName } from '#lib/tls/index.ts';
import { httpError } from './errors.ts';

declare module 'fastify' {
  interface FastifyRequest {
    /** Service name of the verified mTLS peer (`spiffe://strongroom.local/<name>`), null otherwise. */
    caller: string | null;
  }
  interface FastifyContextConfig {
    /** mTLS apps: service names allowed to call this route, or ['*'] for any verified internal identity. */
    allowedCallers?: readonly string[];
  }
}

/** A refused caller, at the route (403) or at the TLS handshake (caller null, no route). */
export type Denial = {
  readonly caller: string | null;
  readonly route?: string;
  readonly reason: string;
  readonly ip?: string;
  readonly requestId?: string;
};

export type OnDenied = (denial: Denial) => void;

type PeerInfo = { readonly caller: string | null; readonly notAfter: number };
// Keep-alive connections serve many requests; the peer certificate cannot change on a connection.
const peers = new WeakMap<TLSSocket, PeerInfo>();

function peerOf(socket: TLSSocket): PeerInfo {
  let info = peers.get(socket);
  if (info === undefined) {
    const certificate = socket.authorized === true ? socket.getPeerCertificate() : undefined;
    info = {
      caller: certificate === undefined ? null : identityOfPeer(certificate),
      notAfter: certificate?.valid_to === undefined ? 0 : Date.parse(certificate.valid_to),
    };
    peers.set(socket, info);
  }
  return info;
}

/** Route-level allow-lists for internal apps: fail closed at registration and at request time. */
export function installCallerAuthorization(app: FastifyInstance, options: { readonly service: string; readonly report: OnDenied }): void {
  app.addHook('onRoute', (route) => {
    const allowed = route.config?.allowedCallers;
    const where = `${String(route.method)} ${route.url} on internal app ${options.service}`;
    if (!Array.isArray(allowed) || allowed.length === 0) {
      throw new Error(`${where} must declare config.allowedCallers (service names, or ['*'])`);
    }
    for (const name of allowed) {
      if (name !== '*' && !isServiceName(name)) throw new Error(`${where}: invalid caller ${JSON.stringify(name)} in allowedCallers`);
    }
  });

  app.addHook('onRequest', async (request: FastifyRequest) => {
    const peer = peerOf(request.raw.socket as TLSSocket);
    request.caller = peer.caller;
    const allowed = request.routeOptions.config.allowedCallers;
    // No allow-list means no route matched: the 404 handler answers, nothing is served.
    if (allowed === undefined) return;
    const reason =
      peer.caller === null
        ? 'no_service_identity'
        : peer.notAfter <= Date.now()
          ? 'client_certificate_expired'
          : allowed.includes('*') || allowed.includes(peer.caller)
            ? undefined
            : 'caller_not_allowed';
    if (reason === undefined) return;
    options.report({
      caller: peer.caller,
      route: `${request.method} ${request.routeOptions.url ?? request.url.split('?', 1)[0]}`,
      reason,
      ip: request.ip,
      requestId: request.id,
    });
    throw httpError(403, 'forbidden', 'this caller is not allowed to use this endpoint');
  });
}

const VERIFY_REASONS: Readonly<Record<string, string>> = {
  CERT_HAS_EXPIRED: 'client_certificate_expired',
  CERT_NOT_YET_VALID: 'client_certificate_not_yet_valid',
  UNABLE_TO_VERIFY_LEAF_SIGNATURE: 'client_certificate_unknown_ca',
  UNABLE_TO_GET_ISSUER_CERT: 'client_certificate_unknown_ca',
  UNABLE_TO_GET_ISSUER_CERT_LOCALLY: 'client_certificate_unknown_ca',
  SELF_SIGNED_CERT_IN_CHAIN: 'client_certificate_unknown_ca',
  DEPTH_ZERO_SELF_SIGNED_CERT: 'client_certificate_unknown_ca',
  CERT_SIGNATURE_FAILURE: 'client_certificate_unknown_ca',
  INVALID_PURPOSE: 'client_certificate_wrong_purpose',
};

/**
 * Why a TLS handshake was refused, or null when it was not a refusal (a probe that connected and
 * left). Node destroys the socket after a failed client-certificate check and reports ECONNRESET;
 * the verification result is still on `socket.authorizationError`.
 */
export function handshakeRefusalReason(error: NodeJS.ErrnoException, socket: TLSSocket): string | null {
  const verifyError = verificationCode(socket.authorizationError as unknown);
  if (verifyError !== undefined) return VERIFY_REASONS[verifyError] ?? `client_certificate_rejected:${verifyError}`;
  if (error.code === 'ERR_SSL_PEER_DID_NOT_RETURN_A_CERTIFICATE') return 'no_client_certificate';
  if (typeof error.code === 'string' && error.code.startsWith('ERR_SSL_')) return `tls_handshake_failed:${error.code}`;
  return null;
}

// Node types it as Error, but sets the OpenSSL code string (or null when nothing was verified).
function verificationCode(value: unknown): string | undefined {
  if (typeof value === 'string') return value === '' ? undefined : value;
  if (value instanceof Error) return (value as NodeJS.ErrnoException).code ?? value.message;
  return undefined;
}
