// The whole dashboard, as server.ts assembles it (every page, MFA, profile, accounts, team, audit
// log, keys, support, payments): every route either checks a permission, or is one of the few listed
// below with the reason it needs none. Then every predefined role × every permission-checked route,
// through real sessions (password sign-in, cookies, CSRF tokens): allowed where the role holds the
// permission (anything but 403, no denial entry), else 403 and exactly one
// `dashboard.access.denied` entry naming that permission.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { httpError } from '#lib/http/index.ts';
import type { MerchantApis } from './merchant-pages.ts';
import { signIn, startMfaTestbed, type MfaTestbed } from './mfa/testing.ts';
import type { TestBrowser } from './dashboard.testing.ts';
import { hashPassword } from './users/passwords.ts';
import { PASSWORD } from './mfa/testing.ts';
import { PREDEFINED_ROLES } from './team/roles.ts';
import { sql } from '#lib/db/index.ts';

/** Routes with no permission check, and why none is needed. Must match the app exactly. */
const UNGUARDED: Record<string, string> = {
  'GET /': 'signed out: a page linking to sign-in; signed in: the overview (account.read is baseline)',
  'GET /sign-in': 'the way in', 'POST /sign-in': 'the way in',
  'POST /sign-out': 'ends the caller\'s own session (CSRF-checked)',
  'GET /sign-up': 'creating an account', 'POST /sign-up': 'creating an account',
  'GET /verify-email': 'the emailed link is the capability', 'POST /verify-email': 'the emailed link and the password',
  'GET /password-reset': 'forgotten password', 'POST /password-reset': 'forgotten password',
  'GET /password-reset/choose': 'the emailed link is the capability', 'POST /password-reset/choose': 'the emailed link is the capability',
  'GET /dev/outbox': 'development only: absent in production and with SMTP',
  'GET /invitations/accept': 'the emailed token is the capability (shows, changes nothing)',
  'POST /invitations/accept': 'a signed-in user whose verified email is the invited one (requireSession)',
  'POST /invitations/accept/new-user': 'the emailed token is the capability; the invited address has no user yet',
  'GET /accounts': 'the user\'s own memberships, whatever their roles in the current account (requireSession)',
  'POST /accounts/switch': 'only to an account the user is a member of; anything else 404, audited (requireSession)',
  'GET /activity/sessions': 'the user\'s own sessions only (requireSession; every member may see and end them)',
  'POST /activity/sessions/:id/revoke': 'own sessions only; another user\'s id is a 404 (requireSession)',
  'POST /activity/sessions/revoke-others': 'own sessions only (requireSession)',
  'GET /activity/login-history': 'the user\'s own sign-ins only (requireSession)',
  'GET /step-up': 'the signed-in user proving themselves again (requireSession)',
  'POST /step-up/password': 'step-up', 'POST /step-up/totp': 'step-up', 'POST /step-up/recovery-code': 'step-up',
  'POST /step-up/webauthn/options': 'step-up', 'POST /step-up/webauthn': 'step-up',
  'GET /sign-in/second-factor': 'a pending sign-in (password right, second factor due)',
  'POST /sign-in/second-factor/totp': 'pending sign-in', 'POST /sign-in/second-factor/recovery-code': 'pending sign-in',
  'POST /sign-in/second-factor/webauthn/options': 'pending sign-in', 'POST /sign-in/second-factor/webauthn': 'pending sign-in',
  'GET /sign-in/enrol': 'a pending sign-in that must enrol a factor first', 'POST /sign-in/enrol/totp': 'pending sign-in',
  'POST /sign-in/enrol/totp/confirm': 'pending sign-in', 'POST /sign-in/enrol/webauthn/options': 'pending sign-in',
  'POST /sign-in/enrol/webauthn': 'pending sign-in',
  'GET /sign-in/passkey': 'usernameless sign-in', 'POST /sign-in/passkey/options': 'usernameless sign-in', 'POST /sign-in/passkey': 'usernameless sign-in',
};

const notFound = async (): Promise<never> => { throw httpError(404, 'not_found', 'There is no such thing in this account.'); };
const emptyPage = async () => ({ data: [], total: 0, limit: 20, offset: 0 });
const stubApis: MerchantApis = {
  audit: { list: async () => ({ entries: [], nextBefore: null }), integrity: async () => ({ checked_at: '', chain: { ok: true, count: 0, head_seq: null, head_hash: null }, checkpoints: { checked: false, reason: 'test' } }) },
  keys: { list: async () => [], create: notFound, roll: notFound, setAllowlist: notFound, revoke: notFound },
  payments: { listCharges: emptyPage, charge: notFound, refunds: emptyPage, refund: notFound, listCustomers: emptyPage, customer: notFound },
};

/** A concrete url for a route pattern (ids of the right shape that exist nowhere). */
function concrete(url: string): string {
  return url.replace(/:(\w+)/g, (_, name: string) => ({ id: 'x0000000000000000000', chargeId: 'chrg_test_0000000000000000000' } as Record<string, string>)[name] ?? 'x0000000000000000000');
}

let bed: MfaTestbed;
let accountId: string;
const browsers = new Map<string, TestBrowser>(); // role key → a signed-in browser
let routes: MfaTestbed['routes'];

before(async () => {
  bed = await startMfaTestbed({ merchantApis: stubApis });
  routes = bed.routes.filter((r) => r.method !== 'HEAD' && r.url !== '/*' && !r.url.startsWith('/assets/'));
  const owner = await bed.createOwner('owner@matrix.example');
  accountId = owner.accountId;
  const hash = await hashPassword(PASSWORD);
  for (const role of PREDEFINED_ROLES) {
    const email = `${role.key.replace(/_/g, '-')}@matrix.example`;
    if (role.key !== 'owner') {
      const userId = `user_${role.key.replace(/_/g, '').padEnd(19, '0').slice(0, 19)}`;
      await bed.db.insertInto('users').values({ id: userId, email, password_hash: hash, email_verified: true }).execute();
      await bed.db.insertInto('memberships').values({ user_id: userId, account_id: accountId, roles: [role.key] }).execute();
    }
    const browser = bed.browser(`198.51.100.${browsers.size + 10}`);
    const answer = await signIn(browser, role.key === 'owner' ? 'owner@matrix.example' : email);
    assert.equal(answer.status, 303, `${role.key} signs in`);
    await browser.get('/profile'); // a page with a form: its CSRF token
    assert.ok(browser.csrf, `${role.key} has a form token`);
    browsers.set(role.key, browser);
  }
});
after(async () => bed?.close());

test('every route checks a permission first, or is listed with the reason it needs none', () => {
  const unguarded = routes.filter((r) => r.permission === undefined).map((r) => `${r.method} ${r.url}`).sort();
  assert.deepEqual(unguarded, Object.keys(UNGUARDED).sort());
  for (const r of routes.filter((route) => route.permission !== undefined)) {
    assert.equal(r.guards[0], 'permissionCheck', `${r.method} ${r.url}: the permission is checked before anything else`);
  }
  assert.ok(routes.length - unguarded.length >= 45, `${routes.length - unguarded.length} permission-checked routes`);
});

test('every role × every permission-checked route: past the check where the role holds the permission, else 403 and one audit entry', async () => {
  const denials = async () => {
    await bed.audit.chainNow();
    const { rows } = await sql<{ n: number }>`SELECT count(*)::int AS n FROM audit_log WHERE entry->>'action' = 'dashboard.access.denied'`.execute(bed.database.ownerDb);
    return rows[0]!.n;
  };
  let checked = 0;
  for (const role of PREDEFINED_ROLES) {
    const browser = browsers.get(role.key)!;
    for (const route of routes.filter((r) => r.permission !== undefined)) {
      const url = concrete(route.url);
      const before = await denials();
      const answer = route.method === 'GET' ? await browser.get(url) : await browser.post(url, { _csrf: browser.csrf });
      const denied = (await denials()) - before;
      const where = `${role.key} ${route.method} ${route.url} → ${answer.status}`;
      assert.notEqual(answer.location?.startsWith('/sign-in'), true, `${where}: still signed in`);
      if (role.permissions.has(route.permission as never)) {
        assert.notEqual(answer.status, 403, where);
        assert.equal(denied, 0, where);
      } else {
        assert.equal(answer.status, 403, where);
        assert.equal(denied, 1, where);
      }
      checked += 1;
    }
  }
  assert.equal(checked, PREDEFINED_ROLES.length * routes.filter((r) => r.permission !== undefined).length);
});
