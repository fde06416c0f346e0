// `strongroom audit verify [--service <name>] [--stream <s>] [--public-key <file>]`: walks every audit hash
// chain of every service (or one) and names the first broken sequence; with a public key file (format in
// lib/audit/README.md) it also checks the signed checkpoints. Uses each service's own runtime credentials (read-only use).
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { openDatabase, sql } from '#lib/db/index.ts';
import { loadPublicKeyFile, runVerify, type PublicKeyLookup } from '#lib/audit/index.ts';
import { SERVICES, type PlatformSettings, type ServiceName } from '#lib/config/index.ts';
import { startClusters } from './databases.ts';
import { serviceDir } from './credentials.ts';
import { createDevPki } from './pki.ts';

async function databaseUrl(settings: PlatformSettings, service: ServiceName): Promise<string> {
  const fromEnv = settings.databaseUrls[service];
  if (fromEnv) return fromEnv;
  const config = JSON.parse(await readFile(join(serviceDir(settings.dataDir, service), 'config.json'), 'utf8')) as { databaseUrl: string };
  return config.databaseUrl;
}

async function reachable(url: string): Promise<boolean> {
  const db = openDatabase(url, { max: 1 });
  try {
    await sql`SELECT 1`.execute(db);
    return true;
  } catch {
    return false;
  } finally {
    await db.destroy();
  }
}

export async function auditCommand(settings: PlatformSettings, args: string[]): Promise<number> {
  if (args[0] !== 'verify') {
    console.error('usage: strongroom audit verify [--service kms|vault|api|dashboard] [--stream <tenant>] [--public-key <keys.json>]');
    return 2;
  }
  let publicKeys: PublicKeyLookup | undefined;
  if (args.includes('--public-key')) {
    const file = args[args.indexOf('--public-key') + 1];
    try {
      if (!file) throw new Error('--public-key needs a file (format: lib/audit/README.md)');
      publicKeys = await loadPublicKeyFile(file);
    } catch (error) {
      console.error(error instanceof Error ? error.message : String(error));
      return 2;
    }
  }
  const only = args.includes('--service') ? args[args.indexOf('--service') + 1] : undefined;
  const stream = args.includes('--stream') ? args[args.indexOf('--stream') + 1] : undefined;
  const services = SERVICES.filter((s) => !only || s === only);
  if (services.length === 0) {
    console.error(`unknown service ${only}`);
    return 2;
  }
  const urls = Object.fromEntries(await Promise.all(services.map(async (s) => [s, await databaseUrl(settings, s)] as const)));
  // The platform may be stopped: then start its embedded clusters just for the verification.
  const stopped = !(await reachable(urls[services[0]!]!));
  // Development clusters serve TLS only, with a certificate from the dev internal CA: the same here.
  const pki = stopped && !settings.production ? await createDevPki(settings) : undefined;
  const clusters = stopped ? await startClusters(settings, () => {}, pki && ((name) => pki.issueDatabaseServer(name))) : {};
  let exitCode = 0;
  try {
    for (const service of services) {
      const db = openDatabase(urls[service]!, { max: 1, applicationName: 'audit-verify' });
      try {
        const report = await runVerify(db, { stream, publicKeys, service });
        console.log(`${service}:\n${report.text}`);
        exitCode = Math.max(exitCode, report.exitCode);
      } finally {
        await db.destroy();
      }
    }
  } finally {
    for (const cluster of Object.values(clusters)) await cluster?.stop();
  }
  if (!publicKeys) console.log('signed checkpoints were not checked (pass --public-key <keys.json> to check them)');
  return exitCode;
}
