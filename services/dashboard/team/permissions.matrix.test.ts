// The role × permission matrix: for EVERY predefined role and EVERY permission in the catalogue,
// `requirePermission` on a real dashboard-shaped app (lib/http's app, sessions loaded per request
// from the database as sessions/ does) allows exactly the role's permissions and answers the rest
// with 403 and one `dashboard.access.denied` audit entry. (The route matrix over the real pages
// comes with the pages.)
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { FastifyInstance } from 'fastify';
import { createHttpsApp } from '#lib/http/index.ts';
import { createTestCa, createTestLogger, staticIdentity, type TestLogger } from '#lib/http/testing.ts';
import type { Identity } from '#lib/tls/index.ts';
import { registerAccessControl } from './access-control.ts';
import { ALL_PERMISSIONS, requirePermission, type PermissionSession } from './permissions.ts';
import { PREDEFINED_ROLES } from './roles.ts';
import { createTeamFixture, type TeamFixture } from './testing.ts';

let f: TeamFixture;
let identity: Identity;
let log: TestLogger;
let app: FastifyInstance;
let accountId: string;
const members = new Map<string, string>(); // role key → user id

async function buildApp(withAccessControl: boolean): Promise<FastifyInstance> {
  const built = createHttpsApp({ service: 'dashboard', identity, mtls: false, logger: log.logger });
  if (withAccessControl) registerAccessControl(built, { audit: f.audit });
  built.decorateRequest('session', null);
  // As sessions/ does: roles and permissions read from the database on every request.
  built.addHook('onRequest', async (request) => {
    const userId = request.headers['x-test-user'];
    if (typeof userId !== 'string') return;
    const access = await f.team.access.memberAccess(userId, accountId);
    const session: PermissionSession | null = access && { id: `sess_${userId.slice(-8)}`, userId, accountId, permissions: access.permissions };
    (request as unknown as { session: PermissionSession | null }).session = session;
  });
  for (const permission of ALL_PERMISSIONS) {
    built.get(`/p/${permission}`, { preHandler: requirePermission(permission) }, async () => ({ ok: permission }));
    built.post(`/p/${permission}`, { preHandler: requirePermission(permission) }, async () => ({ ok: permission }));
  }
  await built.ready();
  return built;
}

before(async () => {
  f = await createTeamFixture();
  identity = await staticIdentity(await createTestCa(), 'dashboard');
  log = createTestLogger('dashboard');
  const account = await f.account();
  accountId = account.accountId;
  members.set('owner', account.ownerId);
  for (const role of PREDEFINED_ROLES.filter((r) => r.key !== 'owner')) members.set(role.key, (await f.user({ accountId, roles: [role.key] })).userId);
  app = await buildApp(true);
});
after(async () => {
  await app?.close();
  log?.cleanup();
  await f?.close();
});

test('every role × every permission: allowed exactly where the role holds it, else 403 and an audit entry', async () => {
  const expectedDenials: string[] = [];
  let allowed = 0;
  for (const role of PREDEFINED_ROLES) {
    const userId = members.get(role.key)!;
    for (const permission of ALL_PERMISSIONS) {
      const response = await app.inject({ method: 'GET', url: `/p/${permission}`, headers: { 'x-test-user': userId, accept: 'application/json' } });
      if (role.permissions.has(permission)) {
        assert.equal(response.statusCode, 200, `${role.key} should reach ${permission}`);
        assert.deepEqual(response.json(), { ok: permission });
        allowed++;
      } else {
        assert.equal(response.statusCode, 403, `${role.key} must not reach ${permission}`);
        assert.equal(response.json().code, 'forbidden');
        expectedDenials.push(`${userId} ${permission}`);
      }
    }
  }
  assert.equal(allowed + expectedDenials.length, PREDEFINED_ROLES.length * ALL_PERMISSIONS.length);
  assert.ok(allowed > 0 && expectedDenials.length > 0);
  const denials = await f.entries('dashboard.access.denied');
  assert.deepEqual(denials.map((e) => `${e.actor.id} ${e.metadata.permission}`).sort(), expectedDenials.sort(), 'one entry per refusal, none for an allowed request');
  for (const entry of denials) {
    assert.equal(entry.tenant, accountId);
    assert.equal(entry.outcome.result, 'failure');
    assert.deepEqual(entry.targets, [{ type: 'route', id: `GET /p/${entry.metadata.permission}` }]);
    assert.match(entry.actor.sessionId ?? '', /^sess_/);
    assert.ok(entry.requestId && entry.origin.ip);
  }
});

test('a state-changing request is refused the same way', async () => {
  const response = await app.inject({ method: 'POST', url: '/p/charges.refund', headers: { 'x-test-user': members.get('view_only')!, accept: 'application/json' }, payload: {} });
  assert.equal(response.statusCode, 403);
  const [entry] = (await f.entries('dashboard.access.denied')).filter((e) => e.targets[0]?.id === 'POST /p/charges.refund');
  assert.equal(entry?.actor.id, members.get('view_only'));
});

test('no session: a page visit goes to sign in and back, a form post to sign in, anything else gets 401', async () => {
  const page = await app.inject({ method: 'GET', url: '/p/team.read?x=1', headers: { accept: 'text/html,application/xhtml+xml' } });
  assert.equal(page.statusCode, 303);
  assert.equal(page.headers.location, `/sign-in?next=${encodeURIComponent('/p/team.read?x=1')}`);
  const form = await app.inject({ method: 'POST', url: '/p/team.manage', headers: { accept: 'text/html' }, payload: {} });
  assert.deepEqual([form.statusCode, form.headers.location], [303, '/sign-in']);
  const api = await app.inject({ method: 'GET', url: '/p/team.read' });
  assert.equal(api.statusCode, 401);
  assert.equal(api.json().code, 'authentication_failure');
  const stranger = await app.inject({ method: 'GET', url: '/p/account.read', headers: { 'x-test-user': 'user_not_a_member_of_it' } });
  assert.equal(stranger.statusCode, 401, 'a user who is not a member of the account has no session in it');
});

test('removing a member or a role applies at the very next request', async () => {
  const member = await f.user({ accountId, roles: ['refund_analyst', 'developer'] });
  const ask = () => app.inject({ method: 'GET', url: '/p/charges.refund', headers: { 'x-test-user': member.userId, accept: 'application/json' } });
  assert.equal((await ask()).statusCode, 200);
  await f.team.members.changeRoles(f.actor(members.get('owner')!, accountId), member.userId, ['developer']);
  assert.equal((await ask()).statusCode, 403);
  await f.team.members.remove(f.actor(members.get('owner')!, accountId), member.userId);
  assert.equal((await ask()).statusCode, 401);
});

test('an app without registerAccessControl refuses (fails closed) rather than skip the audit', async () => {
  const bare = await buildApp(false);
  try {
    const response = await bare.inject({ method: 'GET', url: '/p/keys.manage', headers: { 'x-test-user': members.get('view_only')! } });
    assert.equal(response.statusCode, 500);
    const allowed = await bare.inject({ method: 'GET', url: '/p/charges.read', headers: { 'x-test-user': members.get('view_only')! } });
    assert.equal(allowed.statusCode, 200);
  } finally {
    await bare.close();
  }
});

test('requirePermission refuses a permission that is not in the catalogue when the route is declared', () => {
  assert.throws(() => requirePermission('charges.delete' as never), /unknown permission/);
});
