// Test support for the audit log, API keys and support pages: a dashboard-shaped page scope (form
// bodies, CSRF, views, error pages, team access control) on a throwaway dashboard database, with
// sessions taken from an `x-test-session: <user> <account>` header and roles read from the database
// on every request (as sessions/ does), a step-up stand-in, captured mail, and the api's interface
// given by the test (a stand-in here, the real api over mTLS in test/).
import type { FastifyInstance } from 'fastify';
import fastifyCookie from '@fastify/cookie';
import { createHttpsApp, httpError } from '#lib/http/index.ts';
import { createTestCa, createTestLogger, staticIdentity, type TestLogger } from '#lib/http/testing.ts';
import type { MailMessage } from './mail/mailer.ts';
import { registerMerchantPages, type MerchantApis } from './merchant-pages.ts';
import type { CheckpointKeys } from './audit-log/audit-integrity.ts';
import type { PaymentsApi } from './payments/payments-api.ts';
import type { StepUp } from './team/team-pages.ts';
import { newToken } from './sessions/tokens.ts';
import { registerAccessControl } from './team/access-control.ts';
import { createTeamFixture, type TeamFixture } from './team/testing.ts';
import { registerCsrf } from './web/csrf.ts';
import { installErrorPages } from './web/error-pages.ts';
import { registerFormParser } from './web/forms.ts';
import { registerViews } from './web/views.ts';

export type PageAnswer = { status: number; body: string; headers: Record<string, unknown>; location: string | undefined };

export type MerchantPagesBed = {
  f: TeamFixture;
  app: FastifyInstance;
  mail: MailMessage[];
  /** Step-up checks seen (request urls); set `refuseStepUp` to make them fail. */
  stepUps: string[];
  refuseStepUp: boolean;
  /** The routes the pages registered, with the names of their preHandlers. */
  routes: Array<{ method: string; url: string; guards: string[] }>;
  get(url: string, as?: { userId: string; accountId: string }): Promise<PageAnswer>;
  post(url: string, as: { userId: string; accountId: string } | undefined, fields?: Record<string, string>, headers?: Record<string, string>): Promise<PageAnswer>;
  close(): Promise<void>;
};

export const CSRF = newToken();

/** Tests of other pages need not stand in for the payments api: any call to it fails the page (502). */
const noPaymentsApi = async (): Promise<never> => { throw httpError(502, 'bad_gateway', 'no payments api in this test'); };
const NO_PAYMENTS_API: PaymentsApi = {
  listCharges: noPaymentsApi, charge: noPaymentsApi, refunds: noPaymentsApi, refund: noPaymentsApi, listCustomers: noPaymentsApi, customer: noPaymentsApi,
};
type GivenApis = Omit<MerchantApis, 'payments'> & { payments?: PaymentsApi };

export async function startMerchantPages(options: {
  apis: (f: TeamFixture) => GivenApis | Promise<GivenApis>; checkpointKeys?: CheckpointKeys;
  /** Replaces the step-up stand-in (e.g. mfa/ `requireRecentMfa` on a test clock); `stepUps` then stays empty. */
  stepUp?: StepUp;
}): Promise<MerchantPagesBed> {
  const f = await createTeamFixture();
  const log: TestLogger = createTestLogger('dashboard');
  const mail: MailMessage[] = [];
  const app = createHttpsApp({ service: 'dashboard', identity: await staticIdentity(await createTestCa(), 'dashboard'), mtls: false, logger: log.logger });
  const bed = { f, app, mail, stepUps: [] as string[], refuseStepUp: false, routes: [] } as unknown as MerchantPagesBed;
  app.addHook('onRoute', (route) => {
    const guards = ([route.preHandler ?? []].flat() as Array<{ name: string }>).map((h) => h.name);
    for (const method of [route.method].flat()) bed.routes.push({ method, url: route.url, guards });
  });
  const apis: MerchantApis = { payments: NO_PAYMENTS_API, ...await options.apis(f) };
  await app.register(async (pages) => {
    await pages.register(fastifyCookie);
    registerFormParser(pages);
    pages.decorateRequest('session', null);
    pages.addHook('onRequest', async (request) => {
      const header = request.headers['x-test-session'];
      if (typeof header !== 'string') return;
      const [userId = '', accountId = ''] = header.split(' ');
      const access = await f.team.access.memberAccess(userId, accountId);
      const user = await f.database.db.selectFrom('users').select('email').where('id', '=', userId).executeTakeFirst();
      if (!user) return;
      const at = new Date();
      request.session = {
        id: 'sess_test00000000000000001', userId, accountId, email: user.email, roles: access?.roles ?? [], permissions: access?.permissions ?? new Set(),
        createdAt: at, lastSeenAt: at, mfaVerifiedAt: at, factor: 'totp', csrfToken: CSRF,
      };
    });
    registerCsrf(pages);
    await registerViews(pages);
    installErrorPages(pages);
    registerAccessControl(pages, { audit: f.audit });
    const stepUp = async function stepUp(request: { url: string }) {
      bed.stepUps.push(request.url);
      if (bed.refuseStepUp) throw httpError(403, 'forbidden', 'confirm it is you first');
    };
    await registerMerchantPages(pages, {
      db: f.database.db, audit: f.audit, mail: { sendLater: (message) => void mail.push(message) }, apis,
      origin: 'https://dashboard.test', stepUp: options.stepUp ?? stepUp, checkpointKeys: options.checkpointKeys,
    });
  });
  await app.ready();

  const headersOf = (as?: { userId: string; accountId: string }) => (as ? { 'x-test-session': `${as.userId} ${as.accountId}` } : {});
  const answer = (r: { statusCode: number; body: string; headers: Record<string, unknown> }): PageAnswer =>
    ({ status: r.statusCode, body: r.body, headers: r.headers, location: r.headers.location as string | undefined });
  bed.get = async (url, as) => answer(await app.inject({ method: 'GET', url, headers: { accept: 'text/html', ...headersOf(as) } }));
  bed.post = async (url, as, fields = {}, headers = {}) => answer(await app.inject({
    method: 'POST', url, headers: { accept: 'text/html', 'content-type': 'application/x-www-form-urlencoded', ...headersOf(as), ...headers },
    payload: new URLSearchParams({ _csrf: CSRF, ...fields }).toString(),
  }));
  bed.close = async () => {
    await app.close();
    log.cleanup();
    await f.close();
  };
  return bed;
}
