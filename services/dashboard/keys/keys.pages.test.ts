// The API keys page on a real dashboard database, with a stand-in for the api's key routes that
// keeps keys per account (as the api does: another account's key is not found): what each role
// sees and may do, step-up and CSRF on every change, the secret shown once and kept nowhere, the
// dashboard's audit entries, and the email to every Owner and Administrator.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { newId } from '#lib/contracts/index.ts';
import { httpError } from '#lib/http/index.ts';
import { startMerchantPages, type MerchantPagesBed } from '../merchant-pages.testing.ts';
import type { ApiKey, KeysApi } from './keys-api.ts';

let bed: MerchantPagesBed;
const store = new Map<string, ApiKey[]>();
const calls: Array<{ op: string; accountId: string; actorId?: string; graceSeconds?: number; blocks?: string[] | null }> = [];
let acct: { accountId: string; ownerId: string };
let other: { accountId: string; ownerId: string };

function issue(accountId: string, kind: 'public' | 'secret', livemode: boolean): { view: ApiKey; secret: string } {
  const id = newId('key', livemode ? null : false);
  const value = `${kind === 'public' ? 'pkey' : 'skey'}_${livemode ? '' : 'test_'}${newId('key').slice(4)}x`;
  const view: ApiKey = {
    id, kind, livemode, hint: value.slice(-4), key: kind === 'public' ? value : null, active: true,
    created_at: new Date().toISOString(), expires_at: null, last_used_at: null, last_used_ip: null, ip_allowlist: null,
  };
  store.set(accountId, [...(store.get(accountId) ?? []), view]);
  return { view, secret: value };
}
function find(accountId: string, keyId: string): ApiKey {
  const key = store.get(accountId)?.find((k) => k.id === keyId);
  if (!key) throw httpError(404, 'not_found', 'There is no such API key in this account.');
  return key;
}
const fakeKeys: KeysApi = {
  async list(accountId) { return (store.get(accountId) ?? []).filter((k) => k.active); },
  async create(accountId, input) {
    calls.push({ op: 'create', accountId, actorId: input.actorId });
    return (input.kind ? [input.kind] : ['public', 'secret'] as const).map((kind) => {
      const { view, secret } = issue(accountId, kind, input.livemode);
      return { ...view, key: kind === 'secret' ? secret : view.key };
    });
  },
  async roll(accountId, keyId, input) {
    calls.push({ op: 'roll', accountId, actorId: input.actorId, graceSeconds: input.graceSeconds });
    const old = find(accountId, keyId);
    old.expires_at = new Date(Date.now() + input.graceSeconds * 1000).toISOString();
    const { view, secret } = issue(accountId, old.kind, old.livemode);
    return { rolled: old, created: { ...view, key: old.kind === 'secret' ? secret : view.key } };
  },
  async setAllowlist(accountId, keyId, input) {
    calls.push({ op: 'allowlist', accountId, actorId: input.actorId, blocks: input.blocks });
    const key = find(accountId, keyId);
    if (input.blocks?.some((b) => !/^\d+\.\d+\.\d+\.\d+\/\d+$/.test(b))) throw httpError(400, 'bad_request', `${input.blocks.join(' ')} is not a CIDR block`);
    key.ip_allowlist = input.blocks;
    return key;
  },
  async revoke(accountId, keyId, input) {
    calls.push({ op: 'revoke', accountId, actorId: input.actorId });
    const key = find(accountId, keyId);
    key.active = false;
    return key;
  },
};

before(async () => {
  bed = await startMerchantPages({ apis: () => ({ keys: fakeKeys, audit: { list: async () => ({ entries: [], nextBefore: null }), integrity: async () => { throw new Error('unused'); } } }) });
  acct = await bed.f.account();
  other = await bed.f.account();
  const pub = issue(acct.accountId, 'public', false).view;
  pub.last_used_at = '2026-03-04T05:06:07Z';
  pub.last_used_ip = '203.0.113.77';
  issue(acct.accountId, 'secret', false);
  issue(other.accountId, 'secret', false);
});
after(async () => bed?.close());

const as = (userId: string, accountId = acct.accountId) => ({ userId, accountId });

test('keys.read: public keys in full, secret keys by their last characters, last use with its IP', async () => {
  const dev = await bed.f.user({ accountId: acct.accountId, roles: ['developer'] });
  const page = await bed.get('/api-keys', as(dev.userId));
  assert.equal(page.status, 200);
  const [pub, secret] = store.get(acct.accountId)!;
  assert.ok(page.body.includes(`<code class="key-value">${pub!.key}</code>`));
  assert.ok(page.body.includes(`skey_…${secret!.hint}`));
  assert.match(page.body, /2026-03-04 05:06 UTC<\/time><br><span class="note">203\.0\.113\.77/);
  assert.ok(page.body.includes('id="create-key"'), 'a developer manages keys');
});

test('View Only gets 403 on the keys page and on every change, each audited; nobody signed in is sent to sign in', async () => {
  const viewer = await bed.f.user({ accountId: acct.accountId, roles: ['view_only'] });
  const keyId = store.get(acct.accountId)![1]!.id;
  assert.equal((await bed.get('/api-keys', as(viewer.userId))).status, 403);
  for (const url of ['/api-keys', `/api-keys/${keyId}/roll`, `/api-keys/${keyId}/revoke`, `/api-keys/${keyId}/ip-allowlist`]) {
    assert.equal((await bed.post(url, as(viewer.userId), { mode: 'test', kind: 'secret', grace: '0' })).status, 403, url);
  }
  const denied = (await bed.f.entries('dashboard.access.denied')).filter((e) => e.actor.id === viewer.userId);
  assert.deepEqual(denied.map((e) => e.metadata.permission), ['keys.read', 'keys.manage', 'keys.manage', 'keys.manage', 'keys.manage']);
  assert.equal(calls.length, 0, 'nothing reached the api');
  assert.equal((await bed.get('/api-keys')).status, 303);
});

test('creating a key: step-up first, the secret shown once (no-store), never stored, audited without it, administrators emailed', async () => {
  const admin = await bed.f.user({ accountId: acct.accountId, roles: ['administrator'] });
  const dev = await bed.f.user({ accountId: acct.accountId, roles: ['developer'] });
  bed.stepUps.length = 0;
  bed.mail.length = 0;
  const created = await bed.post('/api-keys', as(dev.userId), { mode: 'live', kind: 'secret' });
  assert.equal(created.status, 200);
  assert.deepEqual(bed.stepUps, ['/api-keys']);
  assert.equal(created.headers['cache-control'], 'no-store');
  const secret = created.body.match(/id="new-secret-key">(skey_[0-9a-z]+)</)?.[1];
  assert.ok(secret, 'the secret is on the page');
  assert.deepEqual(calls.at(-1), { op: 'create', accountId: acct.accountId, actorId: dev.userId });

  const list = await bed.get('/api-keys', as(dev.userId));
  assert.ok(!list.body.includes(secret!), 'never shown again');
  const tables = await bed.f.database.db.selectFrom('mail_outbox').select('body').execute();
  assert.ok(!tables.some((m) => m.body.includes(secret!)));

  const [entry] = (await bed.f.entries('api_key.create')).slice(-1);
  assert.deepEqual([entry!.actor.id, entry!.tenant, entry!.outcome.result, entry!.metadata.livemode], [dev.userId, acct.accountId, 'success', true]);
  assert.ok(!JSON.stringify(await bed.f.entries()).includes(secret!), 'the audit trail never holds the secret');

  const ownerEmail = (await bed.f.database.db.selectFrom('users').select('email').where('id', '=', acct.ownerId).executeTakeFirstOrThrow()).email;
  assert.deepEqual(bed.mail.map((m) => m.to).sort(), [admin.email, ownerEmail].sort(), 'owners and administrators, not the developer');
  assert.match(bed.mail[0]!.subject, /New live API key/);
  assert.ok(bed.mail[0]!.text.includes(dev.email) && bed.mail[0]!.text.includes(secret!.slice(-4)));
  assert.ok(!bed.mail.some((m) => m.text.includes(secret!)));

  const pair = await bed.post('/api-keys', as(dev.userId), { mode: 'test', kind: 'pair' });
  assert.match(pair.body, /id="new-public-key">pkey_test_/);
  assert.match(pair.body, /id="new-secret-key">skey_test_/);
  assert.equal((await bed.post('/api-keys', as(dev.userId), { mode: 'staging', kind: 'secret' })).status, 400);
});

test('rolling: the grace period chosen from the list reaches the api; the new secret is shown once; refused without step-up', async () => {
  const keyId = store.get(acct.accountId)![1]!.id;
  const rolled = await bed.post(`/api-keys/${keyId}/roll`, as(acct.ownerId), { grace: '259200' });
  assert.equal(rolled.status, 200);
  assert.deepEqual(calls.at(-1), { op: 'roll', accountId: acct.accountId, actorId: acct.ownerId, graceSeconds: 259_200 });
  assert.match(rolled.body, /id="rolled">[\s\S]*keeps working until/);
  assert.match(rolled.body, /id="new-secret-key">skey_test_/);
  assert.equal((await bed.post(`/api-keys/${keyId}/roll`, as(acct.ownerId), { grace: '12345' })).status, 400, 'only the offered choices');
  const entry = (await bed.f.entries('api_key.roll')).at(-1)!;
  assert.deepEqual([entry.metadata.grace_seconds, entry.targets.length], [259_200, 2]);

  bed.refuseStepUp = true;
  const before = calls.length;
  assert.equal((await bed.post(`/api-keys/${keyId}/revoke`, as(acct.ownerId))).status, 403);
  assert.equal((await bed.post('/api-keys', as(acct.ownerId), { mode: 'test', kind: 'secret' })).status, 403);
  assert.equal(calls.length, before, 'nothing reached the api without the step-up');
  bed.refuseStepUp = false;
});

test('IP allow-list: the form, the api\'s refusal shown on it (and audited), any address, and 404 for a public key', async () => {
  const secret = store.get(acct.accountId)!.find((k) => k.kind === 'secret' && k.active)!;
  const form = await bed.get(`/api-keys/${secret.id}/ip-allowlist`, as(acct.ownerId));
  assert.equal(form.status, 200);
  assert.match(form.body, /id="allowlist-form"/);
  const saved = await bed.post(`/api-keys/${secret.id}/ip-allowlist`, as(acct.ownerId), { blocks: '203.0.113.0/24\n198.51.100.0/24' });
  assert.deepEqual([saved.status, saved.location], [303, '/api-keys?notice=allowlist']);
  assert.deepEqual(calls.at(-1)?.blocks, ['203.0.113.0/24', '198.51.100.0/24']);
  const refused = await bed.post(`/api-keys/${secret.id}/ip-allowlist`, as(acct.ownerId), { blocks: 'not-a-block' });
  assert.equal(refused.status, 400);
  assert.match(refused.body, /not-a-block is not a CIDR block/);
  assert.equal((await bed.f.entries('api_key.set_ip_allowlist')).at(-1)?.outcome.result, 'failure');
  await bed.post(`/api-keys/${secret.id}/ip-allowlist`, as(acct.ownerId), { any: 'on' });
  assert.equal(calls.at(-1)?.blocks, null);
  const pub = store.get(acct.accountId)!.find((k) => k.kind === 'public')!;
  assert.equal((await bed.get(`/api-keys/${pub.id}/ip-allowlist`, as(acct.ownerId))).status, 404);
});

test('another account\'s key ids answer 404; a malformed id answers 404 without asking the api; CSRF is checked', async () => {
  const theirs = store.get(other.accountId)![0]!.id;
  for (const url of [`/api-keys/${theirs}/revoke`, `/api-keys/${theirs}/roll`, `/api-keys/${theirs}/ip-allowlist`]) {
    assert.equal((await bed.post(url, as(acct.ownerId), { grace: '0', blocks: '10.0.0.0/8' })).status, 404, url);
  }
  assert.equal((await bed.get(`/api-keys/${theirs}/ip-allowlist`, as(acct.ownerId))).status, 404);
  assert.equal(store.get(other.accountId)![0]!.active, true);
  const before = calls.length;
  assert.equal((await bed.post('/api-keys/key_not_real/revoke', as(acct.ownerId))).status, 404);
  assert.equal(calls.length, before);
  const mine = store.get(acct.accountId)!.find((k) => k.active)!;
  const forged = await bed.post(`/api-keys/${mine.id}/revoke`, as(acct.ownerId), { _csrf: 'x'.repeat(43) });
  assert.equal(forged.status, 403);
  assert.equal(mine.active, true);
  const revoked = await bed.post(`/api-keys/${mine.id}/revoke`, as(acct.ownerId));
  assert.deepEqual([revoked.status, revoked.location, mine.active], [303, '/api-keys?notice=revoked', false]);
});
