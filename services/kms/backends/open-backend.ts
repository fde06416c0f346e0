// Opens the configured backend. The PKCS#11 PIN is read here, from a file (preferred: mode 0600, owned
// by the kms user) or an environment variable, and handed to the backend, never logged or stored.
import { readFile } from 'node:fs/promises';
import type { KmsSettings } from '../kms-config.ts';
import type { KeyBackend } from './key-backend.ts';
import { createLocalBackend } from './local-backend.ts';
import { createPkcs11Backend } from './pkcs11-backend.ts';

export async function openBackend(settings: KmsSettings, env: NodeJS.ProcessEnv = process.env): Promise<KeyBackend> {
  if (settings.backend === 'local') return createLocalBackend();
  const p11 = settings.pkcs11!;
  let pin: string | undefined;
  // eslint-disable-next-line security/detect-non-literal-fs-filename -- operator configuration, not request input
  if (p11.pinFile) pin = (await readFile(p11.pinFile, 'utf8')).trim();
  else if (p11.pinEnv) pin = env[p11.pinEnv];
  if (!pin) throw new Error('pkcs11 backend: no PIN (set pinFile or pinEnv)');
  return createPkcs11Backend({ modulePath: p11.modulePath, slot: p11.slot, tokenLabel: p11.tokenLabel, pin });
}
