// `strongroom audit verify [--service <name>]`: walks every audit hash chain of every service (or one)
// and names the first broken sequence. Uses each service's own runtime credentials (read-only use).
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { openDatabase, sql } from '#lib/db/index.ts';
import { runVerify } from '#lib/audit/index.ts';
import { SERVICES, type PlatformSettings, type ServiceName } from '#lib/config/index.ts';
import { startClusters } from './databases.ts';
import { serviceDir } from './credentials.ts';

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
    console.error('usage: strongroom audit verify [--service kms|vault|api|dashboard] [--stream <tenant>]');
    return 2;
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
  const clusters = stopped ? await startClusters(settings, () => {}) : {};
  let exitCode = 0;
  try {
    for (const service of services) {
      const db = openDatabase(urls[service]!, { max: 1, applicationName: 'audit-verify' });
      try {
        const report = await runVerify(db, { stream });
        console.log(`${service}:\n${report.text}`);
        exitCode = Math.max(exitCode, report.exitCode);
      } finally {
        await db.destroy();
      }
    }
  } finally {
    for (const cluster of Object.values(clusters)) await cluster?.stop();
  }
  return exitCode;
}
