// Joining from an invitation as a brand-new user, through the real pages (sessions, CSRF, mfa/'s
// afterPassword gate): the form on the invitation page, the user and membership created together
// and audited, exactly the invited roles, signed in (or sent to enrol MFA first), and every refusal
// creating nothing: used, expired, revoked, weak password, existing user, signed in, no CSRF token,
// throttled, the inviter demoted, and two submits racing.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { AuditEntry } from '#lib/audit/index.ts';
import { readLog } from '#lib/audit/testing.ts';
import { sql } from '#lib/db/index.ts';
import { SESSION_COOKIE } from '../sessions/cookie.ts';
import { PENDING_COOKIE } from '../mfa/pending-sign-in.ts';
import { liveSessions, PASSWORD, signIn, startMfaTestbed, totpCode, type MfaTestbed } from '../mfa/testing.ts';

const NEW_USER = '/invitations/accept/new-user';

describe('joining from an invitation as a new user', () => {
  let bed: MfaTestbed;
  let owner: { userId: string; accountId: string };
  let ipCounter = 0;
  before(async () => {
    bed = await startMfaTestbed();
    owner = await bed.createOwner('owner@shop.example');
  });
  after(async () => { await bed?.close(); });

  /** A fresh network address per browser, so one test's attempts never throttle another's. */
  const browser = () => bed.browser(`198.51.100.${++ipCounter}`);
  const page = (token: string) => `/invitations/accept?token=${token}`;

  async function invite(email: string, roles: string[], account = owner): Promise<string> {
    const actor = { userId: account.userId, accountId: account.accountId, origin: { ip: '203.0.113.9', requestId: 'req_test' } };
    await bed.services.team.invitations.invite(actor, { email, roles });
    return new URL(await bed.linkFrom(email.toLowerCase(), /invited/)).searchParams.get('token')!;
  }

  const usersWith = async (email: string) => bed.db.selectFrom('users').select(['id', 'email_verified', 'password_hash']).where('email', '=', email).execute();
  const invitationOf = (email: string) => bed.db.selectFrom('invitations').selectAll().where('email', '=', email).orderBy('created_at', 'desc').executeTakeFirstOrThrow();
  const entries = async (action: string) => {
    await bed.audit.chainNow();
    return (await readLog(bed.database.ownerDb)).map((r) => r.entry as unknown as AuditEntry).filter((e) => e.action === action);
  };

  test('the new user route is public (the token is the capability); accepting signed in needs a session', () => {
    const mine = bed.routes.filter((r) => r.url.startsWith('/invitations') && r.method !== 'HEAD')
      .map((r) => `${r.method} ${r.url} [${r.guards.join(',')}]`).sort();
    assert.deepEqual(mine, ['GET /invitations/accept []', `POST ${NEW_USER} []`, 'POST /invitations/accept [requireSession]'].sort());
  });

  test('signed out, the invitation page offers sign-in and the new-user form with the password rules', async () => {
    const token = await invite('form@example.com', ['analyst']);
    const shown = await browser().get(page(token));
    assert.equal(shown.status, 200);
    assert.ok(shown.body.includes(`<form method="post" action="${NEW_USER}" class="stack" id="new-user-form"`));
    assert.match(shown.body, /id="new-user-password" name="password" type="password" autocomplete="new-password" required minlength="12"/);
    assert.match(shown.body, /id="new-user-submit"/);
    assert.match(shown.body, /id="invitation-sign-in"/);
    assert.ok(shown.body.includes(`name="token" value="${token}"`));
  });

  test('a new user joins with exactly the invited roles, is signed in to the account, and it is audited', async () => {
    const token = await invite('Dev.One@Example.com', ['developer']);
    const visitor = browser();
    const joined = await visitor.submit(page(token), NEW_USER, { token, password: PASSWORD });
    assert.deepEqual([joined.status, joined.location], [303, '/']);
    assert.ok(visitor.cookies.has(SESSION_COOKIE), 'signed in');

    const [user, ...more] = await usersWith('dev.one@example.com');
    assert.equal(more.length, 0);
    assert.equal(user!.email_verified, true, 'the link reached that inbox');
    assert.match(user!.password_hash, /^\$argon2id\$/);
    const memberships = await bed.db.selectFrom('memberships').select(['account_id', 'roles']).where('user_id', '=', user!.id).execute();
    assert.deepEqual(memberships, [{ account_id: owner.accountId, roles: ['developer'] }]);
    const invitation = await invitationOf('dev.one@example.com');
    assert.equal(invitation.accepted_by, user!.id);
    const [session] = await liveSessions(bed, user!.id);
    assert.equal(session!.factor, 'password');
    const home = await visitor.get('/');
    assert.ok(home.body.includes(owner.accountId) && home.body.includes('developer'));

    const [signUp] = (await entries('user.sign_up')).filter((e) => e.actor.id === user!.id);
    assert.equal(signUp!.tenant, owner.accountId);
    assert.deepEqual(signUp!.metadata, { via: 'invitation', roles: ['developer'], email_verified: true });
    assert.deepEqual(signUp!.targets.map((t) => t.type), ['user', 'account', 'invitation']);
    const [accepted] = (await entries('team.invitation.accept')).filter((e) => e.actor.id === user!.id);
    assert.equal(accepted!.outcome.result, 'success');
    assert.deepEqual(accepted!.targets, [{ type: 'invitation', id: invitation.id }, { type: 'member', id: user!.id }]);

    // The roles are exactly the invited ones: a developer may not read or change the team.
    for (const url of ['/team', `/team/members/${owner.userId}`]) assert.equal((await visitor.get(url)).status, 403, url);
    await visitor.get('/');
    const change = await visitor.post(`/team/members/${owner.userId}/roles`, { _csrf: visitor.csrf, 'role:view_only': 'on' });
    assert.equal(change.status, 403);
    assert.deepEqual((await bed.services.team.access.memberAccess(owner.userId, owner.accountId))?.roles, ['owner']);

    // The password works for an ordinary sign-in too.
    const later = browser();
    assert.deepEqual([(await signIn(later, 'dev.one@example.com')).location], ['/']);
  });

  test('the link is single use: a second submit refuses and creates nothing', async () => {
    const token = await invite('twice@example.com', ['analyst']);
    const again = browser();
    await again.get(page(token)); // a second tab, opened before the first one submits
    assert.equal((await browser().submit(page(token), NEW_USER, { token, password: PASSWORD })).status, 303);
    const second = await again.post(NEW_USER, { _csrf: again.csrf, token, password: `${PASSWORD} again` });
    assert.equal(second.status, 404);
    assert.match(second.body, /This invitation is not valid/);
    assert.equal(again.cookies.has(SESSION_COOKIE), false);
    assert.equal((await usersWith('twice@example.com')).length, 1);
  });

  test('an expired or revoked invitation refuses and creates nothing', async () => {
    const expired = await invite('late@example.com', ['analyst']);
    await sql`UPDATE invitations SET created_at = now() - interval '73 hours', expires_at = now() - interval '1 hour' WHERE email = 'late@example.com'`.execute(bed.database.ownerDb);
    const visitor = browser();
    await visitor.get('/sign-in'); // a form token for the signed-out browser
    const tooLate = await visitor.post(NEW_USER, { _csrf: visitor.csrf, token: expired, password: PASSWORD });
    assert.equal(tooLate.status, 404);
    assert.equal((await usersWith('late@example.com')).length, 0);

    const revokedToken = await invite('revoked@example.com', ['analyst']);
    const { id } = await invitationOf('revoked@example.com');
    await bed.services.team.invitations.revoke({ userId: owner.userId, accountId: owner.accountId, origin: { ip: '203.0.113.9', requestId: 'req_test' } }, id);
    const revoked = await visitor.post(NEW_USER, { _csrf: visitor.csrf, token: revokedToken, password: PASSWORD });
    assert.equal(revoked.status, 404);
    assert.equal((await usersWith('revoked@example.com')).length, 0);
    assert.equal((await visitor.post(NEW_USER, { _csrf: visitor.csrf, token: 'not-a-token', password: PASSWORD })).status, 404);
  });

  test('the password policy applies, with the address as a known word; the form shows why', async () => {
    const token = await invite('weak@example.com', ['analyst']);
    const visitor = browser();
    const short = await visitor.submit(page(token), NEW_USER, { token, password: 'short1' });
    assert.equal(short.status, 400);
    assert.match(short.body, /Use at least 12 characters/);
    assert.match(short.body, /id="new-user-form"/, 'the form again, to fix it');
    const guessable = await visitor.post(NEW_USER, { _csrf: visitor.csrf, token, password: 'weak@example.com1' });
    assert.equal(guessable.status, 400);
    assert.match(guessable.body, /too easy to guess/);
    assert.equal((await usersWith('weak@example.com')).length, 0);
    assert.equal((await invitationOf('weak@example.com')).accepted_at, null, 'still open');
  });

  test('an address that already has a user is told to sign in instead; nothing is created', async () => {
    await bed.createOwner('exists@example.com');
    const token = await invite('exists@example.com', ['analyst']);
    const answer = await browser().submit(page(token), NEW_USER, { token, password: PASSWORD });
    assert.equal(answer.status, 409);
    assert.match(answer.body, /already has a Strongroom account\. Sign in with it/);
    assert.equal((await usersWith('exists@example.com')).length, 1);
    assert.equal((await invitationOf('exists@example.com')).accepted_at, null);
    const [refused] = (await entries('user.sign_up')).filter((e) => e.outcome.reason === 'user_exists');
    assert.equal(refused!.tenant, owner.accountId);
  });

  test('signed in, or without the form token, nothing is created', async () => {
    const token = await invite('careful@example.com', ['analyst']);
    const member = browser();
    await signIn(member, 'owner@shop.example');
    const signedIn = await member.submit(page(token), NEW_USER, { token, password: PASSWORD });
    assert.equal(signedIn.status, 409);
    assert.match(signedIn.body, /sign out first/);
    const forged = await browser().post(NEW_USER, { token, password: PASSWORD });
    assert.equal(forged.status, 403, 'no CSRF token');
    const otherToken = browser();
    await otherToken.get(page(token));
    assert.equal((await otherToken.post(NEW_USER, { _csrf: 'x'.repeat(43), token, password: PASSWORD })).status, 403);
    assert.equal((await usersWith('careful@example.com')).length, 0);
  });

  test('an inviter who lost the permissions it grants: refused, and the new user is rolled back', async () => {
    const admin = await bed.db.transaction().execute(async (tx) => {
      const id = 'user_inviter0000000000001';
      await tx.insertInto('users').values({ id, email: 'inviter@shop.example', password_hash: 'x', email_verified: true }).execute();
      await tx.insertInto('memberships').values({ user_id: id, account_id: owner.accountId, roles: ['administrator'] }).execute();
      return id;
    });
    const token = await invite('orphan@example.com', ['developer'], { userId: admin, accountId: owner.accountId });
    await bed.db.updateTable('memberships').set({ roles: ['view_only'] }).where('user_id', '=', admin).execute();
    const answer = await browser().submit(page(token), NEW_USER, { token, password: PASSWORD });
    assert.equal(answer.status, 409);
    assert.match(answer.body, /this invitation is not valid/);
    assert.equal((await usersWith('orphan@example.com')).length, 0, 'the user insert was rolled back with the refusal');
  });

  test('two submits racing create one user and one membership', async () => {
    const token = await invite('race@example.com', ['analyst']);
    const [a, b] = [browser(), browser()];
    await a.get(page(token));
    await b.get(page(token));
    const answers = await Promise.all([a, b].map((x) => x.post(NEW_USER, { _csrf: x.csrf, token, password: PASSWORD })));
    const statuses = answers.map((r) => r.status).sort();
    assert.equal(statuses[0], 303, JSON.stringify(statuses));
    assert.ok([404, 409].includes(statuses[1]!), `the loser is refused: ${statuses[1]}`);
    const users = await usersWith('race@example.com');
    assert.equal(users.length, 1);
    const memberships = await bed.db.selectFrom('memberships').select('roles').where('user_id', '=', users[0]!.id).execute();
    assert.deepEqual(memberships, [{ roles: ['analyst'] }]);
  });

  test('throttled per invitation (any network) and per network (any token): 429 with Retry-After', async () => {
    const token = await invite('slow@example.com', ['analyst']);
    const visitor = browser();
    await visitor.get(page(token));
    let answer = await visitor.post(NEW_USER, { _csrf: visitor.csrf, token, password: 'short1' });
    for (let i = 0; i < 10 && answer.status === 400; i++) answer = await visitor.post(NEW_USER, { _csrf: visitor.csrf, token, password: 'short1' });
    assert.equal(answer.status, 429);
    assert.ok(Number(answer.headers['retry-after']) >= 1);
    const elsewhere = browser();
    await elsewhere.get(page(token));
    assert.equal((await elsewhere.post(NEW_USER, { _csrf: elsewhere.csrf, token, password: PASSWORD })).status, 429, 'per invitation, whatever the network');
    assert.equal((await usersWith('slow@example.com')).length, 0);
    const [throttled] = (await entries('user.sign_up')).filter((e) => e.outcome.reason === 'throttled');
    assert.equal(throttled!.tenant, owner.accountId);

    const prober = browser();
    await prober.get('/sign-in');
    let probe = await prober.post(NEW_USER, { _csrf: prober.csrf, token: 'A'.repeat(43), password: PASSWORD });
    for (let i = 0; i < 30 && probe.status === 404; i++) probe = await prober.post(NEW_USER, { _csrf: prober.csrf, token: 'A'.repeat(43), password: PASSWORD });
    assert.equal(probe.status, 429, 'per network, whatever the token');
  });
});

describe('joining from an invitation into an account that requires MFA', () => {
  let bed: MfaTestbed;
  before(async () => { bed = await startMfaTestbed(); });
  after(async () => { await bed?.close(); });

  test('the new user is member at once but gets no session until a second factor is enrolled', async () => {
    const owner = await bed.createOwner('strict@shop.example');
    await bed.db.insertInto('account_settings').values({ account_id: owner.accountId, require_mfa: true, updated_by: owner.userId, updated_at: new Date() }).execute();
    await bed.services.team.invitations.invite({ userId: owner.userId, accountId: owner.accountId, origin: { ip: '203.0.113.9', requestId: 'req_t' } }, { email: 'new@shop.example', roles: ['analyst'] });
    const token = new URL(await bed.linkFrom('new@shop.example', /invited/)).searchParams.get('token')!;
    const visitor = bed.browser();
    const answer = await visitor.submit(`/invitations/accept?token=${token}`, NEW_USER, { token, password: PASSWORD });
    assert.deepEqual([answer.status, answer.location], [303, '/sign-in/enrol']);
    assert.equal(visitor.cookies.has(SESSION_COOKIE), false, 'no session before the factor');
    assert.ok(visitor.cookies.has(PENDING_COOKIE));
    const user = await bed.db.selectFrom('users').select('id').where('email', '=', 'new@shop.example').executeTakeFirstOrThrow();
    assert.equal((await liveSessions(bed, user.id)).length, 0);

    const enrol = await visitor.get('/sign-in/enrol');
    assert.match(enrol.body, /requires two-step verification for every member/);
    const shown = await visitor.post('/sign-in/enrol/totp', { _csrf: visitor.csrf });
    const key = shown.body.match(/id="totp-secret">([A-Z2-7]+)</)![1]!;
    const done = await visitor.post('/sign-in/enrol/totp/confirm', { _csrf: visitor.csrf, code: totpCode(key, bed.now()) });
    assert.equal(done.location, '/security?notice=enrolled');
    const [session] = await liveSessions(bed, user.id);
    assert.equal(session!.factor, 'totp');
    const row = await bed.db.selectFrom('sessions').select('account_id').where('id', '=', session!.id).executeTakeFirstOrThrow();
    assert.equal(row.account_id, owner.accountId);
  });
});
