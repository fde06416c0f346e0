// Wires the accounts pages (list, switch) into the page scope; server.ts calls this once.
import type { FastifyInstance, preHandlerAsyncHookHandler } from 'fastify';
import type { Audit } from '#lib/audit/index.ts';
import type { Kysely } from '#lib/db/index.ts';
import type { SignInCompletion } from '../auth/complete-sign-in.ts';
import type { DashboardDatabase } from '../db.ts';
import { createMfaPolicy } from '../mfa/mfa-policy.ts';
import type { SessionService } from '../sessions/sessions.service.ts';
import type { AccessStore } from '../team/access.store.ts';
import { createAccountSwitchService } from './account-switch.service.ts';
import { accountsRoutes } from './accounts.routes.ts';
import { createAccountsStore } from './accounts.store.ts';

export async function registerAccountsPages(scope: FastifyInstance, deps: {
  db: Kysely<DashboardDatabase>; audit: Pick<Audit, 'record' | 'recordStandalone'>; sessions: SessionService; access: Pick<AccessStore, 'memberAccess'>;
  completion: SignInCompletion; stepUp: preHandlerAsyncHookHandler; production: boolean;
}): Promise<void> {
  const switcher = createAccountSwitchService({
    db: deps.db, audit: deps.audit, sessions: deps.sessions, access: deps.access, policy: createMfaPolicy({ db: deps.db, production: deps.production }),
  });
  await scope.register(accountsRoutes, { accounts: createAccountsStore(deps.db), switcher, completion: deps.completion, stepUp: deps.stepUp });
}
