// services/dashboard/server.ts: assembly only. Public HTTPS listener for the merchant dashboard.
import type { FastifyInstance } from 'fastify';
import fastifyCookie from '@fastify/cookie';
import type { Logger } from 'pino';
import { createHttpsApp, createMtlsClient, httpError, registerHealth } from '#lib/http/index.ts';
import { openDatabase, sql, type Kysely } from '#lib/db/index.ts';
import { createAudit, type Audit } from '#lib/audit/index.ts';
import type { ServiceConfig } from '#lib/config/index.ts';
import { auditCheckpointsViaKms, type ServiceIdentities } from '#lib/runtime/index.ts';
import type { DashboardDatabase } from './db.ts';
import { readDashboardSettings, type DashboardSettings } from './dashboard-settings.ts';
import { policyProfile } from './policy-profiles.ts';
import { createUserService } from './users/users.service.ts';
import { createUserStore } from './users/users.store.ts';
import { createApiClient, type AccountsApi } from './api-client/api-client.ts';
import { createMailer, createTransport, type Mailer } from './mail/mailer.ts';
import { createOutboxReader } from './mail/outbox.transport.ts';
import { outboxRoutes } from './mail/outbox.routes.ts';
import { countryOf } from './sessions/client.ts';
import { sessionLimitsFor } from './sessions/session-limits.ts';
import { createSessionStore } from './sessions/sessions.store.ts';
import { createSessionService, membershipAccess, type MemberAccess, type SessionPolicyFor } from './sessions/sessions.service.ts';
import { registerSessions } from './sessions/session.plugin.ts';
import { completeWithPassword, noMfaEnrolled, type AfterPassword, type MfaEnrolled } from './auth/after-password.ts';
import { createSignInCompletion } from './auth/complete-sign-in.ts';
import { createLoginHistoryStore } from './auth/login-history.store.ts';
import { createPasswordResetService } from './auth/password-reset.service.ts';
import { passwordResetRoutes } from './auth/password-reset.routes.ts';
import { createRetentionJob } from './auth/retention.job.ts';
import { createSignInService } from './auth/sign-in.service.ts';
import { signInRoutes } from './auth/sign-in.routes.ts';
import { createSignUpService } from './auth/sign-up.service.ts';
import { signUpRoutes } from './auth/sign-up.routes.ts';
import { warmUpStrength } from './auth/strength.ts';
import { createThrottleStore } from './auth/throttle.store.ts';
import { activityRoutes } from './activity/activity.routes.ts';
import { registerAccountsPages } from './accounts/accounts.pages.ts';
import { registerCsrf } from './web/csrf.ts';
import { installErrorPages } from './web/error-pages.ts';
import { registerFormParser } from './web/forms.ts';
import { homeRoutes } from './web/home.routes.ts';
import { registerViews } from './web/views.ts';
import { createTeam } from './team/team.ts';
import { registerTeamPages } from './team/team.pages.ts';
import { mfaSeams } from './mfa/mfa.seams.ts';
import { NO_KMS } from './mfa/secret-box.ts';
import type { StepUp } from './team/team-pages.ts';
import { createKmsClient } from '#lib/kms-client/index.ts';
import { merchantApisOver, registerMerchantPages, type MerchantApis } from './merchant-pages.ts';
import { checkpointKeysFrom } from './audit-log/checkpoint-keys.ts';
import { registerProfilePages } from './profile/profile.pages.ts';
import type { CheckpointKeys } from './audit-log/audit-integrity.ts';

/** Without mfa/ no step-up can be checked, so actions that need one are refused (fail closed). */
const stepUpUnavailable: StepUp = async () => {
  throw httpError(403, 'forbidden', 'this action needs a fresh second factor, and none can be checked here');
};

/** Where other parts plug in (team/, mfa/, account/): each has a safe default. */
export type DashboardSeams = {
  /** team/: a member's roles and permissions, read on every request. Default: memberships + `permissionsFor`. */
  memberAccess?: MemberAccess;
  permissionsFor?: (roles: readonly string[], accountId: string) => ReadonlySet<string> | Promise<ReadonlySet<string>>;
  /** Stricter session limits (privileged roles, per-account profile). Default: the profile's. */
  policyFor?: SessionPolicyFor;
  /** mfa/: what follows a right password. Default: signed in at once. */
  afterPassword?: AfterPassword;
  mfaEnrolled?: MfaEnrolled;
  /** mfa/: fresh MFA before sensitive changes. Default: refused (fail closed) until a factor can be checked. */
  stepUp?: StepUp;
  /** More routes inside the page scope (sessions, CSRF, views and error pages apply to them). */
  routes?: (scope: FastifyInstance, services: DashboardServices) => Promise<void>;
};

export type DashboardParts = {
  db: Kysely<DashboardDatabase>;
  audit: Audit;
  mail: Mailer;
  accounts: AccountsApi;
  settings: DashboardSettings;
  log: Logger;
  /** The api's internal interface for the audit log and API keys pages; without it those pages are absent. */
  merchantApis?: MerchantApis;
  /** The KMS's checkpoint public keys (audit log integrity); without them signed checkpoints are reported unchecked. */
  checkpointKeys?: CheckpointKeys;
};

/** The dashboard's services (what other parts, through `seams.routes`, build on). */
export function createDashboardServices(parts: DashboardParts, seams: Omit<DashboardSeams, 'routes'> = {}) {
  const { db, audit, mail, settings } = parts;
  const profile = policyProfile(settings.policyProfile);
  const origin = settings.publicOrigin;
  const mfaEnrolled = seams.mfaEnrolled ?? noMfaEnrolled;
  const users = createUserStore(db);
  const sessionStore = createSessionStore(db);
  const team = createTeam({ db, audit, sendMail: (message) => mail.send(message), sendLater: (message) => mail.sendLater(message), publicUrl: origin, log: parts.log });
  const sessions = createSessionService({
    db, store: sessionStore, audit,
    memberAccess: seams.memberAccess ?? (seams.permissionsFor ? membershipAccess(sessionStore, seams.permissionsFor) : team.access.memberAccess),
    policyFor: seams.policyFor ?? sessionLimitsFor(profile.session),
  });
  const throttle = createThrottleStore(db);
  const history = createLoginHistoryStore(db);
  const signIn = createSignInService({ db, audit, users, sessions, throttle, history, profile, mail, origin });
  const completion = createSignInCompletion({ signIn, afterPassword: seams.afterPassword ?? completeWithPassword });
  const signUp = createSignUpService({ db, audit, users, throttle, mail, accounts: parts.accounts, profile, origin, passwordChecks: signIn.throttleChecks });
  const resets = createPasswordResetService({ db, audit, users, throttle, mail, sessions, profile, origin, mfaEnrolled });
  return { settings, profile, mfaEnrolled, users, sessions, signIn, completion, signUp, resets, history, throttle, team };
}
export type DashboardServices = ReturnType<typeof createDashboardServices>;

/** Everything behind the public listener (tests call this with a test database and a stand-in api). */
export async function registerDashboard(app: FastifyInstance, parts: DashboardParts, seams: DashboardSeams = {}): Promise<DashboardServices> {
  const services = createDashboardServices(parts, seams);
  const { profile, sessions, signIn, completion, signUp, resets, history, mfaEnrolled } = services;
  await app.register(async (pages) => {
    await pages.register(fastifyCookie);
    registerFormParser(pages);
    registerSessions(pages, { sessions });
    registerCsrf(pages);
    await registerViews(pages);
    installErrorPages(pages);
    await pages.register(homeRoutes);
    await pages.register(signInRoutes, { signIn, sessions, completion });
    await pages.register(signUpRoutes, { signUp, profile, completion });
    await pages.register(passwordResetRoutes, { resets, profile, mfaEnrolled, completion });
    await pages.register(activityRoutes, { sessions, history });
    // The outbox is the mail transport only outside production without SMTP; its page goes with it.
    if (!parts.settings.production && parts.settings.mail.smtpUrl === undefined) await pages.register(outboxRoutes, { outbox: createOutboxReader(parts.db) });
    await registerTeamPages(pages, {
      team: services.team, audit: parts.audit, stepUp: seams.stepUp ?? stepUpUnavailable,
      newUser: { db: parts.db, audit: parts.audit, users: services.users, throttle: services.throttle, profile, completion },
    });
    await registerAccountsPages(pages, {
      db: parts.db, audit: parts.audit, sessions, access: services.team.access, completion,
      stepUp: seams.stepUp ?? stepUpUnavailable, production: parts.settings.production,
    });
    await registerProfilePages(pages, { db: parts.db, audit: parts.audit, mail: parts.mail, services, stepUp: seams.stepUp ?? stepUpUnavailable });
    if (parts.merchantApis) {
      await registerMerchantPages(pages, {
        db: parts.db, audit: parts.audit, mail: parts.mail, apis: parts.merchantApis, origin: parts.settings.publicOrigin,
        stepUp: seams.stepUp ?? stepUpUnavailable, checkpointKeys: parts.checkpointKeys,
      });
    }
    if (seams.routes) await seams.routes(pages, services);
  });
  return services;
}

export async function buildDashboard(deps: {
  config: Pick<ServiceConfig, 'databaseUrl' | 'public' | 'peers' | 'production' | 'extra'>;
  logger: Logger;
  identities: ServiceIdentities;
  seams?: DashboardSeams;
}) {
  const { config, logger, identities } = deps;
  const settings = readDashboardSettings(config);
  const db: Kysely<DashboardDatabase> = openDatabase<DashboardDatabase>(config.databaseUrl, { applicationName: 'dashboard' });
  const audit = createAudit({ db, service: 'dashboard' });
  const checkpoints = auditCheckpointsViaKms({ db, service: 'dashboard', identity: identities.internal, kmsUrl: config.peers.kms, logger });
  const users = createUserService({ db, audit });
  const ready = async () => (await sql`SELECT 1`.execute(db), true);
  // Sign-up creates merchant accounts through the api's internal listener: without it, no dashboard.
  if (!config.peers.api) throw new Error('dashboard needs the api (peers.api in its config)');
  const api = createApiClient({ identity: identities.internal, baseUrl: config.peers.api });
  // Audit log and API keys pages: the api's internal routes; the KMS for the checkpoint public keys.
  const internalApi = createMtlsClient({ identity: identities.internal, baseUrl: config.peers.api, expectedServer: 'api' });
  const kms = config.peers.kms ? createKmsClient({ identity: identities.internal, baseUrl: config.peers.kms }) : undefined;
  const mail = createMailer({ transport: createTransport(db, settings.mail), from: settings.mail.from, logger });
  const retention = createRetentionJob({ db, logger });
  // mfa/ (second factors, step-up; TOTP secrets sealed under the KMS key `mfa-secret`) and account/ settings.
  const mfa = mfaSeams({ db, audit, mail, settings, kms: kms ?? NO_KMS }).seams;

  if (!identities.public) throw new Error('dashboard needs a public identity');
  const publicApp = await createHttpsApp({ service: 'dashboard', identity: identities.public, mtls: false, logger });
  registerHealth(publicApp, { ready });
  const services = await registerDashboard(publicApp, {
    db, audit, mail, accounts: api, settings, log: logger, merchantApis: merchantApisOver(internalApi), checkpointKeys: kms && checkpointKeysFrom(kms),
  }, { ...mfa, ...deps.seams });

  return {
    publicApp, db, audit, users, checkpoints, services,
    async listen() {
      // Load the strength estimator and the country table now, not on the first visitor's request.
      warmUpStrength();
      countryOf('8.8.8.8');
      audit.start();
      checkpoints.start();
      retention.start();
      if (config.public) await publicApp.listen(config.public);
    },
    async close() {
      await publicApp.close();
      await retention.stop();
      await mail.idle();
      mail.close();
      await api.close();
      await internalApi.close();
      await kms?.close();
      await checkpoints.stop();
      await audit.stop();
      await db.destroy();
    },
  };
}
