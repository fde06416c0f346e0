// `npm test`: every *.test.ts under lib/, services/, bin/ and test/, on Node's built-in runner, with one
// embedded PostgreSQL cluster for the run (or the server named by STRONGROOM_TEST_DATABASE_URL).
// The cluster is started here rather than with --test-global-setup: on Node 24.21 a run with a global
// setup module exits 0 even when tests fail, and a red suite must never look green.
import { spawn } from 'node:child_process';
import { startTestCluster } from '../lib/db/testing.ts';

const patterns = ['lib/**/*.test.ts', 'services/**/*.test.ts', 'bin/**/*.test.ts', 'test/**/*.test.ts'];
const extra = process.argv.slice(2);

let stopCluster: (() => Promise<void>) | undefined;
if (!process.env.STRONGROOM_TEST_DATABASE_URL) {
  const cluster = await startTestCluster();
  process.env.STRONGROOM_TEST_DATABASE_URL = cluster.adminUrl;
  stopCluster = cluster.stop;
}

const child = spawn(process.execPath, [
  '--test',
  '--test-concurrency=3',
  '--test-timeout=180000',
  ...(extra.length > 0 ? extra : patterns),
], { stdio: 'inherit' });
// Ctrl-C reaches the runner through the terminal's process group; wait for it, then clean up.
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.on(signal, () => child.kill(signal));
const [code, signal] = await new Promise<[number | null, NodeJS.Signals | null]>((resolve) => child.once('exit', (c, s) => resolve([c, s])));
await stopCluster?.();
if (signal) console.error(`test runner ended by ${signal}`);
process.exit(code ?? 1);
