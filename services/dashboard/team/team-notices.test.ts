// Team-change emails against a real database: a member joined (invitation accepted), roles changed,
// a member removed — each to the member concerned and to every administrator of the account (every
// holder of team.manage: Owner, Administrator, IAM Administrator, a custom role with it), once each,
// only after the change committed (a refused change mails nobody). The account's "require MFA"
// setting and new API keys use the same administrators.
import { after, before, beforeEach, test } from 'node:test';
import assert from 'node:assert/strict';
import { isHttpError } from '#lib/http/index.ts';
import { createAccountSettingsService } from '../account/account-settings.service.ts';
import type { MailMessage } from '../mail/mailer.ts';
import { administratorEmails } from './administrators.ts';
import { createTeamFixture, type TeamFixture } from './testing.ts';

let f: TeamFixture;
before(async () => { f = await createTeamFixture(); });
after(async () => f?.close());
beforeEach(() => { f.notices.length = 0; });

/** An account with an Owner, an Administrator, an IAM Administrator, a custom team manager and a Developer. */
async function team() {
  const { accountId, ownerId } = await f.account();
  const owner = (await f.database.db.selectFrom('users').select('email').where('id', '=', ownerId).executeTakeFirstOrThrow()).email;
  const admin = await f.user({ accountId, roles: ['administrator'] });
  const iam = await f.user({ accountId, roles: ['iam_administrator'] });
  const role = await f.team.roles.create(f.actor(ownerId, accountId), { name: 'People lead', permissions: ['team.read', 'team.manage'] });
  const lead = await f.user({ accountId, roles: [role.id] });
  const dev = await f.user({ accountId, roles: ['developer'] });
  f.notices.length = 0;
  return { accountId, ownerId, owner, admin, iam, lead, dev, administrators: [owner, admin.email, iam.email, lead.email].sort() };
}

const to = (kind: string) => f.notices.filter((m) => m.kind === kind).map((m) => m.to).sort();
const only = (kind: string, address: string): MailMessage => {
  const found = f.notices.filter((m) => m.kind === kind && m.to === address);
  assert.equal(found.length, 1, `${kind} to ${address}`);
  return found[0]!;
};

test('the administrators are exactly the holders of team.manage', async () => {
  const t = await team();
  assert.deepEqual(await administratorEmails(f.database.db, t.accountId), t.administrators);
  assert.ok(!(await administratorEmails(f.database.db, t.accountId)).includes(t.dev.email));
});

test('an accepted invitation: the new member and every administrator are told, after the commit', async () => {
  const t = await team();
  await f.team.invitations.invite(f.actor(t.admin.userId, t.accountId), { email: 'joiner@example.com', roles: ['analyst', 'developer'] });
  const joiner = await f.user({ email: 'joiner@example.com' });
  const token = f.tokenFor('joiner@example.com');
  assert.equal(f.notices.length, 0, 'an invitation alone mails no notice');
  await f.team.acceptance.accept({ userId: joiner.userId, origin: { ip: '127.0.0.2', requestId: 'req_join' } }, token);
  assert.deepEqual(to('team_joined_member'), ['joiner@example.com']);
  assert.deepEqual(to('team_joined_administrator'), t.administrators);
  const notice = only('team_joined_administrator', t.owner);
  assert.match(notice.subject, /a new member joined/);
  assert.ok(notice.text.includes(`joiner@example.com joined the Strongroom account ${t.accountId}`));
  assert.ok(notice.text.includes(`invited by ${t.admin.email}`) && notice.text.includes('Roles: Analyst, Developer'));
  assert.ok(!notice.text.includes(token), 'never the invitation token');
  assert.match(only('team_joined_member', 'joiner@example.com').text, /Your roles: Analyst, Developer/);

  f.notices.length = 0;
  await assert.rejects(f.team.acceptance.accept({ userId: joiner.userId, origin: { ip: '127.0.0.2', requestId: 'req_join' } }, token), isHttpError);
  assert.equal(f.notices.length, 0, 'a refused acceptance mails nobody');
});

test('a role change: the member and the administrators; a refused or empty change mails nobody', async () => {
  const t = await team();
  await assert.rejects(f.team.members.changeRoles(f.actor(t.iam.userId, t.accountId), t.dev.userId, ['developer', 'analyst']), isHttpError,
    'an IAM Administrator cannot touch a member holding payment permissions it lacks');
  assert.deepEqual(to('team_roles_changed_member'), []);
  await f.team.members.changeRoles(f.actor(t.ownerId, t.accountId), t.dev.userId, ['developer', 'analyst']);
  assert.deepEqual(to('team_roles_changed_member'), [t.dev.email]);
  assert.deepEqual(to('team_roles_changed_administrator'), t.administrators);
  const notice = only('team_roles_changed_member', t.dev.email);
  assert.ok(notice.text.includes(`${t.owner} changed your roles`) && notice.text.includes('Before: Developer\nNow: Analyst, Developer'));

  f.notices.length = 0;
  await f.team.members.changeRoles(f.actor(t.ownerId, t.accountId), t.dev.userId, ['analyst', 'developer']);
  assert.equal(f.notices.length, 0, 'the same roles again: nothing changed, nothing mailed');
});

test('an administrator whose roles change gets the member\'s email, not both', async () => {
  const t = await team();
  await f.team.members.changeRoles(f.actor(t.ownerId, t.accountId), t.admin.userId, ['view_only']);
  assert.deepEqual(to('team_roles_changed_member'), [t.admin.email]);
  assert.deepEqual(to('team_roles_changed_administrator'), t.administrators.filter((e) => e !== t.admin.email));
});

test('a removal: the removed member and the remaining administrators', async () => {
  const t = await team();
  await f.team.members.remove(f.actor(t.ownerId, t.accountId), t.lead.userId);
  assert.deepEqual(to('team_removed_member'), [t.lead.email]);
  assert.deepEqual(to('team_removed_administrator'), t.administrators.filter((e) => e !== t.lead.email));
  assert.ok(only('team_removed_member', t.lead.email).text.includes('(your roles were: People lead)'));
  f.notices.length = 0;
  await assert.rejects(f.team.members.remove(f.actor(t.dev.userId, t.accountId), t.iam.userId), isHttpError);
  assert.equal(f.notices.length, 0, 'a refused removal mails nobody');
});

test('"require MFA for every member" changed: every administrator, once; not changed: nobody', async () => {
  const t = await team();
  const sent: MailMessage[] = [];
  const settings = createAccountSettingsService({ db: f.database.db, audit: f.audit, mail: { sendLater: (m) => void sent.push(m) }, origin: 'https://dashboard.test' });
  const context = { actor: { type: 'user' as const, id: t.ownerId }, origin: { ip: '127.0.0.1' } };
  await settings.setRequireMfa({ userId: t.ownerId, accountId: t.accountId, email: t.owner }, true, context);
  assert.deepEqual(sent.map((m) => m.to).sort(), t.administrators);
  assert.ok(sent.every((m) => /now requires two-step verification/.test(m.subject) && m.text.includes(t.owner)));
  sent.length = 0;
  await settings.setRequireMfa({ userId: t.ownerId, accountId: t.accountId, email: t.owner }, true, context);
  assert.equal(sent.length, 0);
});
