// The support desk's side (staff, through the `strongroom support` command): record a request that
// came from outside the dashboard (email, phone), which stays unverified; read a request (every read
// is audited and shown to the merchant); check a support verification code the member reads out
// (single use, 10 minutes, constant-time, throttled); and reply, only once the request is verified.
import type { Audit } from '#lib/audit/index.ts';
import type { Kysely } from '#lib/db/index.ts';
import { httpError } from '#lib/http/index.ts';
import type { DashboardDatabase, SupportChannel } from '../db.ts';
import { matchCode } from './support-code.ts';
import { SUPPORT_AUDIT, supportEntry, type SupportStaff } from './support.audit.ts';
import { newRequestId, SUPPORT_LIMITS } from './support.service.ts';
import type { SupportStore } from './support.store.ts';

/** Failed codes before the desk must ask for a confirmation in the dashboard instead. */
export const CODE_THROTTLE = { perRequest: 5, perAccountPerHour: 10 } as const;

const STAFF_NAME = /^[A-Za-z][A-Za-z0-9_.@+-]{0,99}$/;
const EMAIL = /^[^\s@]{1,64}@[^\s@]{1,189}$/;
const REQUEST_ID = /^supp_[0-9a-z]{19}$/;
const ACCOUNT_ID = /^acct_(test_)?[0-9a-z]{19}$/;

export type CodeCheck = { verified: true; memberEmail: string } | { verified: false; reason: string };

function staffOf(staff: SupportStaff): SupportStaff {
  if (!STAFF_NAME.test(staff.name)) throw httpError(400, 'bad_request', 'the staff name must be a plain identifier (letters, digits, . _ @ + -)');
  return staff;
}

function requestIdOf(id: string): string {
  if (!REQUEST_ID.test(id)) throw httpError(404, 'not_found', 'there is no such support request');
  return id;
}

export function createSupportDesk(deps: { db: Kysely<DashboardDatabase>; store: SupportStore; audit: Pick<Audit, 'record'>; now?: () => Date }) {
  const { db, store, audit } = deps;
  const now = deps.now ?? (() => new Date());

  return {
    /** Metadata only (no subject, no text), so listing is not a view of anyone's request. */
    async list(filter: { accountId?: string; status?: string } = {}) {
      const rows = await store.list({ ...filter, limit: 200 });
      return rows.map((r) => ({ id: r.id, accountId: r.account_id, channel: r.channel, status: r.status, createdAt: r.created_at }));
    },

    async inbound(staff: SupportStaff, input: { accountId: string; from: string; subject: string; body: string; channel: Exclude<SupportChannel, 'dashboard'> }): Promise<string> {
      staffOf(staff);
      const from = input.from.trim().toLowerCase();
      const subject = input.subject.trim();
      const body = input.body.trim();
      if (!ACCOUNT_ID.test(input.accountId)) throw httpError(400, 'bad_request', 'the account id is malformed');
      if (!EMAIL.test(from)) throw httpError(400, 'bad_request', 'the sender must be an email address');
      if (subject === '' || body === '' || subject.length > SUPPORT_LIMITS.subject || body.length > SUPPORT_LIMITS.body) {
        throw httpError(400, 'bad_request', `a subject (1–${SUPPORT_LIMITS.subject} characters) and a text (1–${SUPPORT_LIMITS.body}) are needed`);
      }
      const id = newRequestId();
      await db.transaction().execute(async (tx) => {
        if (!(await store.accountHasMembers(tx, input.accountId))) throw httpError(404, 'not_found', 'there is no such account');
        const member = await store.memberByEmail(tx, input.accountId, from);
        await store.insertRequest(tx, {
          id, account_id: input.accountId, channel: input.channel, claimed_email: from, claimed_user_id: member?.id ?? null,
          subject, body, status: 'unverified', verification: null, verified_by: null, decided_at: null, created_at: now(),
        });
        const who = member ? 'a member of this account' : 'an address that is no member of this account';
        await store.insertEvent(tx, { request_id: id, account_id: input.accountId, kind: 'opened', actor_type: 'staff', actor_id: staff.name, detail: `Received by ${input.channel} from ${from} (${who}). Not verified: the support desk will not act on it until it is.` });
        await audit.record(tx, supportEntry(staff, SUPPORT_AUDIT.received, input.accountId, id, undefined, { channel: input.channel, member: member !== undefined }));
      });
      return id;
    },

    /** The request and its history; the read itself is recorded first (audit and the merchant's page). */
    async show(staff: SupportStaff, id: string) {
      staffOf(staff);
      return db.transaction().execute(async (tx) => {
        const request = await store.find(requestIdOf(id), undefined, tx);
        if (!request) throw httpError(404, 'not_found', 'there is no such support request');
        await store.insertEvent(tx, { request_id: id, account_id: request.account_id, kind: 'staff_view', actor_type: 'staff', actor_id: staff.name, detail: 'Read by the support desk.' });
        await audit.record(tx, supportEntry(staff, SUPPORT_AUDIT.staffView, request.account_id, id));
        return { request, events: await store.events(id, tx) };
      });
    },

    /** The code the member read out: it must be theirs (the member the request claims to come from), live and unused. */
    async verifyCode(staff: SupportStaff, id: string, code: string): Promise<CodeCheck> {
      staffOf(staff);
      return db.transaction().execute(async (tx) => {
        const request = await store.lock(tx, requestIdOf(id), undefined);
        if (!request) throw httpError(404, 'not_found', 'there is no such support request');
        if (request.status !== 'unverified') return { verified: false, reason: `the request is already ${request.status}` };
        if (request.claimed_user_id === null) {
          return { verified: false, reason: 'the sender is no member of this account: nobody can verify it (ask them to open a request in the dashboard)' };
        }
        const at = now();
        const failures = await store.codeFailures(tx, id, request.account_id, new Date(at.getTime() - 3600_000));
        if (failures.request >= CODE_THROTTLE.perRequest || failures.account >= CODE_THROTTLE.perAccountPerHour) {
          await audit.record(tx, supportEntry(staff, SUPPORT_AUDIT.verified, request.account_id, id, { result: 'failure', reason: 'throttled' }, { method: 'code' }));
          return { verified: false, reason: 'too many wrong codes: ask the member to confirm the request in the dashboard instead' };
        }
        const live = await store.lockLiveCodes(tx, request.account_id, request.claimed_user_id, at);
        const found = live[matchCode(code, live.map((c) => c.code_hash))];
        if (!found) {
          await store.insertEvent(tx, { request_id: id, account_id: request.account_id, kind: 'code_failed', actor_type: 'staff', actor_id: staff.name, detail: 'A support verification code was checked and did not match.' });
          await audit.record(tx, supportEntry(staff, SUPPORT_AUDIT.verified, request.account_id, id, { result: 'failure', reason: 'wrong, expired or used code' }, { method: 'code' }));
          return { verified: false, reason: 'the code is wrong, expired or already used' };
        }
        await store.spendCode(tx, found.id, id, at);
        await store.decide(tx, id, { status: 'verified', verification: 'code', verifiedBy: request.claimed_user_id, at });
        await store.insertEvent(tx, { request_id: id, account_id: request.account_id, kind: 'verified', actor_type: 'staff', actor_id: staff.name, detail: `Verified by the support verification code of ${request.claimed_email}.` });
        await audit.record(tx, supportEntry(staff, SUPPORT_AUDIT.verified, request.account_id, id, undefined, { method: 'code', member: request.claimed_user_id }));
        return { verified: true, memberEmail: request.claimed_email };
      });
    },

    /** An answer goes out only on a verified request. */
    async reply(staff: SupportStaff, id: string, text: string): Promise<void> {
      staffOf(staff);
      const body = text.trim();
      if (body === '' || body.length > SUPPORT_LIMITS.body) throw httpError(400, 'bad_request', `a reply is 1–${SUPPORT_LIMITS.body} characters`);
      await db.transaction().execute(async (tx) => {
        const request = await store.lock(tx, requestIdOf(id), undefined);
        if (!request) throw httpError(404, 'not_found', 'there is no such support request');
        if (request.status !== 'verified') throw httpError(409, 'conflict', `no answer until the request is verified (it is ${request.status})`);
        await store.insertEvent(tx, { request_id: id, account_id: request.account_id, kind: 'reply', actor_type: 'staff', actor_id: staff.name, detail: body });
        await audit.record(tx, supportEntry(staff, SUPPORT_AUDIT.replied, request.account_id, id, undefined, { length: body.length }));
      });
    },
  };
}
export type SupportDesk = ReturnType<typeof createSupportDesk>;
