// Support for members (support.use): open a request (verified by the signed-in session), see the
// account's requests with everything that happened to them, confirm a request made in your name
// outside the dashboard, reject one nobody made, and get a support verification code for the desk.
// Each change and its audit entry share one transaction.
import { randomBase36 } from '#lib/contracts/index.ts';
import type { Audit } from '#lib/audit/index.ts';
import type { Kysely } from '#lib/db/index.ts';
import { httpError } from '#lib/http/index.ts';
import type { DashboardDatabase } from '../db.ts';
import { CODE_LIFETIME_MS, hashCode, newSupportCode } from './support-code.ts';
import { SUPPORT_AUDIT, supportEntry, type SupportMember } from './support.audit.ts';
import type { SupportStore } from './support.store.ts';

export const SUPPORT_LIMITS = { subject: 200, body: 10_000, listMax: 100 } as const;

export const newRequestId = () => `supp_${randomBase36(19)}`;

export function createSupportService(deps: { db: Kysely<DashboardDatabase>; store: SupportStore; audit: Pick<Audit, 'record'>; now?: () => Date }) {
  const { db, store, audit } = deps;
  const now = deps.now ?? (() => new Date());

  /** An undecided request of the member's account, locked; 404 when it is not this account's. */
  async function undecided(tx: Parameters<SupportStore['lock']>[0], member: SupportMember, id: string) {
    const request = await store.lock(tx, id, member.accountId);
    if (!request) throw httpError(404, 'not_found', 'There is no such support request in this account.');
    if (request.status !== 'unverified') throw httpError(409, 'conflict', `This request was already ${request.status}.`);
    return request;
  }

  return {
    list: (accountId: string) => store.list({ accountId, limit: SUPPORT_LIMITS.listMax }),

    async view(accountId: string, id: string) {
      const request = await store.find(id, accountId);
      return request ? { request, events: await store.events(id) } : null;
    },

    async open(member: SupportMember, input: { subject: string; body: string }): Promise<string> {
      const subject = input.subject.trim();
      const body = input.body.trim();
      if (subject === '' || body === '') throw httpError(400, 'bad_request', 'Give the request a subject and say what you need.');
      if (subject.length > SUPPORT_LIMITS.subject || body.length > SUPPORT_LIMITS.body) throw httpError(400, 'bad_request', 'The subject or the message is too long.');
      const id = newRequestId();
      const at = now();
      await db.transaction().execute(async (tx) => {
        await store.insertRequest(tx, {
          id, account_id: member.accountId, channel: 'dashboard', claimed_email: member.email.toLowerCase(), claimed_user_id: member.userId,
          subject, body, status: 'verified', verification: 'session', verified_by: member.userId, decided_at: at, created_at: at,
        });
        await store.insertEvent(tx, { request_id: id, account_id: member.accountId, kind: 'opened', actor_type: 'user', actor_id: member.userId, detail: 'Opened in a signed-in dashboard session, so it is verified.' });
        await audit.record(tx, supportEntry(member, SUPPORT_AUDIT.created, member.accountId, id, undefined, { channel: 'dashboard' }));
      });
      return id;
    },

    /** Only the member the request claims to come from can confirm it. */
    async confirm(member: SupportMember, id: string): Promise<void> {
      await db.transaction().execute(async (tx) => {
        const request = await undecided(tx, member, id);
        if (request.claimed_user_id !== member.userId) throw httpError(409, 'conflict', `Only ${request.claimed_email} can confirm this request, signed in as themselves.`);
        await store.decide(tx, id, { status: 'verified', verification: 'session', verifiedBy: member.userId, at: now() });
        await store.insertEvent(tx, { request_id: id, account_id: member.accountId, kind: 'verified', actor_type: 'user', actor_id: member.userId, detail: 'Confirmed in a signed-in dashboard session.' });
        await audit.record(tx, supportEntry(member, SUPPORT_AUDIT.verified, member.accountId, id, undefined, { method: 'session' }));
      });
    },

    /** Any member with support.use can say a request was not made by the account: the desk will not act on it. */
    async reject(member: SupportMember, id: string): Promise<void> {
      await db.transaction().execute(async (tx) => {
        await undecided(tx, member, id);
        await store.decide(tx, id, { status: 'rejected', at: now() });
        await store.insertEvent(tx, { request_id: id, account_id: member.accountId, kind: 'rejected', actor_type: 'user', actor_id: member.userId, detail: 'Rejected: not made by this account.' });
        await audit.record(tx, supportEntry(member, SUPPORT_AUDIT.rejected, member.accountId, id));
      });
    },

    /** A new code for the desk (the member's earlier ones stop working). Shown once; only its hash is kept. */
    async issueCode(member: SupportMember): Promise<{ code: string; expiresAt: Date }> {
      const code = newSupportCode();
      const at = now();
      const expiresAt = new Date(at.getTime() + CODE_LIFETIME_MS);
      await db.transaction().execute(async (tx) => {
        await store.supersedeCodes(tx, member.accountId, member.userId, at);
        await store.insertCode(tx, { account_id: member.accountId, user_id: member.userId, code_hash: hashCode(code), created_at: at, expires_at: expiresAt });
        await audit.record(tx, supportEntry(member, SUPPORT_AUDIT.codeIssued, member.accountId, null, undefined, { expires_at: expiresAt.toISOString() }));
      });
      return { code, expiresAt };
    },
  };
}
export type SupportService = ReturnType<typeof createSupportService>;
