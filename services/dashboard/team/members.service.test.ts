// Members against a real database: the rules (grant only what you hold, never your own roles, never a
// member above you, never the last Owner), each change audited in its transaction, object-level
// scoping, and access read per request (a change applies at the member's next request).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { isHttpError } from '#lib/http/index.ts';
import { createAccessStore } from './access.store.ts';
import { createTeam } from './team.ts';
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

test('an administrator changes a member\'s roles; the member\'s access changes at the next read', async () => {
  const { accountId } = await f.account();
  const admin = await f.user({ accountId, roles: ['administrator'] });
  const member = await f.user({ accountId, roles: ['view_only'] });
  assert.equal((await f.team.access.memberAccess(member.userId, accountId))?.permissions.has('charges.refund'), false);
  const changed = await f.team.members.changeRoles(f.actor(admin.userId, accountId), member.userId, ['refund_analyst', 'developer', 'developer']);
  assert.deepEqual(changed.roles, ['developer', 'refund_analyst']);
  const access = await f.team.access.memberAccess(member.userId, accountId);
  assert.deepEqual(access?.roles, ['developer', 'refund_analyst']);
  assert.ok(access?.permissions.has('charges.refund') && access.permissions.has('keys.manage'));
  const [entry] = (await f.entries('team.member.roles_update')).filter((e) => e.targets[0]?.id === member.userId);
  assert.deepEqual(
    [entry?.actor.id, entry?.actor.sessionId, entry?.tenant, entry?.outcome.result, entry?.metadata.before, entry?.metadata.after, entry?.origin.ip],
    [admin.userId, 'sess_test', accountId, 'success', ['view_only'], ['developer', 'refund_analyst'], '127.0.0.1'],
  );
});

test('an administrator can grant only permissions it holds (not Owner), and the refusal is audited', async () => {
  const { accountId } = await f.account();
  const admin = await f.user({ accountId, roles: ['administrator'] });
  const member = await f.user({ accountId, roles: ['view_only'] });
  await rejects(f.team.members.changeRoles(f.actor(admin.userId, accountId), member.userId, ['owner']), 403, /owners\.manage/);
  const iam = await f.user({ accountId, roles: ['iam_administrator'] });
  const peer = await f.user({ accountId, roles: ['iam_administrator'] });
  await rejects(f.team.members.changeRoles(f.actor(iam.userId, accountId), peer.userId, ['analyst']), 403, /you lack .*charges\.read/);
  assert.deepEqual((await f.team.access.memberAccess(member.userId, accountId))?.roles, ['view_only'], 'nothing changed');
  assert.deepEqual((await f.team.access.memberAccess(peer.userId, accountId))?.roles, ['iam_administrator'], 'nothing changed');
  const refusals = (await f.entries('team.member.roles_update')).filter((e) => e.tenant === accountId);
  assert.deepEqual(refusals.map((e) => [e.actor.id, e.outcome.result]), [[admin.userId, 'failure'], [iam.userId, 'failure']]);
});

test('an IAM Administrator may hand out only team access, such as its own role', async () => {
  const { accountId } = await f.account();
  const iam = await f.user({ accountId, roles: ['iam_administrator'] });
  const member = await f.user({ accountId, roles: ['iam_administrator'] });
  const other = await f.user({ accountId, roles: ['view_only'] });
  await rejects(f.team.members.changeRoles(f.actor(iam.userId, accountId), other.userId, ['iam_administrator']), 403, /holds permissions you do not/);
  const done = await f.team.members.changeRoles(f.actor(iam.userId, accountId), member.userId, ['iam_administrator']);
  assert.deepEqual(done.roles, ['iam_administrator']);
});

test('nobody changes their own roles or removes themselves, not even an Owner', async () => {
  const { accountId, ownerId } = await f.account();
  await rejects(f.team.members.changeRoles(f.actor(ownerId, accountId), ownerId, ['owner', 'developer']), 403, /own roles/);
  await rejects(f.team.members.remove(f.actor(ownerId, accountId), ownerId), 403, /own roles/);
  const admin = await f.user({ accountId, roles: ['administrator'] });
  await rejects(f.team.members.changeRoles(f.actor(admin.userId, accountId), admin.userId, ['view_only']), 403, /own roles/);
});

test('a member cannot be changed or removed by someone holding less than they do', async () => {
  const { accountId, ownerId } = await f.account();
  const admin = await f.user({ accountId, roles: ['administrator'] });
  await rejects(f.team.members.changeRoles(f.actor(admin.userId, accountId), ownerId, ['view_only']), 403, /owners\.manage/);
  await rejects(f.team.members.remove(f.actor(admin.userId, accountId), ownerId), 403, /holds permissions you do not/);
  const dev = await f.user({ accountId, roles: ['developer'] });
  await rejects(f.team.members.remove(f.actor(dev.userId, accountId), admin.userId), 403, /needs team\.manage/);
});

test('the last Owner cannot be removed or demoted; with two Owners one can', async () => {
  const { accountId, ownerId } = await f.account();
  // A custom role with every permission (owners.manage included) is the only way to reach a sole Owner.
  const [custom] = await f.database.db.insertInto('team_roles').values({
    id: 'role_test00000000000allperms', account_id: accountId, name: 'Everything', description: '',
    permissions: (await import('./permissions.ts')).ALL_PERMISSIONS.slice(), phishing_resistant_mfa: false, created_by: ownerId,
  }).returning('id').execute();
  const superuser = await f.user({ accountId, roles: [custom!.id] });
  await rejects(f.team.members.changeRoles(f.actor(superuser.userId, accountId), ownerId, ['administrator']), 409, /last Owner/);
  await rejects(f.team.members.remove(f.actor(superuser.userId, accountId), ownerId), 409, /last Owner/);
  const failures = (await f.entries('team.member.remove')).filter((e) => e.tenant === accountId);
  assert.equal(failures[0]?.outcome.result, 'failure', 'the attempt on the last Owner is audited');

  const second = await f.user({ accountId, roles: ['view_only'] });
  await f.team.members.changeRoles(f.actor(ownerId, accountId), second.userId, ['owner']);
  await f.team.members.changeRoles(f.actor(second.userId, accountId), ownerId, ['administrator']);
  assert.deepEqual((await f.team.access.memberAccess(ownerId, accountId))?.roles, ['administrator']);
  await rejects(f.team.members.changeRoles(f.actor(superuser.userId, accountId), second.userId, ['view_only']), 409, /last Owner/);
});

test('two Owners demoting each other at once: one wins, the account keeps an Owner', async () => {
  const { accountId, ownerId } = await f.account();
  const second = await f.user({ accountId, roles: ['owner'] });
  // Each transaction pauses after reading the team, so without the team lock both would read two
  // Owners, both would pass the last-Owner check, and the account would be left with none.
  const slow = createTeam({
    db: f.database.db.withPlugin({
      transformQuery: (args) => args.node,
      transformResult: async (args) => {
        if (Object.keys(args.result.rows[0] ?? {}).join() === 'user_id,roles') await new Promise((resolve) => setTimeout(resolve, 150));
        return args.result;
      },
    }),
    audit: f.audit, sendMail: async () => undefined, sendLater: () => undefined, publicUrl: 'https://dashboard.test', log: { error: () => undefined },
  });
  const results = await Promise.allSettled([
    slow.members.changeRoles(f.actor(ownerId, accountId), second.userId, ['view_only']),
    slow.members.changeRoles(f.actor(second.userId, accountId), ownerId, ['view_only']),
  ]);
  assert.deepEqual(results.map((r) => r.status).sort(), ['fulfilled', 'rejected']);
  const members = await f.team.members.list(accountId);
  assert.equal(members.filter((m) => m.roles.includes('owner')).length, 1);
});

test('removing a member ends their access at the next request and is audited', async () => {
  const { accountId, ownerId } = await f.account();
  const member = await f.user({ accountId, roles: ['analyst'] });
  assert.ok(await f.team.access.memberAccess(member.userId, accountId));
  await f.team.members.remove(f.actor(ownerId, accountId), member.userId);
  assert.equal(await f.team.access.memberAccess(member.userId, accountId), null);
  assert.deepEqual((await f.team.members.list(accountId)).map((m) => m.userId), [ownerId]);
  const [entry] = (await f.entries('team.member.remove')).filter((e) => e.tenant === accountId);
  assert.deepEqual([entry?.actor.id, entry?.targets, entry?.metadata.roles], [ownerId, [{ type: 'member', id: member.userId }], ['analyst']]);
});

test('another account\'s member is not found, and an actor from elsewhere is not a member', async () => {
  const a = await f.account();
  const b = await f.account();
  const inB = await f.user({ accountId: b.accountId, roles: ['view_only'] });
  await rejects(f.team.members.changeRoles(f.actor(a.ownerId, a.accountId), inB.userId, ['analyst']), 404);
  await rejects(f.team.members.remove(f.actor(a.ownerId, a.accountId), inB.userId), 404);
  await rejects(f.team.members.remove(f.actor(a.ownerId, b.accountId), inB.userId), 403, /not a member/);
  assert.deepEqual((await f.team.access.memberAccess(inB.userId, b.accountId))?.roles, ['view_only']);
  assert.deepEqual((await f.team.members.list(a.accountId)).map((m) => m.userId), [a.ownerId]);
});

test('roles must be predefined or this account\'s own custom roles', async () => {
  const a = await f.account();
  const b = await f.account();
  const bRole = await f.team.roles.create(f.actor(b.ownerId, b.accountId), { name: 'B only', permissions: ['logs.read'] });
  const member = await f.user({ accountId: a.accountId, roles: ['view_only'] });
  await rejects(f.team.members.changeRoles(f.actor(a.ownerId, a.accountId), member.userId, [bRole.id]), 400, /not a role of this account/);
  await rejects(f.team.members.changeRoles(f.actor(a.ownerId, a.accountId), member.userId, []), 400);
  await rejects(f.team.members.changeRoles(f.actor(a.ownerId, a.accountId), member.userId, ['superuser']), 400);
});

test('memberAccess and permissionsFor are one query each, whatever the number of roles', async () => {
  const { accountId, ownerId } = await f.account();
  const r1 = await f.team.roles.create(f.actor(ownerId, accountId), { name: 'R1', permissions: ['logs.read'], phishingResistantMfa: true });
  const r2 = await f.team.roles.create(f.actor(ownerId, accountId), { name: 'R2', permissions: ['audit.read'] });
  const member = await f.user({ accountId, roles: [r1.id, r2.id, 'analyst'] });
  let queries = 0;
  const counted = createAccessStore(f.database.db.withPlugin({
    transformQuery: (args) => (queries++, args.node),
    transformResult: async (args) => args.result,
  }));
  const access = await counted.memberAccess(member.userId, accountId);
  assert.equal(queries, 1);
  assert.ok(access?.permissions.has('logs.read') && access.permissions.has('audit.read') && access.permissions.has('data.export'));
  assert.equal(access?.permissions.has('keys.manage'), false);
  assert.deepEqual(access?.phishingResistantCustomRoles, [r1.id]);
  const perms = await counted.permissionsFor(accountId, [r2.id, 'developer']);
  assert.equal(queries, 2);
  assert.ok(perms.has('audit.read') && perms.has('keys.manage') && !perms.has('data.export'));
  assert.equal((await f.team.access.permissionsFor('acct_test_other', [r2.id])).size, 0, 'custom roles resolve only in their account');
  assert.equal(await counted.memberAccess(member.userId, 'acct_test_other'), null);
});
