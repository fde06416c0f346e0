// Test support for team/: a throwaway dashboard database, the team services wired as server.ts wires
// them, and helpers to make accounts, users and members, read audit entries and capture mail.
import { auditMigrations, createAudit, type Audit, type AuditEntry } from '#lib/audit/index.ts';
import { newId } from '#lib/contracts/index.ts';
import { loadSqlMigrations } from '#lib/db/index.ts';
import { createTestDatabase, type TestDatabase } from '#lib/db/testing.ts';
import { readLog } from '#lib/audit/testing.ts';
import type { MailMessage } from '../mail/mailer.ts';
import type { DashboardDatabase } from '../db.ts';
import { createTeam, type Team } from './team.ts';
import { isWellFormedToken } from '../sessions/tokens.ts';
import type { TeamActor } from './team.audit.ts';

export type TeamFixture = {
  database: TestDatabase<DashboardDatabase>;
  audit: Audit;
  team: Team;
  mail: MailMessage[];
  /** What the team sent with `sendLater` (notices of committed changes). */
  notices: MailMessage[];
  clock: { now: Date };
  /** A new account with one Owner; returns the account id and the owner's user id. */
  account(): Promise<{ accountId: string; ownerId: string }>;
  /** A user (verified email unless told otherwise), optionally a member of `accountId` with `roles`. */
  user(options?: { accountId?: string; roles?: string[]; email?: string; verified?: boolean }): Promise<{ userId: string; email: string }>;
  actor(userId: string, accountId: string): TeamActor;
  /** Entries of `action` (all when omitted) after chaining what is committed. */
  entries(action?: string): Promise<AuditEntry[]>;
  /** The token in the last invitation mail sent to `email`. */
  tokenFor(email: string): string;
  close(): Promise<void>;
};

export async function createTeamFixture(options: { failMail?: () => boolean } = {}): Promise<TeamFixture> {
  const database = await createTestDatabase<DashboardDatabase>([
    await auditMigrations(), await loadSqlMigrations('dashboard', new URL('../migrations/', import.meta.url)),
  ]);
  const clock = { now: new Date() };
  const audit = createAudit({ db: database.db, service: 'dashboard' });
  const mail: MailMessage[] = [];
  const notices: MailMessage[] = [];
  const team = createTeam({
    db: database.db, audit, publicUrl: 'https://dashboard.test', now: () => clock.now,
    sendMail: async (message) => {
      if (options.failMail?.()) throw new Error('smtp down');
      mail.push(message);
    },
    sendLater: (message) => void notices.push(message),
    log: { error: () => undefined },
  });
  let counter = 0;
  const fixture: TeamFixture = {
    database, audit, team, mail, notices, clock,
    async user(opts = {}) {
      const userId = newId('user');
      const email = opts.email ?? `u${++counter}.${userId.slice(-6)}@example.com`;
      await database.db.insertInto('users').values({ id: userId, email, password_hash: 'x', email_verified: opts.verified ?? true }).execute();
      if (opts.accountId) await database.db.insertInto('memberships').values({ user_id: userId, account_id: opts.accountId, roles: opts.roles ?? ['view_only'] }).execute();
      return { userId, email };
    },
    async account() {
      const accountId = newId('account', false);
      const { userId } = await fixture.user({ accountId, roles: ['owner'] });
      return { accountId, ownerId: userId };
    },
    actor: (userId, accountId) => ({ userId, accountId, sessionId: 'sess_test', origin: { ip: '127.0.0.1', userAgent: 'team-test', requestId: 'req_team' } }),
    async entries(action) {
      await audit.chainNow();
      const rows = await readLog(database.ownerDb);
      return rows.map((r) => r.entry as unknown as AuditEntry).filter((e) => action === undefined || e.action === action);
    },
    tokenFor(email) {
      const message = mail.filter((m) => m.to === email).at(-1);
      const token = message?.text.match(/token=([A-Za-z0-9_-]+)/)?.[1];
      if (!token || !isWellFormedToken(token)) throw new Error(`no invitation mail for ${email}`);
      return token;
    },
    close: () => database.close(),
  };
  return fixture;
}
