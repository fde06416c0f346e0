// Test harness: a fresh database (with its own migrator and runtime roles) on a real PostgreSQL server.
// The server is the one named by STRONGROOM_TEST_DATABASE_URL (an admin URL: `npm test` starts an
// embedded cluster and sets it; CI sets it to Debian's server), else one started for this process.
import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { join } from 'node:path';
import type { Kysely } from 'kysely';
import { createEmbeddedCluster } from '../pg-embedded/index.ts';
import { dropServiceDatabase, provisionServiceDatabase } from './provision.ts';
import { migrate, type MigrationSet } from './migrate.ts';
import { openDatabase } from './open.ts';

export type TestDatabase<DB> = {
  /** Connected as the runtime role (what the service uses). */
  db: Kysely<DB>;
  /** Connected as the migrator role (owner of the tables). */
  ownerDb: Kysely<DB>;
  adminUrl: string;
  runtimeUrl: string;
  migratorUrl: string;
  database: string;
  runtimeRole: string;
  close(): Promise<void>;
};

/**
 * `count` different free ports: every listener stays open until all are chosen, so one call never
 * hands out the same port twice (closing between calls let the OS give a port back at once).
 */
export async function freePorts(count: number): Promise<number[]> {
  const servers = await Promise.all(Array.from({ length: count }, () => new Promise<ReturnType<typeof createServer>>((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => resolve(server));
  })));
  const ports = servers.map((server) => (server.address() as { port: number }).port);
  await Promise.all(servers.map((server) => new Promise<void>((resolve) => server.close(() => resolve()))));
  return ports;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

let ownCluster: Promise<string> | undefined;

/** Starts an embedded cluster for this run; returns its admin URL and a stop function. */
export async function startTestCluster(): Promise<{ adminUrl: string; stop(): Promise<void> }> {
  const root = join(process.cwd(), '.test-data');
  await mkdir(root, { recursive: true, mode: 0o711 });
  const dir = await mkdtemp(join(root, 'pg-'));
  const cluster = await createEmbeddedCluster({ dir, port: await freePort() });
  await cluster.start();
  return {
    adminUrl: cluster.adminUrl,
    stop: async () => {
      await cluster.stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

async function adminUrl(): Promise<string> {
  const fromEnv = process.env.STRONGROOM_TEST_DATABASE_URL;
  if (fromEnv) return fromEnv;
  ownCluster ??= startTestCluster().then(({ adminUrl: url, stop }) => {
    process.once('beforeExit', () => void stop());
    return url;
  });
  return ownCluster;
}

export async function createTestDatabase<DB>(sets: MigrationSet[]): Promise<TestDatabase<DB>> {
  const admin = await adminUrl();
  const suffix = randomBytes(5).toString('hex');
  const spec = {
    database: `t_${suffix}`,
    migratorRole: `t_${suffix}_owner`,
    migratorPassword: randomBytes(16).toString('hex'),
    runtimeRole: `t_${suffix}_app`,
    runtimePassword: randomBytes(16).toString('hex'),
  };
  const { migratorUrl, runtimeUrl } = await provisionServiceDatabase(admin, spec);
  const ownerDb = openDatabase<DB>(migratorUrl, { max: 2 });
  await migrate(ownerDb as Kysely<unknown>, sets, { runtimeRole: spec.runtimeRole });
  const db = openDatabase<DB>(runtimeUrl, { max: 10 });
  return {
    db,
    ownerDb,
    adminUrl: admin,
    runtimeUrl,
    migratorUrl,
    database: spec.database,
    runtimeRole: spec.runtimeRole,
    async close() {
      await db.destroy();
      await ownerDb.destroy();
      await dropServiceDatabase(admin, spec);
    },
  };
}
