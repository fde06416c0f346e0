// The team pages over a dashboard-shaped app (lib/http app, cookies, form bodies, CSRF, views, error
// pages, access control; sessions loaded per request from the database): who can see and change
// what, step-up on every change, object-level 404s, forms that show their refusals, and the
// invitation link from mail to membership.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { FastifyInstance } from 'fastify';
import fastifyCookie from '@fastify/cookie';
import { createHttpsApp, httpError } from '#lib/http/index.ts';
import { createTestCa, createTestLogger, staticIdentity, type TestLogger } from '#lib/http/testing.ts';
import { newToken } from '../sessions/tokens.ts';
import { registerCsrf } from '../web/csrf.ts';
import { installErrorPages } from '../web/error-pages.ts';
import { registerFormParser } from '../web/forms.ts';
import { registerViews } from '../web/views.ts';
import { registerTeamPages } from './team.pages.ts';
import { createTeamFixture, type TeamFixture } from './testing.ts';

let f: TeamFixture;
let log: TestLogger;
let app: FastifyInstance;
const CSRF = newToken();
const stepUps: string[] = [];
const routes: Array<{ method: string; url: string; guards: string[] }> = [];
let stepUpRefuses = false;

before(async () => {
  f = await createTeamFixture();
  log = createTestLogger('dashboard');
  app = createHttpsApp({ service: 'dashboard', identity: await staticIdentity(await createTestCa(), 'dashboard'), mtls: false, logger: log.logger });
  app.addHook('onRoute', (route) => {
    const handlers = [route.preHandler ?? []].flat() as Array<{ name: string }>;
    for (const method of [route.method].flat()) routes.push({ method, url: route.url, guards: handlers.map((h) => h.name) });
  });
  await app.register(async (pages) => {
    await pages.register(fastifyCookie);
    registerFormParser(pages);
    // As sessions/ does: a session per request, roles and permissions read from the database.
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
    const stepUp = async function stepUp(request: { url: string }) {
      stepUps.push(request.url);
      if (stepUpRefuses) throw httpError(403, 'forbidden', 'confirm it is you first');
    };
    await registerTeamPages(pages, { team: f.team, audit: f.audit, stepUp });
  });
  await app.ready();
});
after(async () => {
  await app?.close();
  log?.cleanup();
  await f?.close();
});

const as = (userId: string, accountId: string) => ({ 'x-test-session': `${userId} ${accountId}`, accept: 'text/html' });
const get = (url: string, headers: Record<string, string> = {}) => app.inject({ method: 'GET', url, headers });
const post = (url: string, headers: Record<string, string>, fields: Record<string, string> = {}) => app.inject({
  method: 'POST', url, headers: { ...headers, 'content-type': 'application/x-www-form-urlencoded' },
  payload: new URLSearchParams({ _csrf: CSRF, ...fields }).toString(),
});

test('every team route declares a permission check (or a session, or is the public invitation page)', () => {
  const mine = routes.filter((r) => r.url.startsWith('/team') || r.url.startsWith('/invitations'));
  assert.ok(mine.length >= 12, `found ${mine.length}`);
  for (const r of mine.filter((x) => x.method !== 'HEAD')) {
    const guarded = r.guards.includes('permissionCheck') || r.guards.includes('requireSession');
    assert.ok(guarded || (r.method === 'GET' && r.url === '/invitations/accept'), `${r.method} ${r.url} has no check`);
    if (r.method === 'POST' && r.url.startsWith('/team')) assert.ok(r.guards.includes('stepUp'), `${r.url} needs step-up`);
  }
});

test('the team page: members and invitations for team.read; 403 and an audit entry without it', async () => {
  const { accountId, ownerId } = await f.account();
  const dev = await f.user({ accountId, roles: ['developer'] });
  const page = await get('/team', as(ownerId, accountId));
  assert.equal(page.statusCode, 200);
  assert.match(page.headers['content-security-policy'] as string, /script-src 'self'/);
  assert.ok(page.body.includes(dev.email) && page.body.includes('id="invite-form"'));
  const refused = await get('/team', as(dev.userId, accountId));
  assert.equal(refused.statusCode, 403);
  assert.match(refused.body, /Not allowed/);
  const [entry] = (await f.entries('dashboard.access.denied')).filter((e) => e.actor.id === dev.userId);
  assert.deepEqual([entry?.targets[0]?.id, entry?.metadata.permission, entry?.tenant], ['GET /team', 'team.read', accountId]);
  const iam = await f.user({ accountId, roles: ['iam_administrator'] });
  assert.equal((await get('/team', as(iam.userId, accountId))).statusCode, 200);
  const viewer = await f.user({ accountId, roles: ['view_only'] });
  assert.equal((await get('/team/roles', as(viewer.userId, accountId))).statusCode, 403);
  const anonymous = await get('/team', { accept: 'text/html' });
  assert.deepEqual([anonymous.statusCode, anonymous.headers.location], [303, '/sign-in?next=%2Fteam']);
});

test('invite through the form, then accept through the link', async () => {
  const { accountId, ownerId } = await f.account();
  stepUps.length = 0;
  const sent = await post('/team/invitations', as(ownerId, accountId), { email: 'Invitee@Example.com', 'role:analyst': 'on', 'role:developer': 'on' });
  assert.deepEqual([sent.statusCode, sent.headers.location], [303, '/team?notice=invited']);
  assert.deepEqual(stepUps, ['/team/invitations']);
  const listed = await get('/team?notice=invited', as(ownerId, accountId));
  assert.match(listed.body, /invitee@example\.com/);
  assert.match(listed.body, /Analyst, Developer/);
  assert.match(listed.body, /The invitation was sent/);
  const token = f.tokenFor('invitee@example.com');

  const anonymousView = await get(`/invitations/accept?token=${token}`, { accept: 'text/html' });
  assert.equal(anonymousView.statusCode, 200);
  assert.ok(anonymousView.body.includes(`href="/sign-in?next=${encodeURIComponent(`/invitations/accept?token=${token}`)}"`), 'sign in and come back');
  // Signed out (with a valid pre-session form token, so CSRF passes): sent to sign in, nothing joined.
  assert.equal((await post('/invitations/accept', { accept: 'text/html', cookie: `__Host-strongroom_csrf=${CSRF}` }, { token })).headers.location, '/sign-in');

  const stranger = await f.user({ email: 'someone.else@example.com' });
  const wrong = await get(`/invitations/accept?token=${token}`, as(stranger.userId, accountId));
  assert.match(wrong.body, /but this invitation is for invitee@example\.com/);
  assert.equal((await post('/invitations/accept', as(stranger.userId, accountId), { token })).statusCode, 403);

  const invitee = await f.user({ email: 'invitee@example.com' });
  const joined = await post('/invitations/accept', as(invitee.userId, 'acct_none'), { token });
  assert.equal(joined.statusCode, 200);
  assert.match(joined.body, /You are now a member of the account/);
  assert.deepEqual((await f.team.access.memberAccess(invitee.userId, accountId))?.roles, ['analyst', 'developer']);
  const used = await get(`/invitations/accept?token=${token}`, { accept: 'text/html' });
  assert.equal(used.statusCode, 404);
  assert.match(used.body, /not valid/);
  assert.equal((await get('/invitations/accept?token=<script>', { accept: 'text/html' })).statusCode, 404);
});

test('forms show fixable refusals; rule refusals are 403 pages; CSRF and step-up guard every change', async () => {
  const { accountId } = await f.account();
  const admin = await f.user({ accountId, roles: ['administrator'] });
  const bad = await post('/team/invitations', as(admin.userId, accountId), { email: 'not-an-email', 'role:analyst': 'on' });
  assert.equal(bad.statusCode, 400);
  assert.match(bad.body, /email is not a valid email address/);
  assert.match(bad.body, /value="not-an-email"/);
  assert.match(bad.body, /id="role-analyst" name="role:analyst" checked/);
  const none = await post('/team/invitations', as(admin.userId, accountId), { email: 'x@example.com' });
  assert.equal(none.statusCode, 400);
  const owner = await post('/team/invitations', as(admin.userId, accountId), { email: 'x@example.com', 'role:owner': 'on' });
  assert.equal(owner.statusCode, 403);
  assert.match(owner.body, /owners\.manage/);
  const forged = await app.inject({
    method: 'POST', url: '/team/invitations', headers: { ...as(admin.userId, accountId), 'content-type': 'application/x-www-form-urlencoded' },
    payload: 'email=x%40example.com&role%3Aanalyst=on&_csrf=' + newToken(),
  });
  assert.equal(forged.statusCode, 403);
  stepUpRefuses = true;
  try {
    assert.equal((await post('/team/invitations', as(admin.userId, accountId), { email: 'x@example.com', 'role:analyst': 'on' })).statusCode, 403);
  } finally {
    stepUpRefuses = false;
  }
  assert.deepEqual(await f.team.invitations.list(accountId), [], 'nothing was created');
});

test('member pages: change roles, refuse self-change, remove; another account\'s ids answer 404', async () => {
  const { accountId, ownerId } = await f.account();
  const member = await f.user({ accountId, roles: ['view_only'] });
  const other = await f.account();
  const page = await get(`/team/members/${member.userId}`, as(ownerId, accountId));
  assert.equal(page.statusCode, 200);
  assert.match(page.body, /id="roles-form"/);
  const changed = await post(`/team/members/${member.userId}/roles`, as(ownerId, accountId), { 'role:refund_analyst': 'on' });
  assert.deepEqual([changed.statusCode, changed.headers.location], [303, `/team/members/${member.userId}?notice=roles-changed`]);
  assert.deepEqual((await f.team.access.memberAccess(member.userId, accountId))?.roles, ['refund_analyst']);
  const self = await get(`/team/members/${ownerId}`, as(ownerId, accountId));
  assert.match(self.body, /Nobody can change their own roles/);
  assert.doesNotMatch(self.body, /id="roles-form"/);
  assert.equal((await post(`/team/members/${ownerId}/roles`, as(ownerId, accountId), { 'role:view_only': 'on' })).statusCode, 403);

  for (const url of [`/team/members/${other.ownerId}`, '/team/members/not-an-id']) assert.equal((await get(url, as(ownerId, accountId))).statusCode, 404, url);
  assert.equal((await post(`/team/members/${other.ownerId}/remove`, as(ownerId, accountId))).statusCode, 404);
  assert.equal((await post(`/team/members/${other.ownerId}/roles`, as(ownerId, accountId), { 'role:view_only': 'on' })).statusCode, 404);
  const { invitation } = await f.team.invitations.invite(f.actor(other.ownerId, other.accountId), { email: 'elsewhere@example.com', roles: ['view_only'] });
  assert.equal((await post(`/team/invitations/${invitation.id}/revoke`, as(ownerId, accountId))).statusCode, 404);
  assert.equal((await f.team.invitations.list(other.accountId))[0]?.state, 'open');

  const removed = await post(`/team/members/${member.userId}/remove`, as(ownerId, accountId));
  assert.deepEqual([removed.statusCode, removed.headers.location], [303, '/team?notice=removed']);
  assert.equal((await get('/team', as(member.userId, accountId))).statusCode, 403, 'the removed member is refused at the next request');
});

test('roles pages: predefined roles explained, custom roles created, changed and deleted; escaped output', async () => {
  const { accountId, ownerId } = await f.account();
  const page = await get('/team/roles', as(ownerId, accountId));
  assert.equal(page.statusCode, 200);
  assert.match(page.body, /IAM Administrator/);
  assert.match(page.body, /with no access to money or payment data/);
  const created = await post('/team/roles', as(ownerId, accountId), { name: '<b>Ops</b>', description: 'night shift', 'perm:logs.read': 'on', 'perm:webhooks.read': 'on' });
  assert.deepEqual([created.statusCode, created.headers.location], [303, '/team/roles?notice=created']);
  const [role] = await f.team.roles.list(accountId);
  assert.deepEqual(role?.permissions, ['account.read', 'logs.read', 'profile.manage', 'webhooks.read']);
  const listed = await get('/team/roles', as(ownerId, accountId));
  assert.ok(listed.body.includes('&lt;b&gt;Ops&lt;/b&gt;') && !listed.body.includes('<b>Ops</b>'), 'names are escaped');
  const dup = await post('/team/roles', as(ownerId, accountId), { name: '<b>Ops</b>', 'perm:logs.read': 'on' });
  assert.equal(dup.statusCode, 409);
  assert.match(dup.body, /already exists/);
  const updated = await post(`/team/roles/${role!.id}`, as(ownerId, accountId), { name: 'Ops', 'perm:logs.read': 'on' });
  assert.equal(updated.statusCode, 303);
  assert.deepEqual((await f.team.roles.list(accountId))[0]?.permissions, ['account.read', 'logs.read', 'profile.manage']);
  const other = await f.account();
  assert.equal((await get(`/team/roles/${role!.id}`, as(other.ownerId, other.accountId))).statusCode, 404);
  assert.equal((await post(`/team/roles/${role!.id}/delete`, as(other.ownerId, other.accountId))).statusCode, 404);
  const deleted = await post(`/team/roles/${role!.id}/delete`, as(ownerId, accountId));
  assert.deepEqual([deleted.statusCode, deleted.headers.location], [303, '/team/roles?notice=deleted']);
  const dev = await f.user({ accountId, roles: ['developer'] });
  assert.equal((await post('/team/roles', as(dev.userId, accountId), { name: 'Mine', 'perm:logs.read': 'on' })).statusCode, 403);
});
