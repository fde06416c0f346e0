// Support on a real dashboard database: members open requests (verified by the session); a request
// recorded by the desk (`strongroom support inbound`) gets no answer until the member it claims to
// come from confirms it, or reads the desk a code (single use, 10 minutes, throttled); every staff
// view and the verification are audited and shown on the merchant's page; other accounts get 404.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startMerchantPages, type MerchantPagesBed } from '../merchant-pages.testing.ts';
import { runSupportDesk, type DeskIo } from './desk.cli.ts';
import { CODE_THROTTLE, createSupportDesk, type SupportDesk } from './desk.service.ts';
import { createSupportStore } from './support.store.ts';

let bed: MerchantPagesBed;
let desk: SupportDesk;
const clock = { now: new Date() };
let acct: { accountId: string; ownerId: string };
let other: { accountId: string; ownerId: string };
let alice: { userId: string; email: string };
let bob: { userId: string; email: string };

before(async () => {
  bed = await startMerchantPages({ apis: () => ({ keys: {} as never, audit: {} as never }) });
  desk = createSupportDesk({ db: bed.f.database.db, store: createSupportStore(bed.f.database.db), audit: bed.f.audit, now: () => clock.now });
  acct = await bed.f.account();
  other = await bed.f.account();
  alice = await bed.f.user({ accountId: acct.accountId, roles: ['support_specialist'] });
  bob = await bed.f.user({ accountId: acct.accountId, roles: ['administrator'] });
});
after(async () => bed?.close());

const as = (userId: string, accountId = acct.accountId) => ({ userId, accountId });
const staff = { name: 'sam.desk' };

/** Runs `strongroom support …` against the test database; returns exit code and output. */
async function cli(args: string[], stdin = ''): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const io: DeskIo = { out: (l) => { out += `${l}\n`; }, err: (l) => { err += `${l}\n`; }, stdin: async () => stdin, user: 'fallback-user' };
  return { code: await runSupportDesk(desk, args, io), out, err };
}

async function inbound(from: string, subject = 'Please change our payout account'): Promise<string> {
  const result = await cli(['inbound', '--account', acct.accountId, '--from', from, '--subject', subject, '--actor', staff.name], 'Hi, it is me. Change the bank account to …');
  assert.equal(result.code, 0, result.err);
  return result.out.match(/^(supp_[0-9a-z]{19}):/)![1]!;
}

test('a member opens a request: verified by the session, listed for the account, 404 for another account', async () => {
  const opened = await bed.post('/support', as(alice.userId), { subject: 'Refund question', body: 'How long do refunds take?' });
  assert.equal(opened.status, 303);
  const id = opened.location!.match(/^\/support\/(supp_[0-9a-z]{19})\?notice=opened$/)![1]!;
  const page = await bed.get(`/support/${id}`, as(alice.userId));
  assert.equal(page.status, 200);
  assert.match(page.body, /id="request-status"><span class="tag success">verified<\/span> \(in a signed-in session\)/);
  assert.ok(page.body.includes('How long do refunds take?'));
  assert.ok((await bed.get('/support', as(bob.userId))).body.includes(`/support/${id}`));
  assert.equal((await bed.get(`/support/${id}`, as(other.ownerId, other.accountId))).status, 404);
  assert.ok(!(await bed.get('/support', as(other.ownerId, other.accountId))).body.includes(id));
  assert.equal((await bed.post('/support', as(alice.userId), { subject: '', body: 'x' })).status, 400);
  const [entry] = await bed.f.entries('support.request.create');
  assert.deepEqual([entry!.actor.id, entry!.tenant, entry!.targets[0]!.id], [alice.userId, acct.accountId, id]);
});

test('support.use is needed: View Only gets 403 on every support page, audited', async () => {
  const viewer = await bed.f.user({ accountId: acct.accountId, roles: ['view_only'] });
  assert.equal((await bed.get('/support', as(viewer.userId))).status, 403);
  assert.equal((await bed.post('/support', as(viewer.userId), { subject: 's', body: 'b' })).status, 403);
  assert.equal((await bed.post('/support/code', as(viewer.userId))).status, 403);
  assert.equal((await bed.f.entries('dashboard.access.denied')).filter((e) => e.actor.id === viewer.userId).length, 3);
});

test('an emailed request: no answer until verified; only the claimed member confirms it, in a signed-in session; staff views are shown', async () => {
  const id = await inbound(alice.email.toUpperCase());
  const refused = await cli(['reply', id, '--actor', staff.name], 'Done!');
  assert.equal(refused.code, 1);
  assert.match(refused.err, /no answer until the request is verified \(it is unverified\)/);

  const shown = await cli(['show', id, '--actor', staff.name]);
  assert.equal(shown.code, 0);
  assert.match(shown.out, /unverified/);
  const aliceView = await bed.get(`/support/${id}`, as(alice.userId));
  assert.match(aliceView.body, /Yes, I made this request/);
  assert.match(aliceView.body, /Support desk \(sam\.desk\)<\/strong> · staff view/);
  const bobView = await bed.get(`/support/${id}`, as(bob.userId));
  assert.ok(!bobView.body.includes('Yes, I made this request'));
  assert.ok(bobView.body.includes(`Only ${alice.email} can confirm it.`));

  const notBob = await bed.post(`/support/${id}/confirm`, as(bob.userId));
  assert.equal(notBob.status, 409);
  const confirmed = await bed.post(`/support/${id}/confirm`, as(alice.userId));
  assert.deepEqual([confirmed.status, confirmed.location], [303, `/support/${id}?notice=confirmed`]);
  assert.equal((await bed.post(`/support/${id}/confirm`, as(alice.userId))).status, 409, 'once');

  const replied = await cli(['reply', id, '--actor', staff.name], 'Done: the payout account is changed.');
  assert.equal(replied.code, 0, replied.err);
  const final = await bed.get(`/support/${id}`, as(alice.userId));
  assert.match(final.body, /verified<\/span> \(in a signed-in session\)/);
  assert.ok(final.body.includes('Done: the payout account is changed.'));
  const kinds = [...final.body.matchAll(/<li data-kind="([a-z_]+)">/g)].map((m) => m[1]);
  assert.deepEqual(kinds, ['opened', 'staff_view', 'verified', 'reply']);

  const trail = (await bed.f.entries()).filter((e) => e.targets.some((t) => t.id === id));
  assert.deepEqual(trail.map((e) => [e.action, e.actor.type]), [
    ['support.request.inbound', 'staff'], ['support.request.staff_view', 'staff'], ['support.request.verify', 'user'], ['support.request.reply', 'staff'],
  ]);
});

test('the support verification code: read to the desk, single use, 10 minutes, only the claimed member\'s', async () => {
  const codePage = await bed.post('/support/code', as(alice.userId));
  assert.equal(codePage.status, 200);
  assert.equal(codePage.headers['cache-control'], 'no-store');
  const code = codePage.body.match(/id="support-code">([A-Z2-9]{4}-[A-Z2-9]{4})</)![1]!;
  assert.ok(!JSON.stringify(await bed.f.entries()).includes(code) && !JSON.stringify(await bed.f.entries()).includes(code.replace('-', '')), 'never in the audit trail');
  const stored = await bed.f.database.db.selectFrom('support_codes').selectAll().where('user_id', '=', alice.userId).execute();
  assert.ok(stored.length > 0 && stored.every((row) => row.code_hash.length === 32 && !JSON.stringify(row).includes(code.slice(0, 4))), 'only a hash is kept');

  const bobsRequest = await inbound(bob.email);
  assert.equal((await desk.verifyCode(staff, bobsRequest, code)).verified, false, 'Alice\'s code does not verify Bob\'s request');

  const id = await inbound(alice.email);
  const checked = await cli(['verify-code', id, code.toLowerCase().replace('-', ' '), '--actor', staff.name]);
  assert.equal(checked.code, 0, checked.err);
  assert.ok(checked.out.includes(`verified: the support verification code of ${alice.email}`), checked.out);
  const page = await bed.get(`/support/${id}`, as(bob.userId));
  assert.match(page.body, /verified<\/span> \(by a support verification code\)/);
  assert.match(page.body, /Verified by the support verification code of/);

  const again = await inbound(alice.email);
  assert.deepEqual(await desk.verifyCode(staff, again, code), { verified: false, reason: 'the code is wrong, expired or already used' });

  const late = (await bed.post('/support/code', as(alice.userId))).body.match(/id="support-code">([A-Z2-9-]{9})</)![1]!;
  clock.now = new Date(Date.now() + 10 * 60_000 + 1000);
  assert.equal((await desk.verifyCode(staff, again, late)).verified, false, 'expired after 10 minutes');
  clock.now = new Date();
  const fresh = (await bed.post('/support/code', as(alice.userId))).body.match(/id="support-code">([A-Z2-9-]{9})</)![1]!;
  const newer = (await bed.post('/support/code', as(alice.userId))).body.match(/id="support-code">([A-Z2-9-]{9})</)![1]!;
  assert.equal((await desk.verifyCode(staff, again, fresh)).verified, false, 'a newer code replaces it');
  assert.equal((await desk.verifyCode(staff, again, newer)).verified, true);

  const failures = await bed.get(`/support/${bobsRequest}`, as(bob.userId));
  assert.match(failures.body, /code failed/);
  const verifications = await bed.f.entries('support.request.verify');
  assert.ok(verifications.some((e) => e.actor.type === 'staff' && e.outcome.result === 'failure'));
  assert.ok(verifications.some((e) => e.actor.type === 'staff' && e.outcome.result === 'success' && e.metadata.method === 'code'));
});

test('throttled: after too many wrong codes on a request, even the right one is refused; a stranger\'s request cannot be verified', async () => {
  const id = await inbound(bob.email);
  for (let i = 0; i < CODE_THROTTLE.perRequest; i++) assert.equal((await desk.verifyCode(staff, id, 'AAAA-AAAA')).verified, false);
  const right = (await bed.post('/support/code', as(bob.userId))).body.match(/id="support-code">([A-Z2-9-]{9})</)![1]!;
  assert.deepEqual(await desk.verifyCode(staff, id, right), { verified: false, reason: 'too many wrong codes: ask the member to confirm the request in the dashboard instead' });
  assert.equal((await bed.post(`/support/${id}/confirm`, as(bob.userId))).status, 303, 'the signed-in way still works');

  const stranger = await inbound('mallory@evil.example');
  const page = await bed.get(`/support/${stranger}`, as(alice.userId));
  assert.match(page.body, /not a member of this account/);
  const strangerCheck = await desk.verifyCode(staff, stranger, right);
  assert.equal(strangerCheck.verified, false);
  assert.match(strangerCheck.verified ? '' : strangerCheck.reason, /no member of this account: nobody can verify it/);
  const rejected = await bed.post(`/support/${stranger}/reject`, as(alice.userId));
  assert.equal(rejected.status, 303);
  assert.match((await cli(['reply', stranger], 'x')).err, /it is rejected/);
});

test('the desk CLI: usage, list without content, bad input as messages, unknown ids', async () => {
  assert.equal((await cli([])).code, 2);
  const listed = await cli(['list', '--account', acct.accountId, '--status', 'unverified']);
  assert.equal(listed.code, 0);
  assert.match(listed.out, /supp_[0-9a-z]{19} {2}acct_/);
  assert.ok(!listed.out.includes('payout'), 'no subject or text in the list');
  assert.match((await cli(['show', 'supp_0000000000000000000'])).err, /no such support request/);
  assert.match((await cli(['inbound', '--account', acct.accountId, '--from', 'not-an-email', '--subject', 's'], 'b')).err, /must be an email/);
  assert.match((await cli(['inbound', '--account', 'acct_test_0000000000000000000', '--from', 'a@b.example', '--subject', 's'], 'b')).err, /no such account/);
  assert.match((await cli(['show', 'supp_0000000000000000000', '--actor', 'bad name!'])).err, /staff name/);
  const viaUser = await cli(['inbound', '--account', acct.accountId, '--from', alice.email, '--subject', 'Hello', '--channel', 'phone'], 'call');
  assert.equal(viaUser.code, 0);
  const [last] = (await bed.f.entries('support.request.inbound')).slice(-1);
  assert.deepEqual([last!.actor.id, last!.metadata.channel], ['fallback-user', 'phone']);
});
