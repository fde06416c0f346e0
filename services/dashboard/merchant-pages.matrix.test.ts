// Every role × every route of the audit log, API keys, support and payments pages: a role holding the
// route's permission gets past the check; any other role gets 403 and a `dashboard.access.denied`
// entry naming that permission. The table below must list exactly the routes the pages register,
// each POST needs the step-up where the table says so, and every route checks a permission.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { httpError } from '#lib/http/index.ts';
import { PREDEFINED_ROLES } from './team/roles.ts';
import type { Permission } from './team/permissions.ts';
import { startMerchantPages, type MerchantPagesBed } from './merchant-pages.testing.ts';

const KEY = 'key_test_0000000000000000000';
const REQUEST = 'supp_0000000000000000000';
const CHARGE = 'chrg_test_0000000000000000000';
const CUSTOMER = 'cust_test_0000000000000000000';
const EMPTY = { data: [], total: 0, limit: 20, offset: 0 };
/** method url → [permission, step-up, a concrete url to call]. */
const ROUTES: Record<string, [Permission, boolean, string]> = {
  'GET /audit-log': ['audit.read', false, '/audit-log'],
  'GET /audit-log/export.csv': ['audit.export', false, '/audit-log/export.csv'],
  'GET /audit-log/integrity': ['audit.read', false, '/audit-log/integrity'],
  'GET /api-keys': ['keys.read', false, '/api-keys'],
  'POST /api-keys': ['keys.manage', true, '/api-keys'],
  'POST /api-keys/:id/roll': ['keys.manage', true, `/api-keys/${KEY}/roll`],
  'POST /api-keys/:id/revoke': ['keys.manage', true, `/api-keys/${KEY}/revoke`],
  'GET /api-keys/:id/ip-allowlist': ['keys.manage', false, `/api-keys/${KEY}/ip-allowlist`],
  'POST /api-keys/:id/ip-allowlist': ['keys.manage', true, `/api-keys/${KEY}/ip-allowlist`],
  'GET /support': ['support.use', false, '/support'],
  'POST /support': ['support.use', false, '/support'],
  'POST /support/code': ['support.use', false, '/support/code'],
  'GET /support/:id': ['support.use', false, `/support/${REQUEST}`],
  'POST /support/:id/confirm': ['support.use', false, `/support/${REQUEST}/confirm`],
  'POST /support/:id/reject': ['support.use', false, `/support/${REQUEST}/reject`],
  'GET /payments': ['charges.read', false, '/payments'],
  'GET /payments/charges/:id': ['charges.read', false, `/payments/charges/${CHARGE}`],
  'POST /payments/charges/:id/refunds': ['charges.refund', true, `/payments/charges/${CHARGE}/refunds`],
  'GET /payments/export.csv': ['data.export', false, '/payments/export.csv'],
  'GET /customers': ['customers.read', false, '/customers'],
  'GET /customers/:id': ['customers.read', false, `/customers/${CUSTOMER}`],
};

let bed: MerchantPagesBed;
let accountId: string;
const members = new Map<string, string>();

before(async () => {
  bed = await startMerchantPages({
    apis: () => ({
      audit: { list: async () => ({ entries: [], nextBefore: null }), integrity: async () => ({ checked_at: '', chain: { ok: true, count: 0, head_seq: null, head_hash: null }, checkpoints: { checked: false, reason: 'test' } }) },
      keys: { list: async () => [], create: async () => [], roll: async () => { throw new Error('no'); }, setAllowlist: async () => { throw new Error('no'); }, revoke: async () => { throw new Error('no'); } },
      // Lists are empty and every charge and customer is another account's (404): enough to pass the checks.
      payments: {
        listCharges: async () => EMPTY, listCustomers: async () => EMPTY, refunds: async () => EMPTY,
        charge: async () => { throw httpError(404, 'not_found', 'There is no such charge in this account.'); },
        refund: async () => { throw httpError(404, 'not_found', 'There is no such charge in this account.'); },
        customer: async () => { throw httpError(404, 'not_found', 'There is no such customer in this account.'); },
      },
    }),
  });
  const account = await bed.f.account();
  accountId = account.accountId;
  members.set('owner', account.ownerId);
  for (const role of PREDEFINED_ROLES.filter((r) => r.key !== 'owner')) members.set(role.key, (await bed.f.user({ accountId, roles: [role.key] })).userId);
});
after(async () => bed?.close());

test('the table lists exactly the registered routes; each checks a permission, and changes to keys a step-up', () => {
  const registered = bed.routes.filter((r) => r.method !== 'HEAD' && r.url !== '/*' && !r.url.startsWith('/assets/'));
  assert.deepEqual(registered.map((r) => `${r.method} ${r.url}`).sort(), Object.keys(ROUTES).sort());
  for (const r of registered) {
    const [, stepUp] = ROUTES[`${r.method} ${r.url}`]!;
    assert.equal(r.guards[0], 'permissionCheck', `${r.method} ${r.url}`);
    assert.equal(r.guards.includes('stepUp'), stepUp, `${r.method} ${r.url} step-up`);
  }
});

test('every role × every route: past the check where the role holds the permission, else 403 and an audit entry', async () => {
  for (const role of PREDEFINED_ROLES) {
    const userId = members.get(role.key)!;
    for (const [route, [permission, , url]] of Object.entries(ROUTES)) {
      const method = route.split(' ')[0]!;
      const before = (await bed.f.entries('dashboard.access.denied')).length;
      const answer = method === 'GET' ? await bed.get(url, { userId, accountId }) : await bed.post(url, { userId, accountId });
      const denied = (await bed.f.entries('dashboard.access.denied')).slice(before);
      if (role.permissions.has(permission)) {
        assert.notEqual(answer.status, 403, `${role.key} ${route}`);
        assert.equal(denied.length, 0, `${role.key} ${route}`);
      } else {
        assert.equal(answer.status, 403, `${role.key} ${route}`);
        assert.deepEqual(denied.map((e) => [e.actor.id, e.metadata.permission]), [[userId, permission]], `${role.key} ${route}`);
      }
    }
  }
});
