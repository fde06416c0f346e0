// Benchmark: what recording an audit entry in the business transaction costs, with the chainer running.
//   node_modules/.bin/node bench/audit-append.ts      (BENCH_SECONDS=5 per phase, BENCH_WORKERS=16)
// Uses STRONGROOM_TEST_DATABASE_URL when set, else starts an embedded cluster. Figures move ±25 %
// between runs (and other work on the machine moves them more), so the phases are interleaved in
// short rounds and compared as ratios within one run.
import { performance } from 'node:perf_hooks';
import { openDatabase, sql, type Kysely, type Transaction } from '#lib/db/index.ts';
import { createTestDatabase, startTestCluster } from '#lib/db/testing.ts';
import { auditMigrations, createAudit, type Audit } from '#lib/audit/index.ts';

type Bench = { orders: { id: string; tenant: string; amount: number } };
type Body = (tx: Transaction<Bench>, id: string, tenant: string) => Promise<void>;

const SECONDS = Number(process.env.BENCH_SECONDS ?? 5);
const WORKERS = Number(process.env.BENCH_WORKERS ?? 16);
const ROUNDS = 5;
const TENANTS = ['acct_bench_1', 'acct_bench_2', 'acct_bench_3', 'acct_bench_4'];
const INTERVAL_MS = 100;

const benchSet = {
  name: 'bench',
  migrations: {
    '0001_orders': `CREATE TABLE orders (id text PRIMARY KEY, tenant text NOT NULL, amount bigint NOT NULL,
                      created_at timestamptz NOT NULL DEFAULT now());
                    GRANT SELECT, INSERT ON orders TO {{runtime_role}};`,
    // Reference point: the cost of any one more statement in the transaction.
    '0002_extra': `CREATE TABLE extra (id text NOT NULL, tenant text NOT NULL);
                   GRANT INSERT ON extra TO {{runtime_role}};`,
  },
};

/** WORKERS loops, each running one transaction after another until the time is up. */
async function run(db: Kysely<Bench>, label: string, seconds: number, body: Body, onCommit?: (id: string) => void) {
  const started = performance.now();
  const deadline = started + seconds * 1000;
  let count = 0;
  await Promise.all(Array.from({ length: WORKERS }, async (_, worker) => {
    for (let n = 0; performance.now() < deadline; n++) {
      const id = `${label}_${worker}_${n}`;
      await db.transaction().execute((tx) => body(tx, id, TENANTS[worker % TENANTS.length]!));
      onCommit?.(id);
      count += 1;
    }
  }));
  return { count, ms: performance.now() - started };
}

const insertOrder: Body = async (tx, id, tenant) => {
  await tx.insertInto('orders').values({ id, tenant, amount: 1000 }).execute();
};

const withAudit = (audit: Audit): Body => async (tx, id, tenant) => {
  await insertOrder(tx, id, tenant);
  await audit.record(tx, {
    actor: { type: 'api_key', id: 'key_bench' }, action: 'order.create', tenant,
    targets: [{ type: 'order', id }], outcome: { result: 'success' },
    origin: { ip: '203.0.113.7', userAgent: 'bench/1.0' }, requestId: id, metadata: { amount: 1000, currency: 'THB' },
  });
};

const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] ?? NaN;

async function main() {
  let cluster: Awaited<ReturnType<typeof startTestCluster>> | undefined;
  if (!process.env.STRONGROOM_TEST_DATABASE_URL) {
    cluster = await startTestCluster();
    process.env.STRONGROOM_TEST_DATABASE_URL = cluster.adminUrl;
  }
  const t = await createTestDatabase<Bench>([await auditMigrations(), benchSet]);
  const db = openDatabase<Bench>(t.runtimeUrl, { max: WORKERS + 2, applicationName: 'bench-audit' });
  const audit = createAudit({ db, service: 'api', intervalMs: INTERVAL_MS });
  const totals = { a: { count: 0, ms: 0 }, b: { count: 0, ms: 0 }, c: { count: 0, ms: 0 }, x: { count: 0, ms: 0 } };
  const add = (k: keyof typeof totals, r: { count: number; ms: number }) => {
    totals[k].count += r.count;
    totals[k].ms += r.ms;
  };
  const committedAt = new Map<string, number>();
  try {
    await run(db, 'warm', 1, insertOrder);
    const slice = SECONDS / ROUNDS;
    for (let round = 0; round < ROUNDS; round++) {
      // (a) the ceiling: the business row alone.
      add('a', await run(db, `a${round}`, slice, insertOrder));
      // (x) reference: one more trivial INSERT instead of the audit entry.
      add('x', await run(db, `x${round}`, slice, async (tx, id, tenant) => {
        await insertOrder(tx, id, tenant);
        await sql`INSERT INTO extra (id, tenant) VALUES (${id}, ${tenant})`.execute(tx);
      }));
      // (c) breakdown: the audit write alone, chainer stopped; its backlog is chained untimed.
      add('c', await run(db, `c${round}`, slice, withAudit(audit)));
      await audit.chainNow();
      // (b) business row + audit.record with the chainer running; the drain after the round is
      // timed too, so (b) pays for all of its own chaining.
      audit.start();
      const b = await run(db, `b${round}`, slice, withAudit(audit), (id) => committedAt.set(id, Date.now()));
      const drainStart = performance.now();
      await audit.stop();
      await audit.chainNow();
      add('b', { count: b.count, ms: b.ms + (performance.now() - drainStart) });
    }

    const chained = await sql<{ id: string; chained_ms: number }>`
      SELECT entry ->> 'requestId' AS id, (extract(epoch FROM chained_at) * 1000)::float8 AS chained_ms
      FROM audit_log WHERE entry ->> 'requestId' LIKE 'b%'`.execute(db);
    // Lag of the entries the timer chained (the end-of-round drain is excluded: that is not the timer).
    const lags = chained.rows.map((r) => r.chained_ms - (committedAt.get(r.id) ?? NaN)).filter((x) => Number.isFinite(x))
      .map((x) => Math.max(0, x)).sort((x, y) => x - y);
    const results = await audit.verify();

    const tps = (k: keyof typeof totals) => totals[k].count / (totals[k].ms / 1000);
    const rate = (k: keyof typeof totals) => `${Math.round(tps(k)).toLocaleString('en-US')} tx/s`;
    const max = lags.at(-1) ?? NaN;
    console.log(`audit append benchmark: ${WORKERS} concurrent workers, ~${SECONDS} s per phase in ${ROUNDS} interleaved rounds, ` +
      `${TENANTS.length} tenants (streams)`);
    console.log(`  (a) business row only                        ${rate('a')}`);
    console.log(`  (b) business row + audit.record, chainer on  ${rate('b')}`);
    console.log(`  ratio b/a                                    ${(tps('b') / tps('a')).toFixed(2)}`);
    console.log(`  breakdown: (x) + one trivial INSERT          ${rate('x')}  (x/a ${(tps('x') / tps('a')).toFixed(2)})`);
    console.log(`             (c) + audit.record, chainer off   ${rate('c')}  (c/a ${(tps('c') / tps('a')).toFixed(2)}, b/c ${(tps('b') / tps('c')).toFixed(2)})`);
    console.log(`  chainer lag, commit → chained (interval ${INTERVAL_MS} ms): p50 ${(percentile(lags, 0.5) / INTERVAL_MS).toFixed(2)}×, ` +
      `p99 ${(percentile(lags, 0.99) / INTERVAL_MS).toFixed(2)}×, max ${(max / INTERVAL_MS).toFixed(2)}× the interval ` +
      `(max ${max.toFixed(0)} ms; ${lags.length} entries)`);
    console.log(`  verify: ${results.map((r) => `${r.stream} ${r.ok ? `OK ${r.count}` : `BROKEN at ${r.firstBrokenSeq}`}`).join(', ')}`);
  } finally {
    await audit.stop();
    await db.destroy();
    await t.close();
    await cluster?.stop();
  }
}

await main();
