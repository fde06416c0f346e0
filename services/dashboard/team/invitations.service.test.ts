// Invitations against a real database: by email, roles chosen at invite time, single use, 72 h,
// bound to the invited (verified) email, token stored hashed, revocable, superseded by a new one;
// accepting is the only way in, and everything is audited with actor, target and tenant.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { isHttpError } from '#lib/http/index.ts';
import { hashToken } from '../sessions/tokens.ts';
import { INVITATION_TTL_MS } from './invitations.service.ts';
import { createTeamFixture, type TeamFixture } from './testing.ts';

let f: TeamFixture;
let mailFails = false;
before(async () => { f = await createTeamFixture({ failMail: () => mailFails }); });
after(async () => f?.close());

async function rejects(promise: Promise<unknown>, status: number, pattern?: RegExp) {
  await assert.rejects(promise, (error: unknown) => {
    assert.ok(isHttpError(error), String(error));
    assert.equal(error.statusCode, status, error.message);
    if (pattern) assert.match(error.message, pattern);
    return true;
  });
}
const joiner = (userId: string) => ({ userId, sessionId: 'sess_joiner', origin: { ip: '127.0.0.2', requestId: 'req_join' } });

test('invite → mail with a single-use link → accept: a member with the chosen roles', async () => {
  f.clock.now = new Date();
  const { accountId, ownerId } = await f.account();
  const { invitation, delivered } = await f.team.invitations.invite(f.actor(ownerId, accountId), { email: ' New.Person@Example.com ', roles: ['developer', 'analyst'] });
  assert.equal(delivered, true);
  assert.deepEqual([invitation.email, invitation.roles, invitation.state, invitation.invitedBy], ['new.person@example.com', ['analyst', 'developer'], 'open', ownerId]);
  assert.equal(new Date(invitation.expiresAt).getTime() - f.clock.now.getTime(), INVITATION_TTL_MS);
  assert.ok(!JSON.stringify(invitation).includes('token'), 'the view carries no token');

  const token = f.tokenFor('new.person@example.com');
  assert.match(f.mail.at(-1)!.text, /https:\/\/dashboard\.test\/invitations\/accept\?token=/);
  assert.match(f.mail.at(-1)!.text, /Analyst, Developer/);
  const row = await f.database.db.selectFrom('invitations').selectAll().where('id', '=', invitation.id).executeTakeFirstOrThrow();
  assert.deepEqual(row.token_hash, hashToken(token), 'only the hash is stored');
  assert.ok(!JSON.stringify(row).includes(token));

  const peek = await f.team.invitations.peek(token);
  assert.deepEqual([peek?.accountId, peek?.email, peek?.roles], [accountId, 'new.person@example.com', 'Analyst, Developer']);

  const user = await f.user({ email: 'new.person@example.com' });
  assert.deepEqual(await f.team.acceptance.accept(joiner(user.userId), token), { accountId, roles: ['analyst', 'developer'] });
  const access = await f.team.access.memberAccess(user.userId, accountId);
  assert.ok(access?.permissions.has('keys.manage') && access.permissions.has('data.export'));
  assert.equal(await f.team.invitations.peek(token), null, 'used: the page shows nothing');
  await rejects(f.team.acceptance.accept(joiner(user.userId), token), 404, /not valid/);

  const created = (await f.entries('team.invitation.create')).find((e) => e.targets[0]?.id === invitation.id);
  assert.deepEqual([created?.actor.id, created?.tenant, created?.metadata.email, created?.metadata.roles], [ownerId, accountId, 'new.person@example.com', ['analyst', 'developer']]);
  const accepted = (await f.entries('team.invitation.accept')).filter((e) => e.tenant === accountId);
  assert.deepEqual(accepted.map((e) => [e.actor.id, e.outcome.result]), [[user.userId, 'success'], [user.userId, 'failure']]);
  assert.deepEqual(accepted[0]?.targets, [{ type: 'invitation', id: invitation.id }, { type: 'member', id: user.userId }]);
  assert.ok(!JSON.stringify(await f.entries()).includes(token), 'no token in the audit log');
});

test('the invitation is bound to the invited email, verified', async () => {
  f.clock.now = new Date();
  const { accountId, ownerId } = await f.account();
  await f.team.invitations.invite(f.actor(ownerId, accountId), { email: 'bound@example.com', roles: ['view_only'] });
  const token = f.tokenFor('bound@example.com');
  const stranger = await f.user({ email: 'stranger@example.com' });
  await rejects(f.team.acceptance.accept(joiner(stranger.userId), token), 403, /another email address/);
  const unverified = await f.user({ email: 'bound@example.com', verified: false });
  await rejects(f.team.acceptance.accept(joiner(unverified.userId), token), 403, /verify your email/);
  assert.equal(await f.team.access.memberAccess(stranger.userId, accountId), null);
  assert.equal(await f.team.access.memberAccess(unverified.userId, accountId), null);
  await f.database.db.updateTable('users').set({ email_verified: true }).where('id', '=', unverified.userId).execute();
  await f.team.acceptance.accept(joiner(unverified.userId), token);
  assert.deepEqual((await f.team.access.memberAccess(unverified.userId, accountId))?.roles, ['view_only']);
  const failures = (await f.entries('team.invitation.accept')).filter((e) => e.tenant === accountId && e.outcome.result === 'failure');
  assert.deepEqual(failures.map((e) => e.actor.id), [stranger.userId, unverified.userId]);
});

test('expired after 72 hours; revoked invitations and malformed tokens are refused alike', async () => {
  f.clock.now = new Date();
  const { accountId, ownerId } = await f.account();
  await f.team.invitations.invite(f.actor(ownerId, accountId), { email: 'late@example.com', roles: ['view_only'] });
  const late = f.tokenFor('late@example.com');
  const user = await f.user({ email: 'late@example.com' });
  f.clock.now = new Date(f.clock.now.getTime() + INVITATION_TTL_MS + 1000);
  assert.equal(await f.team.invitations.peek(late), null);
  await rejects(f.team.acceptance.accept(joiner(user.userId), late), 404, /not valid/);
  assert.equal((await f.team.invitations.list(accountId))[0]?.state, 'expired');

  f.clock.now = new Date();
  const { invitation } = await f.team.invitations.invite(f.actor(ownerId, accountId), { email: 'late@example.com', roles: ['view_only'] });
  const revokedToken = f.tokenFor('late@example.com');
  const revoked = await f.team.invitations.revoke(f.actor(ownerId, accountId), invitation.id);
  assert.equal(revoked.state, 'revoked');
  await rejects(f.team.acceptance.accept(joiner(user.userId), revokedToken), 404, /not valid/);
  await rejects(f.team.invitations.revoke(f.actor(ownerId, accountId), invitation.id), 409, /already revoked/);
  await rejects(f.team.acceptance.accept(joiner(user.userId), 'not-a-token'), 404);
  await rejects(f.team.acceptance.accept(joiner(user.userId), 'A'.repeat(43)), 404);
  assert.equal(await f.team.access.memberAccess(user.userId, accountId), null);
  const [entry] = (await f.entries('team.invitation.revoke')).filter((e) => e.tenant === accountId && e.outcome.result === 'success');
  assert.deepEqual([entry?.actor.id, entry?.targets], [ownerId, [{ type: 'invitation', id: invitation.id }]]);
});

test('inviting the same email again supersedes the earlier link', async () => {
  f.clock.now = new Date();
  const { accountId, ownerId } = await f.account();
  const first = await f.team.invitations.invite(f.actor(ownerId, accountId), { email: 'twice@example.com', roles: ['analyst'] });
  const oldToken = f.tokenFor('twice@example.com');
  const second = await f.team.invitations.invite(f.actor(ownerId, accountId), { email: 'twice@example.com', roles: ['view_only'] });
  const newToken = f.tokenFor('twice@example.com');
  const user = await f.user({ email: 'twice@example.com' });
  await rejects(f.team.acceptance.accept(joiner(user.userId), oldToken), 404);
  await f.team.acceptance.accept(joiner(user.userId), newToken);
  assert.deepEqual((await f.team.access.memberAccess(user.userId, accountId))?.roles, ['view_only']);
  const states = new Map((await f.team.invitations.list(accountId)).map((i) => [i.id, i.state]));
  assert.deepEqual([states.get(first.invitation.id), states.get(second.invitation.id)], ['revoked', 'accepted']);
  const created = (await f.entries('team.invitation.create')).find((e) => e.targets[0]?.id === second.invitation.id);
  assert.deepEqual(created?.metadata.superseded, [first.invitation.id]);
  await rejects(f.team.invitations.invite(f.actor(ownerId, accountId), { email: 'twice@example.com', roles: ['analyst'] }), 409, /already belongs to a member/);
});

test('an inviter grants only what it holds, and only while it still does', async () => {
  f.clock.now = new Date();
  const { accountId, ownerId } = await f.account();
  const admin = await f.user({ accountId, roles: ['administrator'] });
  await rejects(f.team.invitations.invite(f.actor(admin.userId, accountId), { email: 'o@example.com', roles: ['owner'] }), 403, /owners\.manage/);
  const dev = await f.user({ accountId, roles: ['developer'] });
  await rejects(f.team.invitations.invite(f.actor(dev.userId, accountId), { email: 'o@example.com', roles: ['developer'] }), 403, /team\.manage/);
  await f.team.invitations.invite(f.actor(admin.userId, accountId), { email: 'refunds@example.com', roles: ['refund_analyst'] });
  const token = f.tokenFor('refunds@example.com');
  // The administrator is demoted before the invitee accepts: the invitation no longer grants.
  await f.team.members.changeRoles(f.actor(ownerId, accountId), admin.userId, ['iam_administrator']);
  const user = await f.user({ email: 'refunds@example.com' });
  await rejects(f.team.acceptance.accept(joiner(user.userId), token), 409, /not valid/);
  assert.equal(await f.team.access.memberAccess(user.userId, accountId), null);
  assert.equal(f.mail.filter((m) => m.to === 'o@example.com').length, 0, 'refused invitations send nothing');
});

test('another account\'s invitation cannot be revoked or listed; bad input is a 400', async () => {
  f.clock.now = new Date();
  const a = await f.account();
  const b = await f.account();
  const { invitation } = await f.team.invitations.invite(f.actor(b.ownerId, b.accountId), { email: 'b-invitee@example.com', roles: ['view_only'] });
  await rejects(f.team.invitations.revoke(f.actor(a.ownerId, a.accountId), invitation.id), 404);
  assert.deepEqual(await f.team.invitations.list(a.accountId), []);
  assert.equal((await f.team.invitations.list(b.accountId))[0]?.state, 'open');
  await rejects(f.team.invitations.invite(f.actor(a.ownerId, a.accountId), { email: 'not an email', roles: ['view_only'] }), 400);
  await rejects(f.team.invitations.invite(f.actor(a.ownerId, a.accountId), { email: 'x@example.com', roles: [] }), 400);
  await rejects(f.team.invitations.invite(f.actor(a.ownerId, a.accountId), { email: 'x@example.com', roles: ['root'] }), 400);
});

test('a member cannot accept into their own account again, but may join another; a failed email leaves a revocable invitation', async () => {
  f.clock.now = new Date();
  const { accountId, ownerId } = await f.account();
  mailFails = true;
  const result = await f.team.invitations.invite(f.actor(ownerId, accountId), { email: 'nomail@example.com', roles: ['view_only'] });
  mailFails = false;
  assert.equal(result.delivered, false);
  assert.equal((await f.team.invitations.list(accountId))[0]?.state, 'open');
  await f.team.invitations.revoke(f.actor(ownerId, accountId), result.invitation.id);

  const member = await f.user({ accountId, roles: ['view_only'], email: 'already@example.com' });
  // The member's address changed to the invited one after the invitation went out.
  await f.team.invitations.invite(f.actor(ownerId, accountId), { email: 'renamed@example.com', roles: ['analyst'] });
  await f.database.ownerDb.updateTable('users').set({ email: 'renamed@example.com' }).where('id', '=', member.userId).execute();
  await rejects(f.team.acceptance.accept(joiner(member.userId), f.tokenFor('renamed@example.com')), 409, /already a member/);
  assert.deepEqual((await f.team.access.memberAccess(member.userId, accountId))?.roles, ['view_only']);
  await f.database.ownerDb.updateTable('users').set({ email: 'already@example.com' }).where('id', '=', member.userId).execute();
  const other = await f.account();
  await f.team.invitations.invite(f.actor(other.ownerId, other.accountId), { email: 'already@example.com', roles: ['analyst'] });
  // Joining a second account works; accepting it twice does not.
  const token = f.tokenFor('already@example.com');
  await f.team.acceptance.accept(joiner(member.userId), token);
  assert.deepEqual((await f.team.access.memberAccess(member.userId, other.accountId))?.roles, ['analyst']);
  assert.deepEqual((await f.team.access.memberAccess(member.userId, accountId))?.roles, ['view_only']);
});

test('acceptWithin runs inside the caller\'s transaction (sign-up from an invitation)', async () => {
  f.clock.now = new Date();
  const { accountId, ownerId } = await f.account();
  await f.team.invitations.invite(f.actor(ownerId, accountId), { email: 'signup@example.com', roles: ['support_specialist'] });
  const token = f.tokenFor('signup@example.com');
  await assert.rejects(f.database.db.transaction().execute(async (tx) => {
    await tx.insertInto('users').values({ id: 'user_rolledback000000000001', email: 'signup@example.com', password_hash: 'x', email_verified: true }).execute();
    await f.team.acceptance.acceptWithin(tx, joiner('user_rolledback000000000001'), token);
    throw new Error('sign-up failed later');
  }), /sign-up failed later/);
  assert.notEqual(await f.team.invitations.peek(token), null, 'the rollback left the invitation open');
  const result = await f.database.db.transaction().execute(async (tx) => {
    await tx.insertInto('users').values({ id: 'user_signedup0000000000001', email: 'signup@example.com', password_hash: 'x', email_verified: true }).execute();
    return f.team.acceptance.acceptWithin(tx, joiner('user_signedup0000000000001'), token);
  });
  assert.deepEqual(result, { accountId, roles: ['support_specialist'] });
});
