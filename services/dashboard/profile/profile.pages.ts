// Plugs profile/ into the page scope (after team/, whose access control `requirePermission` needs):
// its services from the dashboard's own (users, sessions, throttle, policy profile, mfaEnrolled).
import type { FastifyInstance } from 'fastify';
import type { Audit } from '#lib/audit/index.ts';
import type { Kysely } from '#lib/db/index.ts';
import { createPasswordChange } from '../auth/password-change.ts';
import type { DashboardDatabase } from '../db.ts';
import type { Mailer } from '../mail/mailer.ts';
import type { DashboardServices } from '../server.ts';
import type { StepUp } from '../team/team-pages.ts';
import { createCurrentPasswordCheck } from './current-password.ts';
import { createEmailChangeService } from './email-change.service.ts';
import { createEmailChangeStore } from './email-changes.store.ts';
import { createProfilePasswordService } from './password.service.ts';
import { profileRoutes } from './profile.routes.ts';

export async function registerProfilePages(scope: FastifyInstance, deps: {
  db: Kysely<DashboardDatabase>;
  audit: Audit;
  mail: Pick<Mailer, 'sendLater'>;
  services: Pick<DashboardServices, 'users' | 'sessions' | 'throttle' | 'signIn' | 'profile' | 'mfaEnrolled' | 'settings'>;
  /** mfa/ `requireRecentMfa`: before either change. */
  stepUp: StepUp;
}): Promise<void> {
  const { db, audit, mail, services } = deps;
  const origin = services.settings.publicOrigin;
  const checkCurrentPassword = createCurrentPasswordCheck({ users: services.users, throttle: services.throttle, throttleChecks: services.signIn.throttleChecks });
  const passwords = createProfilePasswordService({
    db, audit, sessions: services.sessions, checkCurrentPassword, mail, origin,
    passwords: createPasswordChange({ users: services.users, profile: services.profile, mfaEnrolled: services.mfaEnrolled }),
  });
  const emails = createEmailChangeService({
    db, audit, users: services.users, store: createEmailChangeStore(db), sessions: services.sessions, throttle: services.throttle,
    checkCurrentPassword, mail, origin,
  });
  await scope.register(profileRoutes, { passwords, emails, profile: services.profile, mfaEnrolled: services.mfaEnrolled, stepUp: deps.stepUp });
}
