// Dev only: the first start creates a demo merchant (test-mode keys) and a dashboard owner, and
// writes them to $STRONGROOM_DATA_DIR/demo.json (0600). Production never runs this.
import { randomBytes } from 'node:crypto';
import { stat, writeFile, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { openDatabase } from '#lib/db/index.ts';
import { createAudit } from '#lib/audit/index.ts';
import type { PlatformSettings, ServiceName } from '#lib/config/index.ts';
import { createAccountService } from '../../services/api/accounts/accounts.service.ts';
import { createAccountStore } from '../../services/api/accounts/accounts.store.ts';
import { createUserService } from '../../services/dashboard/users/users.service.ts';
import type { ApiDatabase } from '../../services/api/db.ts';
import type { DashboardDatabase } from '../../services/dashboard/db.ts';

export type DemoCredentials = {
  accountId: string; publicKey: string; secretKey: string; email: string; password: string;
  urls: { dashboard: string; api: string; vault: string }; caCert: string;
};

export async function ensureDemo(settings: PlatformSettings, runtimeUrls: Record<ServiceName, string>): Promise<DemoCredentials> {
  const file = join(settings.dataDir, 'demo.json');
  if (await stat(file).then(() => true, () => false)) return JSON.parse(await readFile(file, 'utf8')) as DemoCredentials;

  const apiDb = openDatabase<ApiDatabase>(runtimeUrls.api, { max: 2 });
  const dashboardDb = openDatabase<DashboardDatabase>(runtimeUrls.dashboard, { max: 2 });
  const apiAudit = createAudit({ db: apiDb, service: 'api' });
  const dashboardAudit = createAudit({ db: dashboardDb, service: 'dashboard' });
  try {
    const actor = { type: 'system' as const, id: 'demo-seed', display: 'first start (dev mode)' };
    const accounts = createAccountService({ db: apiDb, store: createAccountStore(apiDb), audit: apiAudit });
    const suffix = randomBytes(3).toString('hex');
    const email = `owner+${suffix}@demo.strongroom.test`;
    const { accountId, publicKey, secretKey } = await accounts.createAccount({ email, name: 'Demo merchant' }, actor);
    const password = randomBytes(15).toString('base64url');
    await createUserService({ db: dashboardDb, audit: dashboardAudit }).createOwner({ email, password, accountId, emailVerified: true });
    await apiAudit.chainNow();
    await dashboardAudit.chainNow();
    const host = settings.publicHostnames[0] ?? 'localhost';
    const demo: DemoCredentials = {
      accountId, publicKey, secretKey, email, password,
      urls: {
        dashboard: `https://${host}:${settings.ports.dashboard}`,
        api: `https://${host}:${settings.ports.api}`,
        vault: `https://${host}:${settings.ports.vault}`,
      },
      caCert: join(settings.dataDir, 'pki', 'ca.crt'),
    };
    await writeFile(file, JSON.stringify(demo, null, 2) + '\n', { mode: 0o600 });
    return demo;
  } finally {
    await apiDb.destroy();
    await dashboardDb.destroy();
  }
}
