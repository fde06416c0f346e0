// Wires mfa/ (stores → checks and services → the afterPassword seam, step-up and pages) from its
// dependencies; server.ts calls this once and hands the results to the dashboard's seams.
import type { FastifyInstance } from 'fastify';
import type { Audit } from '#lib/audit/index.ts';
import type { Kysely } from '#lib/db/index.ts';
import type { KmsClient } from '#lib/kms-client/index.ts';
import type { DashboardDatabase } from '../db.ts';
import type { DashboardSettings } from '../dashboard-settings.ts';
import type { SignInCompletion } from '../auth/complete-sign-in.ts';
import { createLoginHistoryStore } from '../auth/login-history.store.ts';
import type { Mailer } from '../mail/mailer.ts';
import type { SessionService } from '../sessions/sessions.service.ts';
import { createUserStore } from '../users/users.store.ts';
import { createFactorCheck } from './factor-check.ts';
import { createFactorService } from './factors.service.ts';
import { createFactorStore } from './factors.store.ts';
import { registerMfaPages } from './mfa.pages.ts';
import { createMfaPolicy } from './mfa-policy.ts';
import { createMfaThrottle } from './mfa-throttle.ts';
import { createPendingSignIns } from './pending-sign-in.ts';
import { createSecondFactorGate } from './second-factor-gate.ts';
import { createSecretBox } from './secret-box.ts';
import { requireRecentMfa, STEP_UP_MINUTES } from './step-up.ts';
import { createChallengeStore } from './webauthn-challenges.store.ts';
import { createWebAuthn, relyingPartyOf } from './webauthn.ts';

export type MfaDeps = {
  db: Kysely<DashboardDatabase>;
  audit: Audit;
  mail: Mailer;
  settings: Pick<DashboardSettings, 'publicOrigin' | 'production'>;
  /** Seals TOTP secrets under `mfa-secret` (lib/kms-client, or a stand-in in tests). */
  kms: Pick<KmsClient, 'dataKey' | 'decrypt'>;
  now?: () => Date;
};

export function createMfa(deps: MfaDeps) {
  const { db, audit, mail, settings } = deps;
  const now = deps.now ?? (() => new Date());
  const factors = createFactorStore(db);
  const secrets = createSecretBox({ kms: deps.kms });
  const webauthn = createWebAuthn({ factors, challenges: createChallengeStore(db, now), rp: relyingPartyOf(settings.publicOrigin), now });
  const policy = createMfaPolicy({ db, production: settings.production });
  const pending = createPendingSignIns(db, now);
  const users = createUserStore(db);
  const origin = settings.publicOrigin;
  const check = createFactorCheck({
    db, audit, mail, factors, secrets, webauthn, throttle: createMfaThrottle(db, now), history: createLoginHistoryStore(db), users, origin, now,
  });
  const service = createFactorService({ db, audit, mail, factors, secrets, webauthn, policy, origin, now });
  const gate = createSecondFactorGate({ factors, policy, pending });
  const stepUp = requireRecentMfa(STEP_UP_MINUTES, now);

  return {
    factors, policy, webauthn,
    /** The afterPassword seam: second factor or forced enrolment before any session. */
    afterPassword: gate.afterPassword,
    mfaEnrolled: gate.mfaEnrolled,
    /** `requireRecentMfa(STEP_UP_MINUTES)`, for the team, keys and refund pages. */
    stepUp,
    requireRecentMfa: (maxAgeMinutes: number) => requireRecentMfa(maxAgeMinutes, now),
    registerPages: (scope: FastifyInstance, services: { completion: SignInCompletion; sessions: SessionService }) =>
      registerMfaPages(scope, { db, audit, check, service, webauthn, pending, policy, factors, users, completion: services.completion, sessions: services.sessions, stepUp, now }),
  };
}
export type Mfa = ReturnType<typeof createMfa>;
