// Each service's audit stream heads, signed by the KMS every minute (signed checkpoints): the chain can
// then be verified against the KMS's published `audit-checkpoint` public keys. A KMS that is sealed or
// down only delays checkpoints; it never stops the service.
import type { Logger } from 'pino';
import { createCheckpointer } from '#lib/audit/index.ts';
import type { Kysely } from '#lib/db/index.ts';
import { createKmsClient, kmsCheckpointSigner } from '#lib/kms-client/index.ts';
import type { Identity } from '#lib/tls/index.ts';

export const CHECKPOINT_INTERVAL_MS = 60_000;

export function auditCheckpointsViaKms<DB>(deps: {
  db: Kysely<DB>; service: string; identity: Identity; kmsUrl: string | undefined; logger: Logger; intervalMs?: number;
}) {
  if (!deps.kmsUrl) {
    deps.logger.warn('no KMS configured: audit checkpoints are not signed');
    return { runOnce: async () => 0, start() {}, async stop() {} };
  }
  const kms = createKmsClient({ identity: deps.identity, baseUrl: deps.kmsUrl });
  const checkpointer = createCheckpointer({
    db: deps.db, service: deps.service, signer: kmsCheckpointSigner(kms),
    intervalMs: deps.intervalMs ?? CHECKPOINT_INTERVAL_MS, logger: deps.logger,
  });
  return {
    runOnce: () => checkpointer.runOnce(),
    start: () => checkpointer.start(),
    async stop() {
      await checkpointer.stop();
      await kms.close();
    },
  };
}
