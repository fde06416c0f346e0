// mfa/ and account/ as the dashboard's seams (server.ts `DashboardSeams`): the afterPassword gate,
// `mfaEnrolled`, the step-up every sensitive page uses, and their pages inside the page scope.
import type { Audit } from '#lib/audit/index.ts';
import type { Kysely } from '#lib/db/index.ts';
import type { KmsClient } from '#lib/kms-client/index.ts';
import { accountRoutes } from '../account/account.routes.ts';
import { createAccountSettingsService } from '../account/account-settings.service.ts';
import type { DashboardSettings } from '../dashboard-settings.ts';
import type { DashboardDatabase } from '../db.ts';
import type { Mailer } from '../mail/mailer.ts';
import type { DashboardSeams } from '../server.ts';
import { createMfa, type Mfa } from './mfa.ts';

export function mfaSeams(parts: {
  db: Kysely<DashboardDatabase>; audit: Audit; mail: Mailer; settings: Pick<DashboardSettings, 'publicOrigin' | 'production'>;
  kms: Pick<KmsClient, 'dataKey' | 'decrypt'>; now?: () => Date;
}): { mfa: Mfa; seams: DashboardSeams } {
  const mfa = createMfa(parts);
  const accountSettings = createAccountSettingsService({ db: parts.db, audit: parts.audit, mail: parts.mail, origin: parts.settings.publicOrigin, now: parts.now });
  return {
    mfa,
    seams: {
      afterPassword: mfa.afterPassword,
      mfaEnrolled: mfa.mfaEnrolled,
      stepUp: mfa.stepUp,
      routes: async (scope, services) => {
        await mfa.registerPages(scope, services);
        await scope.register(accountRoutes, { settings: accountSettings, stepUp: mfa.stepUp });
      },
    },
  };
}
