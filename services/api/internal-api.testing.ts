// The api's internal (mTLS) listener as server.ts builds it — caller certificates required, refusals
// audited through auditDenials — with the routes under test registered and one mTLS client per caller
// identity, so each internal-route test exercises the real handshake and denial path, not a copy of it.
import type { FastifyInstance } from 'fastify';
import type { Audit } from '#lib/audit/index.ts';
import { createHttpsApp, createMtlsClient, type MtlsClient } from '#lib/http/index.ts';
import { createTestCa, createTestLogger, listen, staticIdentity, type TestLogger } from '#lib/http/testing.ts';
import { auditDenials } from '#lib/runtime/index.ts';

export type InternalApi = {
  readonly app: FastifyInstance;
  readonly clients: Record<string, MtlsClient>;
  readonly log: TestLogger;
  close(): Promise<void>;
};

export async function startInternalApi(options: {
  audit: Audit;
  callers: readonly string[];
  register: (app: FastifyInstance) => PromiseLike<unknown>;
}): Promise<InternalApi> {
  const ca = await createTestCa();
  const log = createTestLogger('api');
  const app = createHttpsApp({ service: 'api', identity: await staticIdentity(ca, 'api'), mtls: true, logger: log.logger, onDenied: auditDenials(options.audit, 'api', log.logger) });
  await options.register(app);
  const port = await listen(app);
  const clients: Record<string, MtlsClient> = {};
  for (const caller of options.callers) {
    clients[caller] = createMtlsClient({ identity: await staticIdentity(ca, caller), baseUrl: `https://127.0.0.1:${port}`, expectedServer: 'api' });
  }
  return {
    app,
    clients,
    log,
    close: async () => {
      for (const client of Object.values(clients)) await client.close();
      await app.close();
      log.cleanup();
    },
  };
}
