// Benchmark: charge creation on the API host (POST /charges with a fresh token → a successful, captured
// charge, through the vault and its test acquirer), on the real platform as `strongroom start` runs it
// (kms, vault and api each in their own process, mTLS between them, two PostgreSQL clusters), as ratios
// against the ceilings of bench/lib/ceilings.ts measured in the same run:
//   node_modules/.bin/node bench/charge.ts      (BENCH_SECONDS=10 per phase, BENCH_WORKERS=16)
// Tokens are made before each phase (they are not what is measured here: bench/tokenize.ts measures them).
// The load generator shares the machine's cores with every service: compare the ratios, not the absolutes.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Pool } from 'undici';
import { openDatabase, sql, type Kysely } from '#lib/db/index.ts';
import { startTestCluster } from '#lib/db/testing.ts';
import { startPlatform, type RunningPlatform } from '../test/platform-harness.ts';
import { basicAuth, describeAnswer, drive, postJson, summarize, type Check, type PhaseResult } from './lib/closed-loop.ts';
import { bareHttpsCeiling, durability, insertCeiling, type Phases } from './lib/ceilings.ts';
import { randomVisa } from './lib/cards.ts';
import type { ApiDatabase } from '../services/api/db.ts';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
const WORKERS = Number(process.env.BENCH_WORKERS ?? 16);
const WARMUP_SECONDS = 2;
const PHASES: Phases = { workers: WORKERS, seconds: SECONDS, warmupSeconds: WARMUP_SECONDS };
const GOALS = { insertRatio: 0.5, p99Ms: 10 } as const; // the vault benchmark's goals, for comparison
const AMOUNT = 100_000;

const tokenBody = () => JSON.stringify({
  card: { name: 'Bench User', number: randomVisa(), expiration_month: 12, expiration_year: 2040, security_code: '123' },
});
const chargeBody = (token: string) => JSON.stringify({ amount: AMOUNT, currency: 'thb', card: token, description: 'bench' });

const idWith = (prefix: string, answer: { body: unknown }) => {
  const id = (answer.body as { id?: unknown } | undefined)?.id;
  return typeof id === 'string' && id.startsWith(prefix);
};
const isToken: Check = (answer) => (answer.status !== 200 ? describeAnswer(answer) : idWith('tokn_test_', answer) ? null : 'HTTP 200 without a tokn_test_ id');
const isPaidCharge: Check = (answer) => {
  if (answer.status !== 200) return describeAnswer(answer);
  const body = answer.body as { status?: unknown; paid?: unknown };
  if (!idWith('chrg_test_', answer)) return 'HTTP 200 without a chrg_test_ id';
  return body.status === 'successful' && body.paid === true ? null : `charge ${String(body.status)}`;
};

/** Enough fresh tokens for a phase: made at full speed beforehand, so the phase measures charges only. */
async function makeTokens(platform: RunningPlatform, publicKey: string, count: number): Promise<string[]> {
  const pool = new Pool(`https://localhost:${platform.ports.vault}`, { connect: { ca: platform.caPem }, connections: WORKERS });
  const headers = { authorization: basicAuth(publicKey) };
  const tokens: string[] = [];
  try {
    await Promise.all(Array.from({ length: WORKERS }, async () => {
      while (tokens.length < count) {
        const answer = await postJson(pool, '/tokens', headers, tokenBody());
        const problem = isToken(answer);
        if (problem) throw new Error(`tokenization failed: ${problem}`);
        tokens.push((answer.body as { id: string }).id);
      }
    }));
  } finally {
    await pool.close();
  }
  return tokens;
}

async function chargePhase(platform: RunningPlatform, keys: { publicKey: string; secretKey: string }, seconds: number, expectedRate: number): Promise<PhaseResult> {
  const tokens = await makeTokens(platform, keys.publicKey, Math.ceil(expectedRate * seconds * 1.5) + WORKERS * 4);
  const headers = { authorization: basicAuth(keys.secretKey) };
  return drive({
    origin: `https://localhost:${platform.ports.api}`, caPem: platform.caPem, workers: WORKERS, seconds, check: isPaidCharge,
    step: async (pool) => {
      const token = tokens.pop();
      if (!token) throw new Error('ran out of tokens (raise the estimate)');
      return postJson(pool, '/charges', headers, chargeBody(token));
    },
  });
}

async function platformCharges() {
  process.stderr.write('platform: strongroom start (kms, vault, api)\n');
  // Thousands of tokens and charges from one key and one address: lift the per-key and per-IP limits.
  const platform = await startPlatform({
    STRONGROOM_API_RATE_LIMIT: '100000000', STRONGROOM_VAULT_TOKEN_RATE_LIMIT: '100000000', STRONGROOM_VAULT_TOKEN_IP_RATE_LIMIT: '100000000',
  });
  let apiDb: Kysely<ApiDatabase> | undefined;
  try {
    const keys = JSON.parse(await readFile(join(platform.dataDir, 'demo.json'), 'utf8')) as { publicKey: string; secretKey: string };
    const config = JSON.parse(await readFile(join(platform.dataDir, 'services', 'api', 'config.json'), 'utf8')) as { databaseUrl: string };
    apiDb = openDatabase<ApiDatabase>(config.databaseUrl, { max: 2 });
    // The api pushes the demo public key to the vault asynchronously: wait until the vault takes it.
    for (const deadline = Date.now() + 30_000; ;) {
      try {
        await makeTokens(platform, keys.publicKey, 1);
        break;
      } catch (error) {
        if (Date.now() > deadline) throw error;
        await new Promise((resolve) => setTimeout(resolve, 250));
      }
    }
    process.stderr.write('platform: POST /charges\n');
    const warm = await chargePhase(platform, keys, WARMUP_SECONDS, 400);
    const warmRate = warm.ok / warm.seconds;
    const result = await chargePhase(platform, keys, SECONDS, Math.max(100, warmRate));
    const stats = summarize('charge', result);
    const answered = [...warm.ids, ...result.ids];
    const found = (await sql<{ n: number }>`SELECT count(*)::int AS n FROM charges
      WHERE id = ANY(${answered}::text[]) AND exchange = 'answered' AND status = 'successful' AND captured_amount = ${AMOUNT}`.execute(apiDb)).rows[0]?.n ?? 0;
    const settings = await durability(apiDb as Kysely<unknown>);
    return { result, warm, ...stats, settings, durability: { answered: answered.length, unique: new Set(answered).size, found } };
  } finally {
    await apiDb?.destroy();
    await platform.stop();
  }
}

function report(a: Awaited<ReturnType<typeof bareHttpsCeiling>>, b: Awaited<ReturnType<typeof insertCeiling>>, c: Awaited<ReturnType<typeof platformCharges>>) {
  const row = (label: string, rate: string, p50: string, p99: string) => `  ${label.padEnd(34)}${rate.padStart(10)}${p50.padStart(10)}${p99.padStart(10)}`;
  const ms = (value: number) => value.toFixed(2);
  const insertRatio = c.rate / b.tps;
  const goal = (ok: boolean) => (ok ? 'MET' : 'MISSED');
  const d = c.durability;
  const durable = d.found === d.answered && d.unique === d.answered;
  console.log(`\nPOST /charges (token → successful captured charge via the vault and test acquirer), ${WORKERS} concurrent clients`);
  console.log(`over kept-alive TLS, ${SECONDS} s per phase after a ${WARMUP_SECONDS} s warm-up; kms, vault, api in their own processes\n`);
  console.log(row('', 'per s', 'p50 ms', 'p99 ms'));
  console.log(row('api charge (charges)', c.rate.toFixed(0), ms(c.p50), ms(c.p99)));
  console.log(row('ceiling A: bare HTTPS JSON (requests)', a.rate.toFixed(0), ms(a.p50), ms(a.p99)));
  console.log(row('ceiling B: pgbench INSERT (tx)', b.tps.toFixed(0), ms(b.latencyMs), '(avg)'));
  console.log(`\n  charge / bare HTTPS            ${(c.rate / a.rate).toFixed(3)}`);
  console.log(`  charge / pgbench INSERT        ${insertRatio.toFixed(3)}`);
  console.log(`  charge p99 / bare HTTPS p99    ${(c.p99 / a.p99).toFixed(1)}×`);
  console.log(`\n  vault goals, for comparison: >= ${GOALS.insertRatio} of INSERT ${goal(insertRatio >= GOALS.insertRatio)}; p99 < ${GOALS.p99Ms} ms ${goal(c.p99 < GOALS.p99Ms)}`);
  console.log(`  requests: charge ${c.result.ok} ok / ${c.result.errors} errors (warm-up ${c.warm.ok} / ${c.warm.errors}); bare HTTPS ${a.result.ok} ok / ${a.result.errors} errors`);
  console.log(`  durability: api database fsync=${c.settings.fsync}, synchronous_commit=${c.settings.synchronousCommit}; pgbench cluster PostgreSQL ${b.settings.version}, wal_sync_method=${b.settings.walSync}`);
  console.log(`  durability check: ${d.answered} charges answered successful (${d.unique} distinct), ${d.found} found answered, successful and captured: ${durable ? 'OK' : 'MISMATCH'}`);
  for (const [label, result] of [['charge', c.result], ['charge warm-up', c.warm], ['bare HTTPS', a.result]] as const) {
    for (const [problem, count] of result.problems) console.log(`  ERROR ${label}: ${count} × ${problem}`);
  }
  const apiDurable = c.settings.fsync === 'on' && c.settings.synchronousCommit === 'on';
  if (!apiDurable) console.log('  ERROR the api database is not durable (fsync and synchronous_commit must be on)');
  return durable && apiDurable && c.result.errors === 0 && c.warm.errors === 0 && a.result.errors === 0;
}

let cluster: Awaited<ReturnType<typeof startTestCluster>> | undefined;
let passed = false;
try {
  if (!process.env.STRONGROOM_TEST_DATABASE_URL) {
    cluster = await startTestCluster();
    process.env.STRONGROOM_TEST_DATABASE_URL = cluster.adminUrl;
  }
  const a = await bareHttpsCeiling(PHASES, '/charges', () => chargeBody('tokn_test_0000000000000000000'));
  const b = await insertCeiling(PHASES);
  const c = await platformCharges();
  passed = report(a, b, c);
  if (!passed) console.error('\nFAILED: errors or a durability mismatch (see above)');
} catch (error) {
  console.error('benchmark failed:', error);
} finally {
  await cluster?.stop();
}
process.exit(passed ? 0 : 1);
