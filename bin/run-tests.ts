// `npm test`: every *.test.ts under lib/, services/, bin/ and test/, on Node's built-in runner, with one
// embedded PostgreSQL cluster for the run (or the server named by STRONGROOM_TEST_DATABASE_URL).
// The cluster is started here rather than with --test-global-setup: on Node 24.21 a run with a global
// setup module exits 0 even when tests fail, and a red suite must never look green.
//
// STRONGROOM_TEST_DATABASE_ONLY=1 leaves out the suites that start the whole platform (they run on the
// platform's own embedded clusters whatever the test database is): CI uses it for its second pass, on
// Debian's PostgreSQL, where only the suites that use the test database have anything new to show.
import { spawn } from 'node:child_process';
import { globSync, readFileSync } from 'node:fs';
import { startTestCluster } from '../lib/db/testing.ts';

const patterns = ['lib/**/*.test.ts', 'services/**/*.test.ts', 'bin/**/*.test.ts', 'test/**/*.test.ts'];
const PLATFORM_SUITE = /\bstartPlatform\(/;
const extra = process.argv.slice(2);

function databaseOnly(globs: string[]): string[] {
  const files = globs.flatMap((pattern) => globSync(pattern, { exclude: (name) => name === 'node_modules' })).sort();
  return files.filter((file) => !PLATFORM_SUITE.test(readFileSync(file, 'utf8')));
}
const selected = extra.length > 0 ? extra : patterns;
const targets = process.env.STRONGROOM_TEST_DATABASE_ONLY === '1' ? databaseOnly(selected) : selected;

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
  ...targets,
], { stdio: 'inherit' });
// Ctrl-C reaches the runner through the terminal's process group; wait for it, then clean up.
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.on(signal, () => child.kill(signal));
const [code, signal] = await new Promise<[number | null, NodeJS.Signals | null]>((resolve) => child.once('exit', (c, s) => resolve([c, s])));
await stopCluster?.();
if (signal) console.error(`test runner ended by ${signal}`);
process.exit(code ?? 1);
