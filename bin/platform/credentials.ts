// Each service's own secrets, in its own folder (0700 folder, 0600 file). Generated once, reused.
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import type { ServiceName } from '#lib/config/index.ts';

export type ServiceCredentials = { runtimePassword: string; migratorPassword: string };

export function serviceDir(dataDir: string, service: ServiceName): string {
  return join(dataDir, 'services', service);
}

export async function loadOrCreateCredentials(dataDir: string, service: ServiceName): Promise<ServiceCredentials> {
  const dir = serviceDir(dataDir, service);
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const file = join(dir, 'credentials.json');
  try {
    return JSON.parse(await readFile(file, 'utf8')) as ServiceCredentials;
  } catch {
    const credentials = {
      runtimePassword: randomBytes(24).toString('base64url'),
      migratorPassword: randomBytes(24).toString('base64url'),
    };
    await writeFile(file, JSON.stringify(credentials), { mode: 0o600 });
    return credentials;
  }
}
