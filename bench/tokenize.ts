// Benchmark: the vault's public tokenization endpoint (POST /tokens), as ratios against two ceilings
// measured in the same run on the same machine:
//   A. a bare HTTPS JSON endpoint on the platform's HTTPS app (same TLS policy, client, body, concurrency);
//   B. the durable (fsync on) single-row INSERT rate of the same PostgreSQL cluster, via pgbench.
//   node_modules/.bin/node bench/tokenize.ts      (BENCH_SECONDS=10 per phase, BENCH_WORKERS=16)
// Phases run one after another (never two at once), each after a 2 s warm-up. Absolute figures move
// ±25 % between runs on this 2-core box, where the load generator shares the cores with the vault (in
// this process), the KMS process and PostgreSQL: compare the ratios only. Uses
// STRONGROOM_TEST_DATABASE_URL when set, else starts an embedded cluster of its own.
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { promisify } from 'node:util';
import { Pool } from 'undici';
import { createHttpsApp } from '#lib/http/index.ts';
import { createTestCa, createTestLogger, listen, staticIdentity } from '#lib/http/testing.ts';
import { sql, type Kysely } from '#lib/db/index.ts';
import { createTestDatabase, startTestCluster } from '#lib/db/testing.ts';
import { startVaultTestbed } from '../services/vault/testing.ts';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
const WORKERS = Number(process.env.BENCH_WORKERS ?? 16);
const WARMUP_SECONDS = 2;
const GOALS = { insertRatio: 0.5, p99Ms: 10 } as const;
const PGBENCH = ['/usr/lib/postgresql/15/bin/pgbench'].find((path) => existsSync(path)) ?? 'pgbench';
const run = promisify(execFile);

type Answer = { status: number; body: unknown };
type Check = (answer: Answer) => string | null;
type PhaseResult = { ok: number; errors: number; seconds: number; latencies: Float64Array; problems: Map<string, number>; ids: string[] };

// A synthetic, Luhn-valid 16-digit Visa number; a fresh one per request so no two cards coincide.
function randomVisa(): string {
  const payload = '4' + [...randomBytes(14)].map((byte) => String(byte % 10)).join('');
  let sum = 0;
  for (let i = 0; i < payload.length; i++) {
    let digit = payload.charCodeAt(payload.length - 1 - i) - 48;
    if (i % 2 === 0) digit = digit * 2 > 9 ? digit * 2 - 9 : digit * 2;
    sum += digit;
  }
  return payload + String((10 - (sum % 10)) % 10);
}

const tokenBody = () => JSON.stringify({
  card: { name: 'Bench User', number: randomVisa(), expiration_month: 12, expiration_year: 2040, security_code: '123' },
});

/** The error code of an answer, never its body (a body could carry card metadata). */
function describe(answer: Answer): string {
  const code = typeof answer.body === 'object' && answer.body !== null ? (answer.body as { code?: unknown }).code : undefined;
  return `HTTP ${answer.status}${typeof code === 'string' ? ` ${code}` : ''}`;
}

/** WORKERS closed loops of POST /tokens on one kept-alive TLS pool, until `seconds` have passed. */
async function drive(origin: string, caPem: string, publicKey: string, seconds: number, check: Check): Promise<PhaseResult> {
  const pool = new Pool(origin, { connect: { ca: caPem }, connections: WORKERS, pipelining: 1, keepAliveTimeout: 30_000 });
  const headers = { authorization: `Basic ${Buffer.from(`${publicKey}:`).toString('base64')}`, 'content-type': 'application/json' };
  const latencies: number[] = [];
  const problems = new Map<string, number>();
  const ids: string[] = [];
  let ok = 0;
  let errors = 0;
  const fail = (problem: string) => {
    errors++;
    problems.set(problem, (problems.get(problem) ?? 0) + 1);
  };
  const started = performance.now();
  const deadline = started + seconds * 1000;
  try {
    await Promise.all(Array.from({ length: WORKERS }, async () => {
      while (performance.now() < deadline) {
        const body = tokenBody();
        const t0 = performance.now();
        try {
          const response = await pool.request({ path: '/tokens', method: 'POST', headers, body });
          const text = await response.body.text();
          latencies.push(performance.now() - t0);
          let parsed: unknown;
          try {
            parsed = JSON.parse(text);
          } catch {
            parsed = undefined;
          }
          const answer = { status: response.statusCode, body: parsed };
          const problem = check(answer);
          if (problem !== null) {
            fail(problem);
            continue;
          }
          ok++;
          ids.push(String((parsed as { id: unknown }).id));
        } catch (error) {
          fail(`transport: ${error instanceof Error ? error.message : String(error)}`);
        }
      }
    }));
  } finally {
    await pool.close();
  }
  return { ok, errors, seconds: (performance.now() - started) / 1000, latencies: Float64Array.from(latencies).sort(), problems, ids };
}

const percentile = (sorted: Float64Array, p: number) => sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] ?? NaN;

function summarize(label: string, result: PhaseResult) {
  const rate = result.ok / result.seconds;
  const p50 = percentile(result.latencies, 0.5);
  const p99 = percentile(result.latencies, 0.99);
  process.stderr.write(`  ${label}: ${rate.toFixed(0)}/s, p50 ${p50.toFixed(2)} ms, p99 ${p99.toFixed(2)} ms, ${result.errors} errors\n`);
  return { rate, p50, p99 };
}

const isToken: Check = (answer) => {
  if (answer.status !== 200) return describe(answer);
  const id = (answer.body as { id?: unknown } | undefined)?.id;
  return typeof id === 'string' && id.startsWith('tokn_test_') ? null : 'HTTP 200 without a tokn_test_ id';
};

// ---- Ceiling A: a bare HTTPS JSON endpoint with the same TLS policy (the platform's HTTPS app). ----
async function bareHttpsCeiling() {
  const ca = await createTestCa();
  const log = createTestLogger('bench');
  const app = createHttpsApp({ service: 'vault', identity: await staticIdentity(ca, 'vault'), mtls: false, logger: log.logger });
  app.post('/tokens', async () => ({ object: 'token', id: 'tokn_test_0000000000000000000', livemode: false }));
  const port = await listen(app);
  const origin = `https://127.0.0.1:${port}`;
  const check: Check = (answer) => (answer.status === 200 ? null : describe(answer));
  try {
    process.stderr.write('ceiling A: bare HTTPS endpoint\n');
    await drive(origin, ca.certPem, 'pkey_test_bench', WARMUP_SECONDS, check);
    const result = await drive(origin, ca.certPem, 'pkey_test_bench', SECONDS, check);
    return { result, ...summarize('bare HTTPS', result) };
  } finally {
    await app.close();
    log.cleanup();
  }
}

// ---- Ceiling B: pgbench, one durable single-row INSERT per transaction, same cluster. ----
const insertSet = {
  name: 'bench_insert',
  migrations: {
    '0001_bench_insert': `CREATE TABLE bench_insert (id bigserial PRIMARY KEY, payload text);
                          GRANT INSERT ON bench_insert TO {{runtime_role}};
                          GRANT USAGE ON SEQUENCE bench_insert_id_seq TO {{runtime_role}};`,
  },
};

async function durability(db: Kysely<unknown>) {
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
  const sslmode = parsed.searchParams.get('sslmode');
  const rootCert = parsed.searchParams.get('sslrootcert');
  // node-postgres (the vault's driver) uses no TLS unless the URL asks for it; libpq would try TLS first.
  env.PGSSLMODE = sslmode ?? 'disable';
  if (rootCert) env.PGSSLROOTCERT = rootCert;
  return env;
}

async function pgbench(env: NodeJS.ProcessEnv, script: string, seconds: number) {
  const { stdout } = await run(PGBENCH, ['-n', '-c', String(WORKERS), '-j', '2', '-T', String(seconds), '-f', script], { env, maxBuffer: 1 << 20 });
  const tps = /^tps = ([0-9.]+)/m.exec(stdout);
  const failed = /^number of failed transactions: ([0-9]+)/m.exec(stdout);
  const latency = /^latency average = ([0-9.]+) ms/m.exec(stdout);
  if (!tps) throw new Error(`pgbench printed no tps line:\n${stdout}`);
  if (failed && failed[1] !== '0') throw new Error(`pgbench: ${failed[1]} failed transactions`);
  return { tps: Number(tps[1]), latencyMs: latency ? Number(latency[1]) : NaN };
}

async function insertCeiling() {
  const database = await createTestDatabase<unknown>([insertSet]);
  const dir = await mkdtemp(join(tmpdir(), 'bench-pgbench-'));
  try {
    const settings = await durability(database.db);
    process.stderr.write(`ceiling B: pgbench (${PGBENCH}) on PostgreSQL ${settings.version}, fsync=${settings.fsync}, synchronous_commit=${settings.synchronousCommit}\n`);
    if (settings.fsync !== 'on' || settings.synchronousCommit !== 'on') throw new Error('the cluster is not durable (fsync and synchronous_commit must be on)');
    const script = join(dir, 'insert.sql');
    await writeFile(script, `INSERT INTO bench_insert (payload) VALUES ('${'x'.repeat(100)}');\n`, { mode: 0o600 });
    const env = libpqEnv(database.runtimeUrl);
    await pgbench(env, script, WARMUP_SECONDS);
    const result = await pgbench(env, script, SECONDS);
    const rows = (await sql<{ n: number }>`SELECT count(*)::int AS n FROM bench_insert`.execute(database.ownerDb)).rows[0]?.n ?? 0;
    process.stderr.write(`  pgbench INSERT: ${result.tps.toFixed(0)} tps, latency average ${result.latencyMs.toFixed(2)} ms (${rows} rows)\n`);
    return { ...result, settings, sslmode: env.PGSSLMODE };
  } finally {
    await rm(dir, { recursive: true, force: true });
    await database.close();
  }
}

// ---- The real thing: a vault (with a real KMS process over mTLS) on a throwaway database. ----
async function vaultTokenize() {
  process.stderr.write('vault: starting KMS process and vault\n');
  const bed = await startVaultTestbed();
  try {
    const { publicKey } = await bed.merchant();
    process.stderr.write('vault: POST /tokens\n');
    const warm = await drive(bed.publicUrl, bed.caPem, publicKey, WARMUP_SECONDS, isToken);
    const result = await drive(bed.publicUrl, bed.caPem, publicKey, SECONDS, isToken);
    const stats = summarize('tokenize', result);
    await bed.vault.tokens.idle();
    const db = bed.database.db;
    const answered = [...warm.ids, ...result.ids];
    const rows = (await sql<{ n: number }>`SELECT count(*)::int AS n FROM vault_tokens`.execute(db)).rows[0]?.n ?? 0;
    const found = (await sql<{ n: number }>`SELECT count(*)::int AS n FROM vault_tokens WHERE id = ANY(${answered}::text[])`.execute(db)).rows[0]?.n ?? 0;
    // Group commit writes a batch with one created_at: the batches show how requests were grouped.
    const batches = (await sql<{ n: number; biggest: number }>`
      SELECT count(*)::int AS n, max(size)::int AS biggest FROM (SELECT count(*) AS size FROM vault_tokens GROUP BY created_at) AS b`.execute(db)).rows[0];
    const settings = await durability(db as Kysely<unknown>);
    return {
      result, warm, ...stats, settings,
      durability: { answered: answered.length, unique: new Set(answered).size, rows, found },
      batches: { count: batches?.n ?? 0, biggest: batches?.biggest ?? 0 },
    };
  } finally {
    await bed.close();
  }
}

function report(a: Awaited<ReturnType<typeof bareHttpsCeiling>>, b: Awaited<ReturnType<typeof insertCeiling>>, v: Awaited<ReturnType<typeof vaultTokenize>>) {
  const row = (label: string, rate: string, p50: string, p99: string) => `  ${label.padEnd(34)}${rate.padStart(10)}${p50.padStart(10)}${p99.padStart(10)}`;
  const ms = (value: number) => value.toFixed(2);
  const insertRatio = v.rate / b.tps;
  const goal = (ok: boolean) => (ok ? 'MET' : 'MISSED');
  const { durability: d } = v;
  const durable = d.rows === d.answered && d.found === d.answered && d.unique === d.answered;
  console.log(`\nPOST /tokens, ${WORKERS} concurrent clients over kept-alive TLS, ${SECONDS} s per phase after a ${WARMUP_SECONDS} s warm-up`);
  console.log(`(one process drives the load and runs the vault; the KMS and PostgreSQL share the same 2 cores)\n`);
  console.log(row('', 'per s', 'p50 ms', 'p99 ms'));
  console.log(row('vault tokenize (tokens)', v.rate.toFixed(0), ms(v.p50), ms(v.p99)));
  console.log(row('ceiling A: bare HTTPS JSON (requests)', a.rate.toFixed(0), ms(a.p50), ms(a.p99)));
  console.log(row('ceiling B: pgbench INSERT (tx)', b.tps.toFixed(0), ms(b.latencyMs), '(avg)'));
  console.log(`\n  tokenize / bare HTTPS          ${(v.rate / a.rate).toFixed(3)}`);
  console.log(`  tokenize / pgbench INSERT      ${insertRatio.toFixed(3)}`);
  console.log(`  tokenize p99 / bare HTTPS p99  ${(v.p99 / a.p99).toFixed(1)}×`);
  console.log(`\n  goal: >= ${GOALS.insertRatio} of the INSERT ceiling   ${goal(insertRatio >= GOALS.insertRatio)} (${insertRatio.toFixed(3)})`);
  console.log(`  goal: p99 < ${GOALS.p99Ms} ms                   ${goal(v.p99 < GOALS.p99Ms)} (${ms(v.p99)} ms)`);
  console.log(`\n  requests: tokenize ${v.result.ok} ok / ${v.result.errors} errors (warm-up ${v.warm.ok} / ${v.warm.errors}); bare HTTPS ${a.result.ok} ok / ${a.result.errors} errors`);
  console.log(`  group commit: ${v.batches.count} batches for ${d.rows} tokens (mean ${(d.rows / Math.max(1, v.batches.count)).toFixed(1)}, largest ${v.batches.biggest})`);
  console.log(`  durability: PostgreSQL ${b.settings.version}, fsync=${b.settings.fsync}, synchronous_commit=${b.settings.synchronousCommit}, wal_sync_method=${b.settings.walSync} (pgbench database, PGSSLMODE ${b.sslmode});` +
    ` vault database fsync=${v.settings.fsync}, synchronous_commit=${v.settings.synchronousCommit}`);
  console.log(`  durability check: ${d.answered} tokens answered 200 (${d.unique} distinct), ${d.rows} rows in vault_tokens, ${d.found} of the answered ids found: ${durable ? 'OK' : 'MISMATCH'}`);
  for (const [label, result] of [['tokenize', v.result], ['tokenize warm-up', v.warm], ['bare HTTPS', a.result]] as const) {
    for (const [problem, count] of result.problems) console.log(`  ERROR ${label}: ${count} × ${problem}`);
  }
  const vaultDurable = v.settings.fsync === 'on' && v.settings.synchronousCommit === 'on';
  if (!vaultDurable) console.log('  ERROR the vault database is not durable (fsync and synchronous_commit must be on)');
  return durable && vaultDurable && v.result.errors === 0 && v.warm.errors === 0 && a.result.errors === 0;
}

let cluster: Awaited<ReturnType<typeof startTestCluster>> | undefined;
let passed = false;
try {
  if (!process.env.STRONGROOM_TEST_DATABASE_URL) {
    cluster = await startTestCluster();
    process.env.STRONGROOM_TEST_DATABASE_URL = cluster.adminUrl;
  }
  const a = await bareHttpsCeiling();
  const b = await insertCeiling();
  const v = await vaultTokenize();
  passed = report(a, b, v);
  if (!passed) console.error('\nFAILED: errors or a durability mismatch (see above)');
} catch (error) {
  console.error('benchmark failed:', error);
} finally {
  await cluster?.stop();
}
process.exit(passed ? 0 : 1);
