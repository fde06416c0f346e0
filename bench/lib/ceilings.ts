// The two ceilings every bench/ figure is divided by, measured in the same run on the same machine:
//   A. a bare HTTPS JSON endpoint on the platform's HTTPS app (same TLS policy, client, concurrency);
//   B. the durable (fsync on) single-row INSERT rate of PostgreSQL on the same disk, via pgbench.
// Ceiling B needs STRONGROOM_TEST_DATABASE_URL (a cluster the caller started, see startTestCluster).
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { createHttpsApp } from '#lib/http/index.ts';
import { createTestCa, createTestLogger, listen, staticIdentity } from '#lib/http/testing.ts';
import { sql, type Kysely } from '#lib/db/index.ts';
import { createTestDatabase } from '#lib/db/testing.ts';
import { basicAuth, describeAnswer, drive, postJson, summarize, type Check } from './closed-loop.ts';

const PGBENCH = ['/usr/lib/postgresql/15/bin/pgbench'].find((path) => existsSync(path)) ?? 'pgbench';
const run = promisify(execFile);

export type Phases = { workers: number; seconds: number; warmupSeconds: number };

/** Ceiling A: POST `path` answered at once with a small JSON object, over the platform's TLS policy. */
export async function bareHttpsCeiling(phases: Phases, path: string, body: () => string) {
  const ca = await createTestCa();
  const log = createTestLogger('bench');
  const app = createHttpsApp({ service: 'vault', identity: await staticIdentity(ca, 'vault'), mtls: false, logger: log.logger });
  app.post(path, async () => ({ object: 'bench', id: 'bench_0000000000000000000', livemode: false }));
  const port = await listen(app);
  const headers = { authorization: basicAuth('key_bench') };
  const check: Check = (answer) => (answer.status === 200 ? null : describeAnswer(answer));
  const phase = (seconds: number) => drive({
    origin: `https://127.0.0.1:${port}`, caPem: ca.certPem, workers: phases.workers, seconds, check,
    step: (pool) => postJson(pool, path, headers, body()),
  });
  try {
    process.stderr.write('ceiling A: bare HTTPS endpoint\n');
    await phase(phases.warmupSeconds);
    const result = await phase(phases.seconds);
    return { result, ...summarize('bare HTTPS', result) };
  } finally {
    await app.close();
    log.cleanup();
  }
}

const insertSet = {
  name: 'bench_insert',
  migrations: {
    '0001_bench_insert': `CREATE TABLE bench_insert (id bigserial PRIMARY KEY, payload text);
                          GRANT INSERT ON bench_insert TO {{runtime_role}};
                          GRANT USAGE ON SEQUENCE bench_insert_id_seq TO {{runtime_role}};`,
  },
};

export async function durability(db: Kysely<unknown>) {
  const show = async (name: 'fsync' | 'synchronous_commit' | 'wal_sync_method' | 'server_version') =>
    (await sql<Record<string, string>>`SHOW ${sql.raw(name)}`.execute(db)).rows[0]?.[name] ?? '?';
  return { fsync: await show('fsync'), synchronousCommit: await show('synchronous_commit'), walSync: await show('wal_sync_method'), version: await show('server_version') };
}

/** libpq settings from a connection URL; the password goes in the environment, not on a command line. */
function libpqEnv(url: string): NodeJS.ProcessEnv {
  const parsed = new URL(url);
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH, PGHOST: parsed.hostname, PGPORT: parsed.port || '5432',
    PGUSER: decodeURIComponent(parsed.username), PGPASSWORD: decodeURIComponent(parsed.password),
    PGDATABASE: parsed.pathname.slice(1), PGAPPNAME: 'bench-pgbench', PGCONNECT_TIMEOUT: '10',
  };
  // node-postgres uses no TLS unless the URL asks for it; libpq would try TLS first.
  env.PGSSLMODE = parsed.searchParams.get('sslmode') ?? 'disable';
  const rootCert = parsed.searchParams.get('sslrootcert');
  if (rootCert) env.PGSSLROOTCERT = rootCert;
  return env;
}

async function pgbench(env: NodeJS.ProcessEnv, script: string, workers: number, seconds: number) {
  const { stdout } = await run(PGBENCH, ['-n', '-c', String(workers), '-j', '2', '-T', String(seconds), '-f', script], { env, maxBuffer: 1 << 20 });
  const tps = /^tps = ([0-9.]+)/m.exec(stdout);
  const failed = /^number of failed transactions: ([0-9]+)/m.exec(stdout);
  const latency = /^latency average = ([0-9.]+) ms/m.exec(stdout);
  if (!tps) throw new Error(`pgbench printed no tps line:\n${stdout}`);
  if (failed && failed[1] !== '0') throw new Error(`pgbench: ${failed[1]} failed transactions`);
  return { tps: Number(tps[1]), latencyMs: latency ? Number(latency[1]) : NaN };
}

/** Ceiling B: one durable single-row INSERT per transaction, `workers` clients. */
export async function insertCeiling(phases: Phases) {
  const database = await createTestDatabase<unknown>([insertSet]);
  const dir = await mkdtemp(join(tmpdir(), 'bench-pgbench-'));
  try {
    const settings = await durability(database.db);
    process.stderr.write(`ceiling B: pgbench (${PGBENCH}) on PostgreSQL ${settings.version}, fsync=${settings.fsync}, synchronous_commit=${settings.synchronousCommit}\n`);
    if (settings.fsync !== 'on' || settings.synchronousCommit !== 'on') throw new Error('the cluster is not durable (fsync and synchronous_commit must be on)');
    const script = join(dir, 'insert.sql');
    await writeFile(script, `INSERT INTO bench_insert (payload) VALUES ('${'x'.repeat(100)}');\n`, { mode: 0o600 });
    const env = libpqEnv(database.runtimeUrl);
    await pgbench(env, script, phases.workers, phases.warmupSeconds);
    const result = await pgbench(env, script, phases.workers, phases.seconds);
    const rows = (await sql<{ n: number }>`SELECT count(*)::int AS n FROM bench_insert`.execute(database.ownerDb)).rows[0]?.n ?? 0;
    process.stderr.write(`  pgbench INSERT: ${result.tps.toFixed(0)} tps, latency average ${result.latencyMs.toFixed(2)} ms (${rows} rows)\n`);
    return { ...result, settings, sslmode: env.PGSSLMODE };
  } finally {
    await rm(dir, { recursive: true, force: true });
    await database.close();
  }
}
