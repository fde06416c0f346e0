import { randomBytes } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { TLSSocket } from 'node:tls';
import { identityOfPeer } from '#lib/tls/index.ts';

const WELL_FORMED = /^req_[A-Za-z0-9_-]{8,64}$/;

export function newRequestId(): string {
  return `req_${randomBytes(12).toString('base64url')}`;
}

// Whether a connection's peer is a verified service, per keep-alive connection: the certificate cannot
// change on a connection, and getPeerCertificate() builds a new object every call.
const servicePeers = new WeakMap<TLSSocket, boolean>();

function isServicePeer(socket: TLSSocket): boolean {
  let verified = servicePeers.get(socket);
  if (verified === undefined) {
    verified = socket.authorized === true && identityOfPeer(socket.getPeerCertificate()) !== null;
    servicePeers.set(socket, verified);
  }
  return verified;
}

/**
 * Fastify `genReqId`. An incoming X-Request-Id is kept only from a verified internal caller (so one
 * id follows a request across services) and only if well formed; the public never picks our ids.
 */
export function requestIdGenerator(options: { readonly mtls: boolean }): (request: IncomingMessage) => string {
  return (request) => {
    const incoming = request.headers['x-request-id'];
    if (options.mtls && typeof incoming === 'string' && WELL_FORMED.test(incoming)) {
      if (isServicePeer(request.socket as TLSSocket)) return incoming;
    }
    return newRequestId();
  };
}
