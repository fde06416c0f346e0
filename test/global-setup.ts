// One embedded PostgreSQL cluster for the whole test run, unless the caller names a server
// (CI runs the suite a second time against Debian's PostgreSQL through STRONGROOM_TEST_DATABASE_URL).
import { startTestCluster } from '../lib/db/testing.ts';

let stop: (() => Promise<void>) | undefined;

export async function globalSetup() {
  if (process.env.STRONGROOM_TEST_DATABASE_URL) return;
  const cluster = await startTestCluster();
  process.env.STRONGROOM_TEST_DATABASE_URL = cluster.adminUrl;
  stop = cluster.stop;
}

export async function globalTeardown() {
  await stop?.();
}
