// Benchmark: the vault's public tokenization endpoint (POST /tokens), as ratios against two ceilings
// measured in the same run on the same machine:
//   A. a bare HTTPS JSON endpoint on the platform's HTTPS app (same TLS policy, client, body, concurrency);
//   B. the durable (fsync on) single-row INSERT rate of the same PostgreSQL cluster, via pgbench.
//   node_modules/.bin/node bench/tokenize.ts      (BENCH_SECONDS=10 per phase, BENCH_WORKERS=16)
// Phases run one after another (never two at once), each after a 2 s warm-up. Absolute figures move
// ±25 % between runs on this 2-core box, where the load generator shares the cores with the vault (in
// this process), the KMS process and PostgreSQL: compare the ratios only. Uses
// STRONGROOM_TEST_DATABASE_URL when set, else starts an embedded cluster of its own.
import { sql, type Kysely } from '#lib/db/index.ts';
import { startTestCluster } from '#lib/db/testing.ts';
import { startVaultTestbed } from '../services/vault/testing.ts';
import { basicAuth, describeAnswer, drive, postJson, summarize, type Check } from './lib/closed-loop.ts';
import { randomVisa } from './lib/cards.ts';
import { bareHttpsCeiling, durability, insertCeiling, type Phases } from './lib/ceilings.ts';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
const WORKERS = Number(process.env.BENCH_WORKERS ?? 16);
const WARMUP_SECONDS = 2;
const PHASES: Phases = { workers: WORKERS, seconds: SECONDS, warmupSeconds: WARMUP_SECONDS };
const GOALS = { insertRatio: 0.5, p99Ms: 10 } as const;

const tokenBody = () => JSON.stringify({
  card: { name: 'Bench User', number: randomVisa(), expiration_month: 12, expiration_year: 2040, security_code: '123' },
});

const isToken: Check = (answer) => {
  if (answer.status !== 200) return describeAnswer(answer);
  const id = (answer.body as { id?: unknown } | undefined)?.id;
  return typeof id === 'string' && id.startsWith('tokn_test_') ? null : 'HTTP 200 without a tokn_test_ id';
};

// ---- The real thing: a vault (with a real KMS process over mTLS) on a throwaway database. ----
async function vaultTokenize() {
  process.stderr.write('vault: starting KMS process and vault\n');
  // One key from one address at full speed is what the card-testing limits stop: lift them here.
  const bed = await startVaultTestbed({ extra: { rateLimits: { tokensPerKeyPerMinute: 100_000_000, tokensPerIpPerMinute: 100_000_000 } } });
  try {
    const { publicKey } = await bed.merchant();
    process.stderr.write('vault: POST /tokens\n');
    const headers = { authorization: basicAuth(publicKey) };
    const phase = (seconds: number) => drive({
      origin: bed.publicUrl, caPem: bed.caPem, workers: WORKERS, seconds, check: isToken,
      step: (pool) => postJson(pool, '/tokens', headers, tokenBody()),
    });
    const warm = await phase(WARMUP_SECONDS);
    const result = await phase(SECONDS);
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
  const a = await bareHttpsCeiling(PHASES, '/tokens', tokenBody);
  const b = await insertCeiling(PHASES);
  const v = await vaultTokenize();
  passed = report(a, b, v);
  if (!passed) console.error('\nFAILED: errors or a durability mismatch (see above)');
} catch (error) {
  console.error('benchmark failed:', error);
} finally {
  await cluster?.stop();
}
process.exit(passed ? 0 : 1);
