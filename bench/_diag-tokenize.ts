// Scratch diagnosis (to be deleted): where a tokenization batch spends its time.
import { performance, monitorEventLoopDelay } from 'node:perf_hooks';
import { randomBytes } from 'node:crypto';
import { Pool } from 'undici';
import { openDatabase, sql } from '#lib/db/index.ts';
import { startTestCluster } from '#lib/db/testing.ts';
import { startVaultTestbed } from '../services/vault/testing.ts';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 5);
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
const stats = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return `n=${s.length} p50=${s[Math.floor(s.length / 2)]?.toFixed(2)} p90=${s[Math.floor(s.length * 0.9)]?.toFixed(2)} max=${s.at(-1)?.toFixed(2)}`;
};

// Time every pg query (client-observed) by statement kind, and every KMS call, from inside this process.
import pg from 'pg';
import diagnostics from 'node:diagnostics_channel';
const queryTimes = new Map<string, number[]>();
let timing = false;
const origQuery = pg.Client.prototype.query as (...args: unknown[]) => unknown;
(pg.Client.prototype as unknown as { query: (...args: unknown[]) => unknown }).query = function (this: pg.Client, ...args: unknown[]) {
  const text = typeof args[0] === 'string' ? args[0] : ((args[0] as { text?: string })?.text ?? '?');
  const app = (this as unknown as { connectionParameters?: { application_name?: string } }).connectionParameters?.application_name ?? '';
  const result = origQuery.apply(this, args);
  if (timing && result && typeof (result as Promise<unknown>).then === 'function') {
    const t0 = performance.now();
    const key = `${app} ${text.replace(/\s+/g, ' ').trim().slice(0, 34)}`;
    void (result as Promise<unknown>).then(() => { (queryTimes.get(key) ?? queryTimes.set(key, []).get(key)!).push(performance.now() - t0); }, () => {});
  }
  return result;
};
const kmsTimes2 = new Map<string, number[]>();
const started = new WeakMap<object, number>();
diagnostics.subscribe('undici:request:create', (m) => { const { request } = m as { request: { origin: string; path: string } }; if (timing) started.set(request, performance.now()); });
diagnostics.subscribe('undici:request:trailers', (m) => {
  const { request } = m as { request: { origin: string; path: string } };
  const t0 = started.get(request);
  if (t0 === undefined) return;
  const key = `${request.origin.includes(String(new URL(bed.kms.baseUrl).port)) ? 'KMS' : 'other'} ${request.path.replace(/acct_test_[0-9a-z]+/, 'acct')}`;
  (kmsTimes2.get(key) ?? kmsTimes2.set(key, []).get(key)!).push(performance.now() - t0);
});
const cluster = await startTestCluster();
process.env.STRONGROOM_TEST_DATABASE_URL = cluster.adminUrl;
const bed = await startVaultTestbed();
const { publicKey, accountId } = await bed.merchant();
await bed.tokenize(publicKey, { name: 'x', number: randomVisa(), expiration_month: 12, expiration_year: 2040, security_code: '123' });

// 1. The KMS HMAC batch alone (mTLS round trip + the KMS's audit entry, fsync), sequential.
const kmsTimes: number[] = [];
for (let i = 0; i < 200; i++) {
  const pans = Array.from({ length: 8 }, () => Buffer.from(randomVisa(), 'ascii'));
  const t0 = performance.now();
  await bed.kms.vault.hmacBatch(`fingerprint.${accountId}`, pans);
  kmsTimes.push(performance.now() - t0);
}
console.log('kms hmacBatch(8) sequential ms:', stats(kmsTimes));

// 2. An fsync'ed empty-ish transaction on the vault database.
const txTimes: number[] = [];
for (let i = 0; i < 200; i++) {
  const t0 = performance.now();
  await bed.database.ownerDb.transaction().execute(async (tx) => {
    await sql`CREATE TEMP TABLE IF NOT EXISTS diag (x int) ON COMMIT DROP`.execute(tx);
    await sql`SELECT txid_current()`.execute(tx);
  });
  txTimes.push(performance.now() - t0);
}
console.log('vault db tx (txid assigned, commit) ms:', stats(txTimes));

// 3. Load with pg_stat_activity sampling and event loop delay.
const admin = openDatabase<unknown>(cluster.adminUrl, { max: 1 });
const loop = monitorEventLoopDelay({ resolution: 5 });
loop.enable();
const waits = new Map<string, number>();
let sampling = true;
const sampler = (async () => {
  while (sampling) {
    const rows = (await sql<{ app: string; state: string; wait: string | null; q: string }>`
      SELECT application_name AS app, state, wait_event_type || ':' || wait_event AS wait, left(query, 40) AS q
      FROM pg_stat_activity WHERE backend_type = 'client backend' AND pid <> pg_backend_pid() AND state <> 'idle'`.execute(admin)).rows;
    for (const row of rows) {
      const key = `${row.app || '?'} | ${row.state} | ${row.wait ?? 'cpu'} | ${row.q.replace(/\s+/g, ' ')}`;
      waits.set(key, (waits.get(key) ?? 0) + 1);
    }
    await new Promise((r) => setTimeout(r, 5));
  }
})();
const pool = new Pool(bed.publicUrl, { connect: { ca: bed.caPem }, connections: 16 });
const headers = { authorization: `Basic ${Buffer.from(`${publicKey}:`).toString('base64')}`, 'content-type': 'application/json' };
let ok = 0;
const cpu0 = process.cpuUsage();
timing = true;
const t0 = performance.now();
const deadline = t0 + SECONDS * 1000;
await Promise.all(Array.from({ length: 16 }, async () => {
  while (performance.now() < deadline) {
    const body = JSON.stringify({ card: { name: 'Bench User', number: randomVisa(), expiration_month: 12, expiration_year: 2040, security_code: '123' } });
    const r = await pool.request({ path: '/tokens', method: 'POST', headers, body });
    await r.body.text();
    if (r.statusCode === 200) ok++;
  }
}));
const elapsed = (performance.now() - t0) / 1000;
const cpu = process.cpuUsage(cpu0);
sampling = false;
timing = false;
await sampler;
loop.disable();
console.log(`tokens/s ${(ok / elapsed).toFixed(0)}; bench process CPU ${(((cpu.user + cpu.system) / 1e6) / elapsed * 100).toFixed(0)}% of one core;` +
  ` event loop delay p50 ${(loop.percentile(50) / 1e6).toFixed(1)} ms p99 ${(loop.percentile(99) / 1e6).toFixed(1)} ms max ${(loop.max / 1e6).toFixed(1)} ms`);
const top = [...waits].sort((a, b) => b[1] - a[1]).slice(0, 25);
for (const [k, n] of top) console.log(String(n).padStart(6), k);
for (const [k, v] of [...queryTimes, ...kmsTimes2].sort((a, b) => b[1].length - a[1].length).slice(0, 30)) console.log(`${k.padEnd(50)} ${stats(v)} sum=${v.reduce((x, y) => x + y, 0).toFixed(0)}ms`);
await pool.close();
await admin.destroy();
await bed.close();
await cluster.stop();
process.exit(0);
