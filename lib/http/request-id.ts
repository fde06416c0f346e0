import { randomBytes } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { TLSSocket } from 'node:tls';
import { identityOfPeer } from '#lib/tls/index.ts';

const WELL_FORMED = /^req_[A-Za-z0-9_-]{8,64}$/;

export function newRequestId(): string {
  return `req_${randomBytes(12).toString('base64url')}`;
}

/**
 * Fastify `genReqId`. An incoming X-Request-Id is kept only from a verified internal caller (so one
 * id follows a request across services) and only if well formed; the public never picks our ids.
 */
export function requestIdGenerator(options: { readonly mtls: boolean }): (request: IncomingMessage) => string {
  return (request) => {
    const incoming = request.headers['x-request-id'];
    if (options.mtls && typeof incoming === 'string' && WELL_FORMED.test(incoming)) {
      const socket = request.socket as TLSSocket;
      if (socket.authorized === true && identityOfPeer(socket.getPeerCertificate()) !== null) return incoming;
    }
    return newRequestId();
  };
}
