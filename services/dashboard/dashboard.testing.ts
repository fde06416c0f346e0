// Test harness for the dashboard's pages: the real app (sessions, CSRF, views, routes) on a
// throwaway database, driven with inject(); a stand-in for the api's account creation; the
// outbox; and a small "browser" that keeps cookies and reads each page's form token.
import type { FastifyInstance } from 'fastify';
import { auditMigrations, createAudit, type Audit } from '#lib/audit/index.ts';
import { newId } from '#lib/contracts/index.ts';
import { loadSqlMigrations, type Kysely } from '#lib/db/index.ts';
import { createTestDatabase, type TestDatabase } from '#lib/db/testing.ts';
import { createHttpsApp, httpError } from '#lib/http/index.ts';
import { createTestCa, createTestLogger, staticIdentity, type TestLogger } from '#lib/http/testing.ts';
import type { DashboardDatabase } from './db.ts';
import type { DashboardSettings } from './dashboard-settings.ts';
import type { AccountsApi } from './api-client/api-client.ts';
import { createMailer, createTransport, type Mailer } from './mail/mailer.ts';
import { registerDashboard, type DashboardParts, type DashboardSeams, type DashboardServices } from './server.ts';
import { createUserService } from './users/users.service.ts';

export const ORIGIN = 'https://dashboard.test';
export const STRONG_PASSWORD = 'violet canyon 42 harbour lantern';

export type FakeAccounts = AccountsApi & { calls: { email: string; name: string }[]; failNext: boolean };

export function fakeAccounts(): FakeAccounts {
  const fake: FakeAccounts = {
    calls: [],
    failNext: false,
    async createAccount(input) {
      if (fake.failNext) {
        fake.failNext = false;
        throw httpError(502, 'bad_gateway', 'The payments service could not create the account just now. Please try again in a minute.');
      }
      fake.calls.push(input);
      return { accountId: newId('account'), publicKey: `pkey_test_${newId('key').slice(4)}` };
    },
  };
  return fake;
}

export type DashboardTestbed = {
  app: FastifyInstance;
  database: TestDatabase<DashboardDatabase>;
  db: Kysely<DashboardDatabase>;
  audit: Audit;
  mail: Mailer;
  accounts: FakeAccounts;
  services: DashboardServices;
  log: TestLogger;
  /** Every route the dashboard registered, with the names of its preHandlers (route inventories). */
  routes: Array<{ method: string; url: string; guards: string[]; permission?: string }>;
  /** Emails sent so far to `to` (after queued deliveries finish), newest first. */
  mailsTo(to: string): Promise<{ subject: string; body: string }[]>;
  /** The first https link in the newest email to `to` whose subject matches. */
  linkFrom(to: string, subject: RegExp): Promise<string>;
  createOwner(email: string, password?: string): Promise<{ userId: string; accountId: string }>;
  browser(ip?: string): TestBrowser;
  close(): Promise<void>;
};

/** `seams` may be built from the testbed's own parts (mfa/ needs its database, audit and mail). */
export async function startDashboardTestbed(options: {
  settings?: Partial<DashboardSettings>;
  seams?: DashboardSeams | ((parts: DashboardParts) => DashboardSeams);
  /** Stand-ins for the api's internal interface: with them the audit log, keys, support and payments pages are registered. */
  merchantApis?: DashboardParts['merchantApis'];
} = {}): Promise<DashboardTestbed> {
  const database = await createTestDatabase<DashboardDatabase>([await auditMigrations(), await loadSqlMigrations('dashboard', new URL('./migrations/', import.meta.url))]);
  const db = database.db;
  const audit = createAudit({ db, service: 'dashboard' });
  const log = createTestLogger('dashboard');
  const settings: DashboardSettings = { production: false, policyProfile: 'pci', publicOrigin: ORIGIN, mail: { from: 'Strongroom <no-reply@dashboard.test>' }, ...options.settings };
  const mail = createMailer({ transport: createTransport(db, { from: settings.mail.from }), from: settings.mail.from, logger: log.logger });
  const accounts = fakeAccounts();
  const app = createHttpsApp({ service: 'dashboard', identity: await staticIdentity(await createTestCa(), 'dashboard'), mtls: false, logger: log.logger });
  const routes: DashboardTestbed['routes'] = [];
  app.addHook('onRoute', (route) => {
    const handlers = [route.preHandler ?? []].flat() as Array<{ name: string; permission?: string }>;
    const guards = handlers.map((h) => h.name);
    const permission = handlers.find((h) => h.permission !== undefined)?.permission;
    for (const method of [route.method].flat()) routes.push({ method, url: route.url, guards, ...(permission ? { permission } : {}) });
  });
  const parts: DashboardParts = { db, audit, mail, accounts, settings, log: log.logger, merchantApis: options.merchantApis };
  const services = await registerDashboard(app, parts, typeof options.seams === 'function' ? options.seams(parts) : options.seams);
  await app.ready();

  const mailsTo = async (to: string) => {
    await mail.idle();
    return db.selectFrom('mail_outbox').select(['subject', 'body']).where('recipient', '=', to).orderBy('id', 'desc').execute();
  };
  return {
    app, database, db, audit, mail, accounts, services, log, mailsTo, routes,
    async linkFrom(to, subject) {
      const mail = (await mailsTo(to)).find((m) => subject.test(m.subject));
      const link = mail?.body.match(/https:\/\/\S+/)?.[0];
      if (!link) throw new Error(`no email to ${to} matching ${subject}`);
      return link;
    },
    async createOwner(email, password = STRONG_PASSWORD) {
      const accountId = newId('account');
      const { userId } = await createUserService({ db, audit }).createOwner({ email, password, accountId, emailVerified: true });
      return { userId, accountId };
    },
    browser: (ip = '198.51.100.7') => createTestBrowser(app, ip),
    async close() {
      await mail.idle();
      await app.close();
      await database.close();
      log.cleanup();
    },
  };
}

export type PageResponse = { status: number; headers: Record<string, string | number | string[] | undefined>; body: string; location: string | undefined };

export type TestBrowser = {
  cookies: Map<string, string>;
  /** The `_csrf` value of the last page seen. */
  csrf: string;
  get(path: string): Promise<PageResponse>;
  post(path: string, fields: Record<string, string>, headers?: Record<string, string>): Promise<PageResponse>;
  /** GET the page first (for its form token), then POST its form. */
  submit(pagePath: string, action: string, fields: Record<string, string>): Promise<PageResponse>;
};

function createTestBrowser(app: FastifyInstance, ip: string): TestBrowser {
  const cookies = new Map<string, string>();
  const browser: TestBrowser = {
    cookies,
    csrf: '',
    get: (path) => send('GET', path),
    post: (path, fields, headers) => send('POST', path, fields, headers),
    async submit(pagePath, action, fields) {
      await browser.get(pagePath);
      return browser.post(action, { _csrf: browser.csrf, ...fields });
    },
  };
  async function send(method: 'GET' | 'POST', url: string, fields?: Record<string, string>, headers: Record<string, string> = {}): Promise<PageResponse> {
    const cookie = [...cookies].map(([k, v]) => `${k}=${v}`).join('; ');
    const response = await app.inject({
      method, url, remoteAddress: ip,
      headers: {
        'user-agent': 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/140.0.0.0 Safari/537.36',
        ...(cookie ? { cookie } : {}),
        ...(fields ? { 'content-type': 'application/x-www-form-urlencoded' } : {}),
        ...headers,
      },
      ...(fields ? { payload: new URLSearchParams(fields).toString() } : {}),
    });
    for (const set of [response.headers['set-cookie'] ?? []].flat()) {
      const [pair = ''] = set.split(';');
      const [name = '', value = ''] = pair.split('=');
      if (/Max-Age=0|Expires=Thu, 01 Jan 1970/i.test(set)) cookies.delete(name);
      else cookies.set(name, value);
    }
    const token = response.body.match(/name="_csrf" value="([^"]+)"/)?.[1];
    if (token) browser.csrf = token;
    return { status: response.statusCode, headers: response.headers, body: response.body, location: response.headers.location as string | undefined };
  }
  return browser;
}
