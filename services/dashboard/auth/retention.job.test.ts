// Retention: what the hourly job removes, and what it keeps.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import { newId } from '#lib/contracts/index.ts';
import { startDashboardTestbed, type DashboardTestbed } from '../dashboard.testing.ts';
import { createRetentionJob } from './retention.job.ts';

let bed: DashboardTestbed;
before(async () => { bed = await startDashboardTestbed(); });
after(async () => { await bed?.close(); });

const DAY = 86_400_000;

test('old links, ended sessions, old history and idle counters go; live ones stay', async () => {
  const now = Date.now();
  const ago = (days: number) => new Date(now - days * DAY);
  const { userId, accountId } = await bed.createOwner('retention@shop.example');
  const owner = bed.database.ownerDb;
  const signup = (expires: Date) => ({ id: randomUUID(), email: 'r@shop.example', business_name: 'R', password_hash: 'x', token_hash: randomBytes(32), expires_at: expires });
  await owner.insertInto('signups').values([signup(ago(8)), signup(ago(-1))]).execute();
  const emailChange = (expires: Date) => ({ id: randomUUID(), user_id: userId, old_email: 'retention@shop.example', new_email: 'n@shop.example', token_hash: randomBytes(32), expires_at: expires });
  await owner.insertInto('email_changes').values([emailChange(ago(8)), emailChange(ago(1))]).execute();
  const session = (ended: Date | null) => ({
    id: newId('session'), token_hash: randomBytes(32), user_id: userId, account_id: accountId, factor: 'password' as const,
    mfa_verified_at: null, csrf_token: 't', ip: '127.0.0.1', country: 'unknown', device: 'd', created_at: ago(40), last_seen_at: ago(40), ended_at: ended, end_reason: ended ? 'revoked' : null,
  });
  await owner.insertInto('sessions').values([session(ago(31)), session(ago(1)), session(null)]).execute();
  await owner.insertInto('login_events').values([366, 10].map((d) => ({ user_id: userId, account_id: accountId, at: ago(d), outcome: 'success' as const, reason: null, factor: 'password', ip: '127.0.0.1', country: 'unknown', device: 'd' }))).execute();
  await owner.insertInto('password_history').values([1, 2, 3, 4, 5, 6].map((i) => ({ user_id: userId, password_hash: `h${i}` }))).execute();
  await owner.insertInto('auth_throttle').values([
    { scope: 'ip', key: 'idle', failures: 3, last_failure_at: ago(2), locked_until: null },
    { scope: 'account', key: 'locked', failures: 10, last_failure_at: ago(2), locked_until: ago(-1) },
    { scope: 'ip', key: 'recent', failures: 3, last_failure_at: ago(0.5), locked_until: null },
  ]).execute();

  const job = createRetentionJob({ db: bed.db, logger: bed.log.logger, now: () => new Date(now) });
  const removed = await job.runOnce();
  assert.deepEqual(removed, { signups: 1, passwordResets: 0, emailChanges: 1, sessions: 1, loginEvents: 1, passwordHistory: 2, throttle: 1 });
  assert.equal((await bed.db.selectFrom('sessions').select('id').where('user_id', '=', userId).execute()).length, 2);
  assert.deepEqual((await bed.db.selectFrom('password_history').select('password_hash').where('user_id', '=', userId).orderBy('id').execute()).map((r) => r.password_hash), ['h3', 'h4', 'h5', 'h6']);
  assert.deepEqual((await bed.db.selectFrom('auth_throttle').select('key').orderBy('key').execute()).map((r) => r.key), ['locked', 'recent']);
  assert.deepEqual(await job.runOnce(), { signups: 0, passwordResets: 0, emailChanges: 0, sessions: 0, loginEvents: 0, passwordHistory: 0, throttle: 0 });
});
