// Custom roles against a real database: built from the catalogue, only from permissions the actor
// holds, never changed by someone who holds them, deleted only when unused, scoped to their account,
// and read per request (narrowing a role narrows its members at their next request).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { isHttpError } from '#lib/http/index.ts';
import { createTeamFixture, type TeamFixture } from './testing.ts';

let f: TeamFixture;
before(async () => { f = await createTeamFixture(); });
after(async () => f?.close());

async function rejects(promise: Promise<unknown>, status: number, pattern?: RegExp) {
  await assert.rejects(promise, (error: unknown) => {
    assert.ok(isHttpError(error), String(error));
    assert.equal(error.statusCode, status, error.message);
    if (pattern) assert.match(error.message, pattern);
    return true;
  });
}

test('create a custom role, assign it, narrow it: the member loses the permission at the next read', async () => {
  const { accountId, ownerId } = await f.account();
  const role = await f.team.roles.create(f.actor(ownerId, accountId), { name: '  Payments  lead ', description: 'Refunds and exports', permissions: ['charges.read', 'charges.refund', 'data.export'] });
  assert.match(role.id, /^role_[0-9a-z]{19}$/);
  assert.equal(role.name, 'Payments lead');
  assert.deepEqual(role.permissions, ['account.read', 'charges.read', 'charges.refund', 'data.export', 'profile.manage'], 'baseline added');
  const member = await f.user({ accountId, roles: ['view_only'] });
  await f.team.members.changeRoles(f.actor(ownerId, accountId), member.userId, [role.id]);
  assert.equal((await f.team.access.memberAccess(member.userId, accountId))?.permissions.has('charges.refund'), true);

  await f.team.roles.update(f.actor(ownerId, accountId), role.id, { name: 'Payments lead', permissions: ['charges.read'] });
  const access = await f.team.access.memberAccess(member.userId, accountId);
  assert.equal(access?.permissions.has('charges.refund'), false);
  assert.equal(access?.permissions.has('charges.read'), true);
  const [created] = (await f.entries('team.role.create')).filter((e) => e.tenant === accountId);
  assert.deepEqual([created?.actor.id, created?.targets, created?.metadata.name], [ownerId, [{ type: 'role', id: role.id }], 'Payments lead']);
  const [updated] = (await f.entries('team.role.update')).filter((e) => e.tenant === accountId);
  assert.deepEqual([updated?.metadata.before, updated?.metadata.after],
    [['account.read', 'charges.read', 'charges.refund', 'data.export', 'profile.manage'], ['account.read', 'charges.read', 'profile.manage']]);
});

test('only permissions the actor holds go into a role, and only roles.manage holders make roles', async () => {
  const { accountId } = await f.account();
  const iam = await f.user({ accountId, roles: ['iam_administrator'] });
  await rejects(f.team.roles.create(f.actor(iam.userId, accountId), { name: 'Sneaky', permissions: ['team.read', 'charges.refund'] }), 403, /you lack charges\.refund/);
  const ok = await f.team.roles.create(f.actor(iam.userId, accountId), { name: 'Team viewer', permissions: ['team.read'] });
  assert.deepEqual(ok.permissions, ['account.read', 'profile.manage', 'team.read']);
  const admin = await f.user({ accountId, roles: ['administrator'] });
  await rejects(f.team.roles.create(f.actor(admin.userId, accountId), { name: 'Owners', permissions: ['owners.manage'] }), 403, /owners\.manage/);
  const analyst = await f.user({ accountId, roles: ['analyst'] });
  await rejects(f.team.roles.create(f.actor(analyst.userId, accountId), { name: 'Mine', permissions: ['charges.read'] }), 403, /roles\.manage/);
  const refused = (await f.entries('team.role.create')).filter((e) => e.tenant === accountId && e.outcome.result === 'failure');
  assert.equal(refused.length, 3);
});

test('nobody changes a role they hold, or a role holding more than they do', async () => {
  const { accountId, ownerId } = await f.account();
  const mgr = await f.team.roles.create(f.actor(ownerId, accountId), { name: 'Team manager', permissions: ['team.read', 'team.manage', 'roles.manage'] });
  const holder = await f.user({ accountId, roles: [mgr.id] });
  await rejects(f.team.roles.update(f.actor(holder.userId, accountId), mgr.id, { name: 'Team manager', permissions: ['team.read'] }), 403, /role they hold/);
  await rejects(f.team.roles.remove(f.actor(holder.userId, accountId), mgr.id), 403, /role they hold/);
  const money = await f.team.roles.create(f.actor(ownerId, accountId), { name: 'Money', permissions: ['charges.refund'] });
  await rejects(f.team.roles.update(f.actor(holder.userId, accountId), money.id, { name: 'Money', permissions: ['team.read'] }), 403, /this role holds permissions you do not/);
  await rejects(f.team.roles.remove(f.actor(holder.userId, accountId), money.id), 403, /this role holds permissions you do not/);
});

test('a role in use cannot be deleted; an unused one can', async () => {
  const { accountId, ownerId } = await f.account();
  const role = await f.team.roles.create(f.actor(ownerId, accountId), { name: 'Temp', permissions: ['logs.read'] });
  const member = await f.user({ accountId, roles: [role.id] });
  await rejects(f.team.roles.remove(f.actor(ownerId, accountId), role.id), 409, /1 member\(s\) and 0 open invitation/);
  await f.team.members.changeRoles(f.actor(ownerId, accountId), member.userId, ['view_only']);
  const { invitation } = await f.team.invitations.invite(f.actor(ownerId, accountId), { email: 'temp@example.com', roles: [role.id] });
  await rejects(f.team.roles.remove(f.actor(ownerId, accountId), role.id), 409, /0 member\(s\) and 1 open invitation/);
  await f.team.invitations.revoke(f.actor(ownerId, accountId), invitation.id);
  assert.deepEqual(await f.team.roles.remove(f.actor(ownerId, accountId), role.id), { id: role.id });
  assert.deepEqual(await f.team.roles.list(accountId), []);
  const [deleted] = (await f.entries('team.role.delete')).filter((e) => e.tenant === accountId && e.outcome.result === 'success');
  assert.deepEqual([deleted?.actor.id, deleted?.targets, deleted?.metadata.name], [ownerId, [{ type: 'role', id: role.id }], 'Temp']);
});

test('names are unique per account and never a predefined role\'s; permissions come from the catalogue', async () => {
  const { accountId, ownerId } = await f.account();
  const actor = f.actor(ownerId, accountId);
  await f.team.roles.create(actor, { name: 'Auditor', permissions: ['audit.read'] });
  await rejects(f.team.roles.create(actor, { name: 'auditor', permissions: ['audit.read'] }), 409, /already exists/);
  await rejects(f.team.roles.create(actor, { name: 'Administrator', permissions: ['audit.read'] }), 409, /predefined/);
  await rejects(f.team.roles.create(actor, { name: 'view_only', permissions: ['audit.read'] }), 409, /predefined/);
  await rejects(f.team.roles.create(actor, { name: '', permissions: ['audit.read'] }), 400);
  await rejects(f.team.roles.create(actor, { name: 'x'.repeat(61), permissions: ['audit.read'] }), 400);
  await rejects(f.team.roles.create(actor, { name: 'Bad', permissions: ['charges.delete'] }), 400, /not a permission/);
  await rejects(f.team.roles.create(actor, { name: 'Empty', permissions: [] }), 400);
  await rejects(f.team.roles.create(actor, { name: 'Long', description: 'd'.repeat(201), permissions: ['audit.read'] }), 400);
  await rejects(f.team.roles.create(actor, { name: 'Card 4242 4242 4242 4242', permissions: ['audit.read'] }), 400, /card number/);
  await rejects(f.team.invitations.invite(actor, { email: '4242424242424242@example.com', roles: ['view_only'] }), 400, /card number/);
  assert.equal((await f.team.roles.list(accountId)).length, 1, 'nothing stored');
  const other = await f.account();
  await f.team.roles.create(f.actor(other.ownerId, other.accountId), { name: 'Auditor', permissions: ['audit.read'] });
});

test('another account\'s role is not found', async () => {
  const a = await f.account();
  const b = await f.account();
  const role = await f.team.roles.create(f.actor(b.ownerId, b.accountId), { name: 'B role', permissions: ['logs.read'] });
  await rejects(f.team.roles.update(f.actor(a.ownerId, a.accountId), role.id, { name: 'Taken over', permissions: ['logs.read'] }), 404);
  await rejects(f.team.roles.remove(f.actor(a.ownerId, a.accountId), role.id), 404);
  assert.deepEqual((await f.team.roles.list(a.accountId)).map((r) => r.id), []);
  assert.deepEqual((await f.team.roles.list(b.accountId)).map((r) => r.name), ['B role']);
});

test('a custom role may require phishing-resistant MFA', async () => {
  const { accountId, ownerId } = await f.account();
  const role = await f.team.roles.create(f.actor(ownerId, accountId), { name: 'Key holder', permissions: ['keys.manage'], phishingResistantMfa: true });
  const member = await f.user({ accountId, roles: [role.id, 'view_only'] });
  const access = await f.team.access.memberAccess(member.userId, accountId);
  assert.deepEqual(access?.phishingResistantCustomRoles, [role.id]);
  await f.team.roles.update(f.actor(ownerId, accountId), role.id, { name: 'Key holder', permissions: ['keys.manage'] });
  assert.deepEqual((await f.team.access.memberAccess(member.userId, accountId))?.phishingResistantCustomRoles, []);
});
