// The audit log page on a real dashboard database (the api's trail through a stand-in that records
// what it was asked): the account's entries only, filters, paging, the CSV export (permission,
// CSV-injection safety, audited), the integrity check (OK, then a tampered entry named), and 403
// with an audit entry for roles without audit.read / audit.export.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { sql } from '#lib/db/index.ts';
import { httpError } from '#lib/http/index.ts';
import { createTestSigner } from '#lib/audit/testing.ts';
import { createCheckpointer, type AuditEntry } from '#lib/audit/index.ts';
import { startMerchantPages, type MerchantPagesBed } from '../merchant-pages.testing.ts';
import type { ApiAuditFilters, ApiIntegrity } from './audit-api.ts';

let bed: MerchantPagesBed;
const apiCalls: Array<{ accountId: string; filters?: ApiAuditFilters }> = [];
let apiDown = false;
const signer = createTestSigner();
let acct: { accountId: string; ownerId: string };
let other: { accountId: string; ownerId: string };
let ownerEmail: string;

const apiEntry = (accountId: string, seq: number): { seq: number; hash: string; entry: AuditEntry } => ({
  seq, hash: 'ab'.repeat(32), entry: {
    v: 1, service: 'api', time: '2026-01-02T03:04:05.000Z', actor: { type: 'api_key', id: 'key_test_abcdefghij0123456789', display: null, sessionId: null },
    action: 'charge.create', targets: [{ type: 'charge', id: 'chrg_test_000000000000000000a' }], tenant: accountId,
    outcome: { result: 'success', reason: null }, origin: { ip: '203.0.113.9', userAgent: null, certIdentity: null }, requestId: 'req_1', metadata: { amount: 1000 },
  },
});

before(async () => {
  bed = await startMerchantPages({
    checkpointKeys: async () => signer.publicKeys,
    apis: () => ({
      audit: {
        async list(accountId, filters) {
          apiCalls.push({ accountId, filters });
          if (apiDown) throw httpError(502, 'bad_gateway', 'The payments service could not be reached just now.');
          return { entries: [apiEntry(accountId, 2), apiEntry(accountId, 1)], nextBefore: null };
        },
        async integrity(accountId): Promise<ApiIntegrity> {
          apiCalls.push({ accountId });
          if (apiDown) throw httpError(502, 'bad_gateway', 'The payments service could not be reached just now.');
          return { checked_at: new Date().toISOString(), chain: { ok: false, first_broken_seq: 4, reason: 'missing' }, checkpoints: { checked: false, reason: 'no KMS configured' } };
        },
      },
      keys: { list: async () => [], create: async () => [], roll: async () => { throw new Error('unused'); }, setAllowlist: async () => { throw new Error('unused'); }, revoke: async () => { throw new Error('unused'); } },
    }),
  });
  const { f } = bed;
  acct = await f.account();
  other = await f.account();
  ownerEmail = (await f.database.db.selectFrom('users').select('email').where('id', '=', acct.ownerId).executeTakeFirstOrThrow()).email;
  const record = (tenant: string, action: string, extra: Record<string, unknown> = {}) => f.audit.recordStandalone({
    actor: { type: 'user', id: tenant === acct.accountId ? acct.ownerId : other.ownerId }, action, tenant,
    targets: [{ type: 'session', id: `sess_${action.length}` }], outcome: { result: 'success' }, origin: { ip: '198.51.100.7', userAgent: 'Chrome' }, ...extra,
  });
  await record(acct.accountId, 'user.sign_in');
  for (let i = 0; i < 55; i++) await record(acct.accountId, 'session.rotate');
  await record(acct.accountId, 'team.invite', { outcome: { result: 'failure', reason: '=HYPERLINK("https://evil.example")' }, origin: { ip: '198.51.100.7', userAgent: '@SUM(1+1)' } });
  await record(other.accountId, 'user.sign_in', { targets: [{ type: 'session', id: 'sess_of_the_other_account' }] });
  await f.audit.chainNow();
});
after(async () => bed?.close());

const rowsOf = (html: string) => [...html.matchAll(/<tr data-seq="(\d+)">/g)].map((m) => Number(m[1]));

test('the owner sees the account\'s own entries, newest first, 50 a page, and never another account\'s', async () => {
  const page = await bed.get('/audit-log', { userId: acct.ownerId, accountId: acct.accountId });
  assert.equal(page.status, 200);
  assert.equal(page.headers['cache-control'], 'no-store');
  assert.deepEqual(rowsOf(page.body).slice(0, 3), [57, 56, 55]);
  assert.equal(rowsOf(page.body).length, 50);
  assert.ok(page.body.includes(ownerEmail), 'actors are shown by email');
  assert.ok(!page.body.includes('sess_of_the_other_account'));
  const older = page.body.match(/href="(\/audit-log\?[^"]*before=8[^"]*)" id="older"/)?.[1];
  assert.ok(older, 'a link to older entries');
  const next = await bed.get(older!.replaceAll('&amp;', '&'), { userId: acct.ownerId, accountId: acct.accountId });
  assert.deepEqual(rowsOf(next.body), [7, 6, 5, 4, 3, 2, 1]);
  assert.ok(!next.body.includes('id="older"'));
});

test('filters: actor by email or id, action, target, time range; bad filters are a 400', async () => {
  const as = { userId: acct.ownerId, accountId: acct.accountId };
  assert.deepEqual(rowsOf((await bed.get('/audit-log?action=user.sign_in', as)).body), [1]);
  assert.equal(rowsOf((await bed.get(`/audit-log?actor=${encodeURIComponent(ownerEmail.toUpperCase())}&action=team.invite`, as)).body).length, 1);
  assert.equal(rowsOf((await bed.get(`/audit-log?actor=${other.ownerId}`, as)).body).length, 0, 'another account\'s user is nobody here');
  assert.equal(rowsOf((await bed.get('/audit-log?actor=nobody@example.com', as)).body).length, 0);
  assert.deepEqual(rowsOf((await bed.get('/audit-log?target=sess_12', as)).body), [1]);
  const hour = new Date(Date.now() + 3600_000).toISOString().slice(0, 16);
  assert.equal(rowsOf((await bed.get(`/audit-log?from=${hour}`, as)).body).length, 0);
  assert.equal(rowsOf((await bed.get(`/audit-log?to=${hour}&action=user.sign_in`, as)).body).length, 1);
  for (const bad of ['source=vault', 'from=tomorrow', 'from=2026-02-30T10:00', 'before=-1', 'action=DROP%20TABLE', `target=${'x'.repeat(201)}`, 'from=2026-01-02T00:00&to=2026-01-01T00:00']) {
    const answer = await bed.get(`/audit-log?${bad}`, as);
    assert.equal(answer.status, 400, bad);
  }
});

test('the API tab asks the api for the session\'s account, with the filters', async () => {
  apiCalls.length = 0;
  const page = await bed.get('/audit-log?source=api&action=charge.create&from=2026-01-01T00:00', { userId: acct.ownerId, accountId: acct.accountId });
  assert.equal(page.status, 200);
  assert.deepEqual(rowsOf(page.body), [2, 1]);
  assert.match(page.body, /charge\.create/);
  assert.equal(apiCalls[0]?.accountId, acct.accountId);
  assert.deepEqual([apiCalls[0]?.filters?.action, apiCalls[0]?.filters?.from?.toISOString(), apiCalls[0]?.filters?.limit], ['charge.create', '2026-01-01T00:00:00.000Z', 50]);
  apiDown = true;
  assert.equal((await bed.get('/audit-log?source=api', { userId: acct.ownerId, accountId: acct.accountId })).status, 502);
  apiDown = false;
});

test('CSV export: every matching entry, formula cells defused, attachment, no-store, and audited', async () => {
  const csv = await bed.get('/audit-log/export.csv', { userId: acct.ownerId, accountId: acct.accountId });
  assert.equal(csv.status, 200);
  assert.match(String(csv.headers['content-type']), /^text\/csv; charset=utf-8/);
  assert.match(String(csv.headers['content-disposition']), /^attachment; filename="audit-log-dashboard-[0-9T-]+\.csv"$/);
  assert.equal(csv.headers['cache-control'], 'no-store');
  const lines = csv.body.split('\r\n').filter((l) => l !== '');
  assert.equal(lines[0], '"time","service","seq","actor_type","actor_id","actor_email","action","targets","result","reason","ip","user_agent","via","request_id","metadata","hash"');
  assert.equal(lines.length, 1 + 57, 'all 57 entries, beyond one page');
  const invite = lines.find((l) => l.includes('team.invite'))!;
  assert.ok(invite.includes('"\'=HYPERLINK(""https://evil.example"")"'), invite);
  assert.ok(invite.includes('"\'@SUM(1+1)"'), invite);
  assert.ok(!/(^|,)"[=+\-@]/.test(invite), 'no cell starts with a formula character');
  assert.ok(!csv.body.includes('sess_of_the_other_account'));

  const entries = await bed.f.entries('audit_log.export');
  assert.equal(entries.length, 1);
  assert.deepEqual([entries[0]!.tenant, entries[0]!.actor.id, entries[0]!.metadata.rows, entries[0]!.metadata.source], [acct.accountId, acct.ownerId, 57, 'dashboard']);

  const filtered = await bed.get('/audit-log/export.csv?source=api', { userId: acct.ownerId, accountId: acct.accountId });
  assert.equal(filtered.body.split('\r\n').filter((l) => l.includes('charge.create')).length, 2);
});

test('roles: View Only gets 403 on the log; IAM Administrator reads it but cannot export; each refusal is audited', async () => {
  const viewer = await bed.f.user({ accountId: acct.accountId, roles: ['view_only'] });
  const iam = await bed.f.user({ accountId: acct.accountId, roles: ['iam_administrator'] });
  const as = (userId: string) => ({ userId, accountId: acct.accountId });
  assert.equal((await bed.get('/audit-log', as(viewer.userId))).status, 403);
  assert.equal((await bed.get('/audit-log/integrity', as(viewer.userId))).status, 403);
  assert.equal((await bed.get('/audit-log/export.csv', as(viewer.userId))).status, 403);
  const iamPage = await bed.get('/audit-log', as(iam.userId));
  assert.equal(iamPage.status, 200);
  assert.ok(!iamPage.body.includes('export.csv'), 'no export link without audit.export');
  assert.equal((await bed.get('/audit-log/export.csv', as(iam.userId))).status, 403);
  const denied = await bed.f.entries('dashboard.access.denied');
  assert.deepEqual(denied.filter((e) => e.actor.id === viewer.userId).map((e) => e.metadata.permission), ['audit.read', 'audit.read', 'audit.export']);
  assert.deepEqual(denied.filter((e) => e.actor.id === iam.userId).map((e) => e.metadata.permission), ['audit.export']);
  const anonymous = await bed.get('/audit-log');
  assert.equal(anonymous.status, 303);
  assert.match(String(anonymous.location), /^\/sign-in\?next=%2Faudit-log/);
});

test('integrity: the dashboard chain and its signed checkpoints verify; a tampered entry is named; the api report is shown', async () => {
  const as = { userId: acct.ownerId, accountId: acct.accountId };
  await bed.f.audit.chainNow();
  await createCheckpointer({ db: bed.f.database.db, service: 'dashboard', signer: signer.signer, intervalMs: 60_000 }).runOnce();
  const ok = await bed.get('/audit-log/integrity', as);
  assert.equal(ok.status, 200);
  const dashboard = ok.body.match(/<section class="integrity" id="integrity-dashboard">([\s\S]*?)<\/section>/)?.[1] ?? '';
  assert.match(dashboard, /<span class="tag success">OK<\/span>/);
  assert.match(dashboard, /OK: \d+ entries linked from the first/);
  assert.match(dashboard, /OK: 1 signed checkpoints verify, up to seq \d+/);
  const api = ok.body.match(/<section class="integrity" id="integrity-api">([\s\S]*?)<\/section>/)?.[1] ?? '';
  assert.match(api, /BROKEN/);
  assert.match(api, /BROKEN at seq 4: an entry is missing/);

  await bed.f.database.ownerDb.transaction().execute(async (tx) => {
    await sql`ALTER TABLE audit_log DISABLE TRIGGER USER`.execute(tx);
    await sql`UPDATE audit_log SET entry = jsonb_set(entry, '{action}', '"user.sign_out"') WHERE stream = ${acct.accountId} AND seq = 1`.execute(tx);
    await sql`ALTER TABLE audit_log ENABLE TRIGGER USER`.execute(tx);
  });
  const broken = await bed.get('/audit-log/integrity', as);
  const section = broken.body.match(/id="integrity-dashboard">([\s\S]*?)<\/section>/)?.[1] ?? '';
  assert.match(section, /<span class="tag failure">BROKEN<\/span>/);
  assert.match(section, /BROKEN at seq 1: an entry was changed/);
  // The edit kept the stored hashes, so the signatures still hold: the chain walk is what catches it.
  assert.match(section, /OK: 1 signed checkpoints verify/);

  apiDown = true;
  const down = await bed.get('/audit-log/integrity', as);
  assert.match(down.body, /id="integrity-api">[\s\S]*not checked[\s\S]*could not be reached/);
  apiDown = false;

  const theirs = await bed.get('/audit-log/integrity', { userId: other.ownerId, accountId: other.accountId });
  assert.match(theirs.body.match(/id="integrity-dashboard">([\s\S]*?)<\/section>/)?.[1] ?? '', /tag success">OK/, 'the other account\'s stream is intact');
});
