// The catalogue and the predefined roles as data: what each role holds, and the arithmetic on roles.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ALL_PERMISSIONS, BASELINE_PERMISSIONS, isPermission, PERMISSIONS, type Permission } from './permissions.ts';
import { missingFrom, PREDEFINED_ROLES, predefinedRole, requiresPhishingResistantMfa, rolePermissions } from './roles.ts';

const MONEY_AND_PAYMENT_DATA: Permission[] = ['charges.read', 'charges.refund', 'refunds.read', 'customers.read', 'cards.read_masked', 'data.export'];
const held = (key: string) => [...(predefinedRole(key)?.permissions ?? [])].sort();

test('permissions are <area>.<verb>, each described, and cover every dashboard page', () => {
  for (const p of ALL_PERMISSIONS) {
    assert.match(p, /^[a-z]+\.[a-z_]+$/);
    assert.ok(PERMISSIONS[p].length > 10, p);
  }
  const areas = new Set(ALL_PERMISSIONS.map((p) => p.split('.')[0]));
  for (const area of ['charges', 'refunds', 'customers', 'cards', 'keys', 'webhooks', 'logs', 'team', 'roles', 'audit', 'account', 'support', 'data']) {
    assert.ok(areas.has(area), `no permission for ${area}`);
  }
  assert.equal(isPermission('charges.read'), true);
  assert.equal(isPermission('charges.delete'), false);
  assert.equal(isPermission('toString'), false, 'prototype keys are not permissions');
});

test('every predefined role says why, holds only catalogue permissions and the baseline', () => {
  assert.deepEqual(PREDEFINED_ROLES.map((r) => r.key),
    ['owner', 'administrator', 'iam_administrator', 'developer', 'analyst', 'refund_analyst', 'support_specialist', 'view_only']);
  for (const role of PREDEFINED_ROLES) {
    assert.ok(role.why.length > 20, role.key);
    for (const p of role.permissions) assert.ok(isPermission(p), `${role.key}: ${p}`);
    for (const p of BASELINE_PERMISSIONS) assert.ok(role.permissions.has(p), `${role.key} lacks ${p}`);
  }
});

test('Owner holds everything; Administrator everything but ownership', () => {
  assert.deepEqual(held('owner'), [...ALL_PERMISSIONS].sort());
  assert.deepEqual(missingFrom(predefinedRole('administrator')!.permissions, new Set(ALL_PERMISSIONS)), ['owners.manage']);
});

test('least privilege: the narrow roles hold exactly their job', () => {
  assert.deepEqual(held('iam_administrator'), ['account.read', 'audit.read', 'profile.manage', 'roles.manage', 'team.manage', 'team.read']);
  for (const p of MONEY_AND_PAYMENT_DATA) assert.ok(!predefinedRole('iam_administrator')!.permissions.has(p), `IAM admin must not hold ${p}`);
  assert.deepEqual(held('developer'), ['account.read', 'keys.manage', 'keys.read', 'logs.read', 'profile.manage', 'webhooks.manage', 'webhooks.read']);
  assert.deepEqual(held('analyst'), ['account.read', 'cards.read_masked', 'charges.read', 'customers.read', 'data.export', 'profile.manage', 'refunds.read']);
  assert.deepEqual(held('refund_analyst'), ['account.read', 'cards.read_masked', 'charges.read', 'charges.refund', 'profile.manage', 'refunds.read']);
  assert.deepEqual(held('support_specialist'), ['account.read', 'cards.read_masked', 'charges.read', 'customers.read', 'profile.manage', 'refunds.read', 'support.use']);
  assert.deepEqual(held('view_only'), ['account.read', 'cards.read_masked', 'charges.read', 'customers.read', 'profile.manage', 'refunds.read']);
  for (const key of ['analyst', 'support_specialist', 'view_only', 'developer']) {
    const perms = predefinedRole(key)!.permissions;
    assert.ok(!perms.has('charges.refund') && !perms.has('team.manage') && !perms.has('roles.manage'), `${key} changes nothing it should not`);
  }
});

test('a member holding several roles gets the union; unknown and foreign roles grant nothing', () => {
  const both = rolePermissions(['developer', 'refund_analyst']);
  assert.ok(both.has('keys.manage') && both.has('charges.refund'));
  assert.equal(both.has('team.manage'), false);
  assert.equal(rolePermissions(['root', 'role_unknown']).size, 0);
  const custom = rolePermissions(['role_a'], [{ id: 'role_a', permissions: ['logs.read', 'not.a_permission'], phishingResistantMfa: false }]);
  assert.deepEqual([...custom], ['logs.read'], 'a stored permission that left the catalogue grants nothing');
});

test('phishing-resistant MFA: Owner and Administrator in production, custom roles that ask for it', () => {
  assert.equal(requiresPhishingResistantMfa(['owner'], { production: true }), true);
  assert.equal(requiresPhishingResistantMfa(['developer', 'administrator'], { production: true }), true);
  assert.equal(requiresPhishingResistantMfa(['owner'], { production: false }), false, 'not in development');
  assert.equal(requiresPhishingResistantMfa(['owner'], { production: true, predefinedDefault: false }), false, 'operator switch');
  assert.equal(requiresPhishingResistantMfa(['iam_administrator', 'developer', 'view_only'], { production: true }), false);
  assert.equal(requiresPhishingResistantMfa(['role_x'], { production: false, customRoles: ['role_x'] }), true);
  assert.equal(requiresPhishingResistantMfa(['role_y'], { production: true, customRoles: ['role_x'] }), false);
});

test('the README documents every permission and every predefined role', async () => {
  const { readFile } = await import('node:fs/promises');
  const readme = await readFile(new URL('../README.md', import.meta.url), 'utf8');
  for (const p of ALL_PERMISSIONS) assert.ok(readme.includes(`| \`${p}\` | ${PERMISSIONS[p]} |`), `README lacks ${p}`);
  for (const r of PREDEFINED_ROLES) assert.ok(readme.includes(`| ${r.name} (\`${r.key}\`) | ${r.why} |`), `README lacks ${r.key}`);
});
