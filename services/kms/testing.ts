// Test bed for the KMS: the real service (buildKms) on a throwaway database, listening on mTLS with a
// throwaway CA, and one KMS client per caller identity, exactly as the other services call it.
import { auditMigrations } from '#lib/audit/index.ts';
import { loadSqlMigrations } from '#lib/db/index.ts';
import { createTestDatabase, freePort, type TestDatabase } from '#lib/db/testing.ts';
import { createTestCa, createTestLogger, staticIdentity, type TestLogger } from '#lib/http/testing.ts';
import { createKmsClient, type KmsClient } from '#lib/kms-client/index.ts';
import type { CertificateAuthority } from '#lib/tls/index.ts';
import type { KeyBackend } from './backends/key-backend.ts';
import type { KmsDatabase } from './db.ts';
import { buildKms } from './server.ts';

export type KmsTestbed = {
  kms: Awaited<ReturnType<typeof buildKms>>;
  database: TestDatabase<KmsDatabase>;
  ca: CertificateAuthority;
  port: number;
  log: TestLogger;
  /** The development shares file, when the bed auto-unseals from one (local backend). */
  sharesFile?: string;
  client(identity: string): Promise<KmsClient>;
  close(): Promise<void>;
};

export async function startKmsTestbed(backend: KeyBackend, options: { devSharesFile?: string } = {}): Promise<KmsTestbed> {
  const database = await createTestDatabase<KmsDatabase>([
    await auditMigrations(), await loadSqlMigrations('kms', new URL('./migrations/', import.meta.url)),
  ]);
  const ca = await createTestCa();
  const log = createTestLogger('kms');
  const port = await freePort();
  const internal = await staticIdentity(ca, 'kms');
  const kms = await buildKms({
    config: { databaseUrl: database.runtimeUrl, internal: { host: '127.0.0.1', port } },
    settings: { backend: backend.kind, rotationCheckSeconds: 3600, ...(options.devSharesFile ? { devSharesFile: options.devSharesFile } : {}) },
    backend,
    logger: log.logger,
    identities: { internal, stop() {} },
  });
  await kms.listen();
  const clients: KmsClient[] = [];
  return {
    kms, database, ca, port, log, sharesFile: options.devSharesFile,
    async client(identity: string) {
      const client = createKmsClient({ identity: await staticIdentity(ca, identity), baseUrl: `https://127.0.0.1:${port}` });
      clients.push(client);
      return client;
    },
    async close() {
      for (const client of clients) await client.close();
      await kms.close();
      await database.close();
      log.cleanup();
    },
  };
}
