// Benchmark: data-key unwraps per second at the KMS over mTLS, per backend, as a ratio against a bare
// mTLS echo endpoint (same TLS policy, same client, same concurrency) measured in the same run.
//   node_modules/.bin/node bench/kms-unwrap.ts      (BENCH_SECONDS=5 per phase, BENCH_WORKERS=16)
// Each unwrap is policy check + key lookup + backend unwrap + an audit entry committed to PostgreSQL
// (fsync on): the audit write is most of its cost. Phases are interleaved in rounds; compare ratios only.
import { performance } from 'node:perf_hooks';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createHttpsApp, createMtlsClient } from '#lib/http/index.ts';
import { createTestCa, createTestLogger, staticIdentity } from '#lib/http/testing.ts';
import { freePort, startTestCluster } from '#lib/db/testing.ts';
import { createLocalBackend } from '../services/kms/backends/local-backend.ts';
import { createPkcs11Backend } from '../services/kms/backends/pkcs11-backend.ts';
import { useSoftHsm } from '../services/kms/backends/softhsm.testing.ts';
import { startKmsTestbed, type KmsTestbed } from '../services/kms/testing.ts';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 5);
const WORKERS = Number(process.env.BENCH_WORKERS ?? 16);
const ROUNDS = 3;

async function loop(label: string, op: () => Promise<unknown>): Promise<number> {
  const deadline = performance.now() + (SECONDS / ROUNDS) * 1000;
  const started = performance.now();
  let count = 0;
  await Promise.all(Array.from({ length: WORKERS }, async () => {
    while (performance.now() < deadline) {
      await op();
      count++;
    }
  }));
  const rate = count / ((performance.now() - started) / 1000);
  process.stderr.write(`  ${label}: ${rate.toFixed(0)}/s\n`);
  return rate;
}

if (!process.env.STRONGROOM_TEST_DATABASE_URL) {
  const cluster = await startTestCluster();
  process.env.STRONGROOM_TEST_DATABASE_URL = cluster.adminUrl;
  process.on('exit', () => void cluster.stop());
}

// Ceiling: a bare mTLS endpoint on the platform's HTTPS app, echoing the same request body.
const ca = await createTestCa();
const log = createTestLogger('bench');
const echo = createHttpsApp({ service: 'kms', identity: await staticIdentity(ca, 'kms'), mtls: true, logger: log.logger });
echo.post('/v1/decrypt', { config: { allowedCallers: ['vault'] } }, async (request) => request.body);
const echoPort = await freePort();
await echo.listen({ host: '127.0.0.1', port: echoPort });
const echoClient = createMtlsClient({ identity: await staticIdentity(ca, 'vault'), baseUrl: `https://127.0.0.1:${echoPort}`, expectedServer: 'kms' });

const dir = await mkdtemp(join(tmpdir(), 'bench-kms-'));
const hsm = await useSoftHsm({ tokenLabels: ['bench'] });
const beds: Array<[string, KmsTestbed]> = [
  ['local', await startKmsTestbed(createLocalBackend(), { devSharesFile: join(dir, 'shares.json') })],
  ['pkcs11', await startKmsTestbed(await createPkcs11Backend({ modulePath: hsm.modulePath, tokenLabel: 'bench', pin: hsm.pin }))],
];
const phases: Array<[string, () => Promise<unknown>]> = [];
for (const [name, bed] of beds) {
  const vault = await bed.client('vault');
  const { wrapped } = await vault.dataKey('card-data');
  phases.push([`kms unwrap (${name})`, () => vault.decrypt(wrapped)]);
}
const body = { wrapped: `kms1:card-data:1:${Buffer.alloc(60).toString('base64url')}` };
phases.unshift(['bare mTLS echo', () => echoClient.request('POST', '/v1/decrypt', body)]);

const totals = new Map<string, number[]>();
for (let round = 0; round < ROUNDS; round++) {
  process.stderr.write(`round ${round + 1}/${ROUNDS}\n`);
  for (const [label, op] of phases) totals.set(label, [...(totals.get(label) ?? []), await loop(label, op)]);
}
const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
const ceiling = mean(totals.get('bare mTLS echo')!);
console.log(`\nKMS data-key unwraps over mTLS, ${WORKERS} concurrent callers, ${SECONDS} s per phase (${ROUNDS} interleaved rounds):`);
console.log(`  bare mTLS echo (ceiling)   ${ceiling.toFixed(0).padStart(7)} req/s   1.00`);
for (const [label] of phases.slice(1)) {
  const rate = mean(totals.get(label)!);
  console.log(`  ${label.padEnd(26)} ${rate.toFixed(0).padStart(7)} ops/s   ${(rate / ceiling).toFixed(2)} × ceiling`);
}

await echoClient.close();
await echo.close();
for (const [, bed] of beds) await bed.close();
await rm(dir, { recursive: true, force: true });
log.cleanup();
process.exit(0);
