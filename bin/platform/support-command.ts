// `strongroom support …`: the support desk (services/dashboard/support/desk.cli.ts) on the dashboard's
// database, with the dashboard's runtime credentials (as `strongroom audit verify` reads them), while
// the platform runs. Audit entries go through the dashboard's outbox and are chained before exit.
import { readFile } from 'node:fs/promises';
import { userInfo } from 'node:os';
import { join } from 'node:path';
import { createAudit } from '#lib/audit/index.ts';
import type { PlatformSettings } from '#lib/config/index.ts';
import { openDatabase } from '#lib/db/index.ts';
import type { DashboardDatabase } from '../../services/dashboard/db.ts';
import { runSupportDesk } from '../../services/dashboard/support/desk.cli.ts';
import { createSupportDesk } from '../../services/dashboard/support/desk.service.ts';
import { createSupportStore } from '../../services/dashboard/support/support.store.ts';
import { serviceDir } from './credentials.ts';

async function dashboardDatabaseUrl(settings: PlatformSettings): Promise<string> {
  const fromEnv = settings.databaseUrls.dashboard;
  if (fromEnv) return fromEnv;
  const config = JSON.parse(await readFile(join(serviceDir(settings.dataDir, 'dashboard'), 'config.json'), 'utf8')) as { databaseUrl: string };
  return config.databaseUrl;
}

async function readStdin(): Promise<string> {
  let text = '';
  for await (const chunk of process.stdin) text += String(chunk);
  return text;
}

export async function supportCommand(settings: PlatformSettings, args: string[]): Promise<number> {
  let url: string;
  try {
    url = await dashboardDatabaseUrl(settings);
  } catch {
    console.error('the dashboard database is not configured here: start the platform first (strongroom start)');
    return 2;
  }
  const db = openDatabase<DashboardDatabase>(url, { max: 1, applicationName: 'support-desk' });
  const audit = createAudit({ db, service: 'dashboard' });
  try {
    const desk = createSupportDesk({ db, store: createSupportStore(db), audit });
    return await runSupportDesk(desk, args, {
      out: (line) => console.log(line), err: (line) => console.error(line), stdin: readStdin,
      user: process.env.USER ?? userInfo().username,
    });
  } finally {
    await audit.chainNow();
    await db.destroy();
  }
}
