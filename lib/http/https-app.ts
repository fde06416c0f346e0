import Fastify, { LogController, type FastifyInstance } from 'fastify';
import type { Server as HttpsServer } from 'node:https';
import type { TLSSocket } from 'node:tls';
import type { Logger } from 'pino';
import { serverTlsOptions, type Identity } from '#lib/tls/index.ts';
import { handshakeRefusalReason, installCallerAuthorization, type Denial, type OnDenied } from './caller-authorization.ts';
import { installErrorHandling, sendFrameworkError } from './error-handler.ts';
import { requestIdGenerator } from './request-id.ts';
import { installSecurityHeaders, MIN_HSTS_SECONDS } from './security-headers.ts';

export type HttpsAppOptions = {
  readonly service: string;
  readonly identity: Identity;
  /** Internal listener: client certificates from the internal CA required, per-route allow-lists. */
  readonly mtls: boolean;
  readonly logger: Logger;
  readonly hstsMaxAgeSeconds?: number;
  readonly bodyLimit?: number;
  /** Audit hook for refused callers (403s and, on mTLS apps, refused handshakes). */
  readonly onDenied?: OnDenied;
};

const MAX_LOGGED_PATH = 512;

/**
 * A Fastify 5 app over HTTPS with the platform's TLS policy, security headers, request ids, one
 * Omise-shaped error handler and request logging without bodies or headers. Certificate renewals
 * (`identity.onChange`) are applied with `setSecureContext`, without a restart.
 */
export function createHttpsApp(options: HttpsAppOptions): FastifyInstance {
  const { identity, mtls, logger } = options;
  let secureHeaders: ReturnType<typeof installSecurityHeaders> = () => undefined;
  const app = Fastify({
    https: serverTlsOptions(identity.current(), { mtls }),
    loggerInstance: logger.child({ component: 'http', mtls }),
    // Fastify's own request lines include headers; ours (onResponse below) carry only what we choose.
    logController: new LogController({ disableRequestLogging: true, requestIdLogLabel: 'reqId' }),
    requestIdHeader: false,
    genReqId: requestIdGenerator({ mtls }),
    bodyLimit: options.bodyLimit ?? 64 * 1024,
    requestTimeout: 30_000,
    return503OnClosing: true,
    onProtoPoisoning: 'error',
    onConstructorPoisoning: 'error',
    // additionalProperties: false means "reject", not "silently drop".
    ajv: { customOptions: { removeAdditional: false } },
    // A malformed URL is answered before any hook runs: give it the same headers, request id and error shape.
    frameworkErrors: (error, request, reply) => {
      secureHeaders(request, reply);
      sendFrameworkError(error, reply);
    },
  }) as unknown as FastifyInstance;

  const report = (denial: Denial): void => {
    app.log.warn({ denial }, 'caller refused');
    try {
      options.onDenied?.(denial);
    } catch (error) {
      app.log.error({ err: error }, 'onDenied callback failed');
    }
  };

  // JSON only by default; a service that needs another format registers its parser explicitly.
  app.removeContentTypeParser('text/plain');
  app.decorateRequest('caller', null);
  secureHeaders = installSecurityHeaders(app, { hstsMaxAgeSeconds: options.hstsMaxAgeSeconds ?? MIN_HSTS_SECONDS });
  installErrorHandling(app);

  const server = app.server as unknown as HttpsServer;
  if (mtls) {
    installCallerAuthorization(app, { service: options.service, report });
    server.on('tlsClientError', (error: NodeJS.ErrnoException, socket: TLSSocket) => {
      const reason = handshakeRefusalReason(error, socket);
      if (reason !== null) report({ caller: null, reason, ip: socket.remoteAddress });
    });
  }

  const unsubscribe = identity.onChange((material) => {
    try {
      server.setSecureContext(serverTlsOptions(material, { mtls }));
      app.log.info({ notAfter: material.notAfter.toISOString() }, 'TLS certificate reloaded');
    } catch (error) {
      app.log.error({ err: error }, 'TLS certificate reload failed; keeping the previous one');
    }
  });
  app.addHook('onClose', async () => unsubscribe());

  app.addHook('onResponse', async (request, reply) => {
    const path = request.url.split('?', 1)[0] ?? '';
    request.log.info(
      {
        method: request.method,
        url: path.length > MAX_LOGGED_PATH ? `${path.slice(0, MAX_LOGGED_PATH)}…` : path,
        statusCode: reply.statusCode,
        durationMs: Math.round(reply.elapsedTime * 10) / 10,
        ...(mtls ? { caller: request.caller } : {}),
      },
      'request completed',
    );
  });

  return app;
}
