// `npm test`: every *.test.ts under lib/, services/, bin/ and test/, on Node's built-in runner, with one
// embedded PostgreSQL cluster for the run (or the server named by STRONGROOM_TEST_DATABASE_URL).
import { spawnSync } from 'node:child_process';

const patterns = ['lib/**/*.test.ts', 'services/**/*.test.ts', 'bin/**/*.test.ts', 'test/**/*.test.ts'];
const extra = process.argv.slice(2);
const result = spawnSync(process.execPath, [
  '--test',
  '--test-global-setup=test/global-setup.ts',
  '--test-concurrency=3',
  '--test-timeout=180000',
  ...(extra.length > 0 ? extra : patterns),
], { stdio: 'inherit' });
process.exit(result.status ?? 1);
