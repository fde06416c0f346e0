// Test helper: a throwaway SoftHSM2 token in a temp folder of the test's own, so tests run against a real
// PKCS#11 module without touching the machine's token store.
//
// SoftHSM reads SOFTHSM2_CONF once, at C_Initialize, and a process initialises a PKCS#11 module once; so
// the setup is per process (node --test runs each test file in its own process): every call in one process
// returns the same setup. It initialises all its tokens up front, because SoftHSM lists the slots it
// found at C_Initialize. The PINs go to softhsm2-util on its command line: fine for throwaway test tokens,
// never for real ones.
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

export const SOFTHSM_MODULE_PATH = '/usr/lib/softhsm/libsofthsm2.so';

export type SoftHsmSetup = {
  readonly modulePath: string;
  /** The first token's label; `tokenLabels` lists them all. */
  readonly tokenLabel: string;
  readonly tokenLabels: readonly string[];
  /** The user PIN of every token of the setup. */
  readonly pin: string;
  readonly soPin: string;
  /** Removes the temp folder. Call it once, when the process is done with the module. */
  cleanup(): Promise<void>;
};

const run = promisify(execFile);
let pending: Promise<SoftHsmSetup> | undefined;

/**
 * Returns this process's SoftHSM2 setup, creating it on the first call. Throws when SoftHSM2 is not
 * installed: CI installs it, and a test that skips silently would look green while testing nothing.
 */
export function useSoftHsm(options: { tokenLabels?: readonly string[] } = {}): Promise<SoftHsmSetup> {
  pending ??= createSetup(options.tokenLabels ?? ['kms-test']);
  return pending;
}

async function createSetup(tokenLabels: readonly string[]): Promise<SoftHsmSetup> {
  if (!existsSync(SOFTHSM_MODULE_PATH)) {
    throw new Error(`SoftHSM2 is not installed (${SOFTHSM_MODULE_PATH} is missing): apt-get install softhsm2`);
  }
  const [tokenLabel] = tokenLabels;
  if (tokenLabel === undefined) throw new Error('useSoftHsm needs at least one token label');

  const dir = await mkdtemp(join(tmpdir(), 'strongroom-softhsm-'));
  const tokenDir = join(dir, 'tokens');
  const confPath = join(dir, 'softhsm2.conf');
  // The paths below come from mkdtemp, not from any request.
  // eslint-disable-next-line security/detect-non-literal-fs-filename -- path built from mkdtemp
  await mkdir(tokenDir, { mode: 0o700 });
  // eslint-disable-next-line security/detect-non-literal-fs-filename -- path built from mkdtemp
  await writeFile(confPath, [
    `directories.tokendir = ${tokenDir}`,
    'objectstore.backend = file',
    'log.level = ERROR',
    'slots.removable = false',
    '',
  ].join('\n'), { mode: 0o600 });
  // Must be set before the module's C_Initialize, which is where SoftHSM reads it.
  process.env.SOFTHSM2_CONF = confPath;

  const pin = 'test-user-pin-1234';
  const soPin = 'test-so-pin-5678';
  try {
    for (const label of tokenLabels) {
      await run('softhsm2-util', ['--init-token', '--free', '--label', label, '--pin', pin, '--so-pin', soPin], {
        env: { ...process.env, SOFTHSM2_CONF: confPath },
      });
    }
  } catch (error) {
    await rm(dir, { recursive: true, force: true });
    throw new Error(`softhsm2-util --init-token failed: ${(error as Error).message}`, { cause: error });
  }

  let removed = false;
  return {
    modulePath: SOFTHSM_MODULE_PATH,
    tokenLabel,
    tokenLabels: [...tokenLabels],
    pin,
    soPin,
    async cleanup() {
      if (removed) return;
      removed = true;
      await rm(dir, { recursive: true, force: true });
    },
  };
}
