// Invitations, the only way to join an account: by email, with the role(s) chosen now, single-use,
// expiring (72 h), revocable; inviting the same email again supersedes the earlier link. The token
// (256 random bits, sessions/tokens.ts) goes out by mail only, never in a response or a log; the
// database keeps its SHA-256.
import { newId } from '#lib/contracts/index.ts';
import { httpError } from '#lib/http/index.ts';
import type { MailMessage } from '../mail/mailer.ts';
import type { TeamStore } from './team.store.ts';
import type { InvitationRow, InvitationStore } from './invitations.store.ts';
import { hashToken, isWellFormedToken, newToken } from '../sessions/tokens.ts';
import { predefinedRole } from './roles.ts';
import type { TeamRules } from './team-rules.ts';
import { TEAM_AUDIT, teamAuditRecord, type TeamActor } from './team.audit.ts';

export const INVITATION_TTL_MS = 72 * 60 * 60 * 1000;
const EMAIL = /^[^\s@]{1,64}@[^\s@]{1,189}\.[^\s@]{1,63}$/;

/** mail/ `Mailer.send` (or anything with its shape). */
export type SendMail = (message: MailMessage) => Promise<void>;
export type InvitationState = 'open' | 'accepted' | 'revoked' | 'expired';
export type InvitationView = {
  id: string; email: string; roles: string[]; state: InvitationState; invitedBy: string;
  createdAt: string; expiresAt: string; acceptedBy: string | null; revokedBy: string | null;
};

export function invitationState(row: Pick<InvitationRow, 'accepted_at' | 'revoked_at' | 'expires_at'>, now: Date): InvitationState {
  if (row.accepted_at) return 'accepted';
  if (row.revoked_at) return 'revoked';
  return row.expires_at.getTime() <= now.getTime() ? 'expired' : 'open';
}

export function normalizeEmail(raw: string): string {
  const email = raw.trim().toLowerCase();
  if (email.length > 254 || !EMAIL.test(email)) throw httpError(400, 'bad_request', 'email is not a valid email address');
  return email;
}

function view(row: Omit<InvitationRow, 'token_hash' | 'account_id'>, now: Date): InvitationView {
  return {
    id: row.id, email: row.email, roles: row.roles, state: invitationState(row, now), invitedBy: row.invited_by,
    createdAt: row.created_at.toISOString(), expiresAt: row.expires_at.toISOString(), acceptedBy: row.accepted_by, revokedBy: row.revoked_by,
  };
}

export type InvitationDeps = {
  team: TeamStore;
  invitations: InvitationStore;
  rules: TeamRules;
  sendMail: SendMail;
  /** The dashboard's public origin, e.g. https://dashboard.example.com (the link in the mail). */
  publicUrl: string;
  log: { error(details: object, message: string): void };
  now?: () => Date;
};

export function createInvitationService(deps: InvitationDeps) {
  const { team, invitations, rules } = deps;
  const now = deps.now ?? (() => new Date());

  function roleNames(roles: readonly string[], custom: ReadonlyMap<string, string>): string {
    return roles.map((r) => predefinedRole(r)?.name ?? custom.get(r) ?? r).join(', ');
  }

  async function deliver(email: string, token: string, roles: string, expiresAt: Date): Promise<boolean> {
    const link = `${deps.publicUrl.replace(/\/+$/, '')}/invitations/accept?token=${token}`;
    try {
      await deps.sendMail({
        kind: 'team_invitation',
        to: email,
        subject: 'You are invited to a Strongroom merchant account',
        text: [
          `You have been invited to join a merchant account on Strongroom as: ${roles}.`,
          `Accept the invitation here: sign in with this email address (${email}), or, if you are new to Strongroom, choose a password on that page:`, link,
          `The link works once and expires at ${expiresAt.toISOString()}.`,
          'If you did not expect this invitation, ignore this email.',
        ].join('\n\n'),
      });
      return true;
    } catch (error) {
      // The code only: the message holds the single-use link.
      const code = (error as { code?: unknown; responseCode?: unknown } | null) ?? {};
      deps.log.error({ mailKind: 'team_invitation', code: String(code.code ?? ''), responseCode: code.responseCode }, 'could not send an invitation email');
      return false;
    }
  }

  return {
    async list(accountId: string): Promise<InvitationView[]> {
      const at = now();
      return (await invitations.list(accountId)).map((row) => view(row, at));
    },

    /** Creates the invitation (audited in its transaction), then mails the link; `delivered` says whether the mail went. */
    async invite(actor: TeamActor, input: { email: string; roles: readonly string[] }): Promise<{ invitation: InvitationView; delivered: boolean }> {
      const email = normalizeEmail(input.email);
      const id = newId('invitation');
      const token = newToken();
      const hash = hashToken(token);
      const created = await rules.change(actor, TEAM_AUDIT.invitationCreated, [{ type: 'invitation', id }], async (ctx) => {
        ctx.require('team.manage');
        const roles = ctx.validRoles(input.roles);
        ctx.checkGrant(roles);
        if (await team.isMemberByEmail(ctx.tx, actor.accountId, email)) throw httpError(409, 'conflict', 'this email already belongs to a member of the account');
        const at = now();
        const superseded = await invitations.supersede(ctx.tx, actor.accountId, email, actor.userId, at);
        const row = await invitations.insert(ctx.tx, {
          id, account_id: actor.accountId, email, roles, token_hash: hash, invited_by: actor.userId, expires_at: new Date(at.getTime() + INVITATION_TTL_MS),
        });
        await rules.record(ctx.tx, teamAuditRecord(actor, TEAM_AUDIT.invitationCreated,
          [{ type: 'invitation', id }, ...superseded.map((s) => ({ type: 'invitation', id: s }))],
          { email, roles, expires_at: row.expires_at.toISOString(), superseded }));
        return { row, names: roleNames(roles, new Map(ctx.customRoles.map((r) => [r.id, r.name]))) };
      });
      const delivered = await deliver(email, token, created.names, created.row.expires_at);
      return { invitation: view(created.row, now()), delivered };
    },

    async revoke(actor: TeamActor, id: string): Promise<InvitationView> {
      return rules.change(actor, TEAM_AUDIT.invitationRevoked, [{ type: 'invitation', id }], async (ctx) => {
        ctx.require('team.manage');
        const row = await invitations.lockById(ctx.tx, actor.accountId, id);
        if (!row) throw httpError(404, 'not_found', 'no such invitation in this account');
        if (row.accepted_at || row.revoked_at) throw httpError(409, 'conflict', `the invitation was already ${row.accepted_at ? 'accepted' : 'revoked'}`);
        const at = now();
        await invitations.markRevoked(ctx.tx, id, actor.userId, at);
        await rules.record(ctx.tx, teamAuditRecord(actor, TEAM_AUDIT.invitationRevoked, [{ type: 'invitation', id }], { email: row.email }));
        return view({ ...row, revoked_at: at, revoked_by: actor.userId }, at);
      });
    },

    /** What the accept page shows to the holder of a token: only for an open invitation, else null. */
    async peek(token: string): Promise<{ id: string; accountId: string; email: string; roles: string; expiresAt: string } | null> {
      if (!isWellFormedToken(token)) return null;
      const row = await invitations.findByTokenHash(hashToken(token));
      if (!row || invitationState(row, now()) !== 'open') return null;
      const custom = new Map((await team.customRoles(row.account_id)).map((r) => [r.id, r.name]));
      return { id: row.id, accountId: row.account_id, email: row.email, roles: roleNames(row.roles, custom), expiresAt: row.expires_at.toISOString() };
    },
  };
}
export type InvitationService = ReturnType<typeof createInvitationService>;
