// Session lifetimes on a controlled clock: idle and absolute timeouts per profile, last-seen writes
// at most once a minute, roles read at every request, the policyFor seam, rotation and revocation.
import { after, before, beforeEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { sql } from '#lib/db/index.ts';
import { POLICY_PROFILES, type SessionLimits } from '../policy-profiles.ts';
import { startDashboardTestbed, type DashboardTestbed } from '../dashboard.testing.ts';
import type { ClientInfo } from './client.ts';
import { sessionLimitsFor } from './session-limits.ts';
import { createSessionStore } from './sessions.store.ts';
import { createSessionService, membershipAccess, type Session, type SessionPolicyFor } from './sessions.service.ts';
import { hashToken } from './tokens.ts';

const MINUTE = 60_000;
const client: ClientInfo = { ip: '198.51.100.9', country: 'unknown', device: 'Firefox 140 on Linux (desktop)', userAgent: 'test' };
const context = { actor: { type: 'user' as const, id: 'user_x' }, origin: { ip: '198.51.100.9' } };

describe('sessions', () => {
  let bed: DashboardTestbed;
  let owner: { userId: string; accountId: string };
  let clock: number;
  let policy: SessionPolicyFor;
  const seenRoles: string[][] = [];

  before(async () => {
    bed = await startDashboardTestbed();
    owner = await bed.createOwner('sessions@shop.example');
  });
  after(async () => { await bed?.close(); });
  beforeEach(() => {
    clock = Date.parse('2026-03-01T09:00:00Z');
    policy = () => POLICY_PROFILES.pci.session;
  });

  function service() {
    const store = createSessionStore(bed.db);
    return createSessionService({
      db: bed.db, store, audit: bed.audit, now: () => new Date(clock),
      memberAccess: membershipAccess(store, (roles) => new Set(roles.includes('owner') ? ['team.manage'] : [])),
      policyFor: (who) => { seenRoles.push([...who.roles]); return policy(who); },
    });
  }
  async function start(sessions = service()) {
    return bed.db.transaction().execute((tx) => sessions.start(tx, { userId: owner.userId, accountId: owner.accountId, factor: 'password', mfaVerifiedAt: null, client }));
  }
  const endReason = async (id: string) => (await bed.db.selectFrom('sessions').select('end_reason').where('id', '=', id).executeTakeFirstOrThrow()).end_reason;

  test('a fresh session resolves with the roles and permissions of the membership, read now', async () => {
    const sessions = service();
    const { id, token } = await start(sessions);
    const session = await sessions.resolve(token);
    assert.ok(session);
    assert.deepEqual([session.id, session.userId, session.accountId, session.email, session.roles, [...session.permissions]],
      [id, owner.userId, owner.accountId, 'sessions@shop.example', ['owner'], ['team.manage']]);
    assert.match(session.csrfToken, /^[A-Za-z0-9_-]{43}$/);
    assert.equal(await sessions.resolve(token.slice(0, -1) + (token.endsWith('A') ? 'B' : 'A')), null, 'a near miss is no session');
    assert.equal(await sessions.resolve('not a token'), null);

    await bed.db.updateTable('memberships').set({ roles: ['view_only'] }).where('user_id', '=', owner.userId).execute();
    const demoted = await sessions.resolve(token);
    assert.deepEqual([demoted?.roles, demoted?.permissions.size], [['view_only'], 0], 'role changes apply at the next request');
    await bed.db.deleteFrom('memberships').where('user_id', '=', owner.userId).execute();
    const removed = await sessions.resolve(token);
    assert.deepEqual([removed?.roles, removed?.permissions.size], [[], 0], 'a removed member keeps no access');
    await bed.db.insertInto('memberships').values({ user_id: owner.userId, account_id: owner.accountId, roles: ['owner'] }).execute();
    assert.deepEqual(seenRoles.slice(-3), [['owner'], ['view_only'], []], 'policyFor sees the roles just loaded');
  });

  for (const profile of Object.values(POLICY_PROFILES)) {
    test(`${profile.name}: idle timeout after ${profile.session.idleMs / MINUTE} min without a request`, async () => {
      policy = () => profile.session;
      const sessions = service();
      const { id, token } = await start(sessions);
      clock += profile.session.idleMs - 1;
      assert.ok(await sessions.resolve(token), 'just inside the idle limit');
      clock += profile.session.idleMs - 1;
      assert.ok(await sessions.resolve(token), 'each request restarts the idle clock');
      clock += profile.session.idleMs;
      assert.equal(await sessions.resolve(token), null);
      assert.equal(await endReason(id), 'idle_timeout');
      clock += 1;
      assert.equal(await sessions.resolve(token), null, 'ended stays ended');
    });

    test(`${profile.name}: absolute timeout ${profile.session.absoluteMs / 3_600_000} h after sign-in, however active`, async () => {
      policy = () => profile.session;
      const sessions = service();
      const { id, token } = await start(sessions);
      const step = Math.min(profile.session.idleMs - 1, 10 * MINUTE);
      const end = clock + profile.session.absoluteMs;
      while (clock + step < end) {
        clock += step;
        assert.ok(await sessions.resolve(token));
      }
      clock = end;
      assert.equal(await sessions.resolve(token), null);
      assert.equal(await endReason(id), 'absolute_timeout');
    });
  }

  test('the policyFor seam can make a session stricter', async () => {
    const strict: SessionLimits = { idleMs: 5 * MINUTE, absoluteMs: 60 * MINUTE };
    policy = (who) => (who.roles.includes('owner') ? strict : POLICY_PROFILES.pci.session);
    const sessions = service();
    const { token } = await start(sessions);
    clock += 5 * MINUTE;
    assert.equal(await sessions.resolve(token), null);
  });

  test('privileged members (here team.manage): 15 min idle and 8 h overall whatever the profile; others keep the profile\'s', async () => {
    policy = sessionLimitsFor(POLICY_PROFILES.nist.session); // NIST: 60 min idle, 24 h overall
    const sessions = service();
    const idle = await start(sessions);
    clock += 15 * MINUTE;
    assert.equal(await sessions.resolve(idle.token), null, 'an owner idles out after 15 minutes');
    assert.equal(await endReason(idle.id), 'idle_timeout');

    const long = await start(sessions);
    for (let i = 0; i < 8 * 4 - 1; i++) {
      clock += 15 * MINUTE - 1_000;
      assert.ok(await sessions.resolve(long.token), `alive at step ${i}`);
    }
    clock += 40 * MINUTE;
    assert.equal(await sessions.resolve(long.token), null, 'and is over after 8 hours, active or not');
    assert.equal(await endReason(long.id), 'absolute_timeout');

    await bed.db.updateTable('memberships').set({ roles: ['view_only'] }).where('user_id', '=', owner.userId).execute();
    try {
      const plain = await start(sessions);
      clock += 59 * MINUTE;
      assert.ok(await sessions.resolve(plain.token), 'a member without a privileged permission keeps the profile\'s hour');
    } finally {
      await bed.db.updateTable('memberships').set({ roles: ['owner'] }).where('user_id', '=', owner.userId).execute();
    }
  });

  test('last seen is written at most once a minute', async () => {
    const sessions = service();
    const { id, token } = await start(sessions);
    const lastSeen = async () => (await bed.db.selectFrom('sessions').select('last_seen_at').where('id', '=', id).executeTakeFirstOrThrow()).last_seen_at.getTime();
    const first = await lastSeen();
    clock += 59_000;
    await sessions.resolve(token);
    assert.equal(await lastSeen(), first);
    clock += 1_000;
    await sessions.resolve(token);
    assert.equal(await lastSeen(), clock);
  });

  test('rotation: a new token, the old one dead, the same session; audited', async () => {
    const sessions = service();
    const { id, token } = await start(sessions);
    const session = (await sessions.resolve(token))!;
    const fresh = await sessions.rotate(session, { factor: 'totp', mfaVerifiedAt: new Date(clock) }, context);
    assert.ok(fresh && fresh !== token);
    assert.equal(await sessions.resolve(token), null);
    const rotated = await sessions.resolve(fresh);
    assert.deepEqual([rotated?.id, rotated?.factor, rotated?.mfaVerifiedAt?.getTime()], [id, 'totp', clock]);
    const stored = await bed.db.selectFrom('sessions').select('token_hash').where('id', '=', id).executeTakeFirstOrThrow();
    assert.ok(stored.token_hash.equals(hashToken(fresh)));
  });

  test('revoke: only your own sessions; revoke-others keeps the current one', async () => {
    const sessions = service();
    const mine = await Promise.all([start(sessions), start(sessions), start(sessions)]);
    const current = (await sessions.resolve(mine[0]!.token))! as Session;
    const stranger = await bed.createOwner('stranger@shop.example');
    const theirs = await bed.db.transaction().execute((tx) => sessions.start(tx, { userId: stranger.userId, accountId: stranger.accountId, factor: 'password', mfaVerifiedAt: null, client }));
    assert.equal(await sessions.revoke(current, theirs.id, context), false, "another user's session is not yours to end");
    assert.ok(await sessions.resolve(theirs.token));
    assert.equal(await sessions.revoke(current, mine[1]!.id, context), true);
    assert.equal(await sessions.revoke(current, mine[1]!.id, context), false, 'already ended');
    assert.equal(await sessions.resolve(mine[1]!.token), null);
    const ended = await sessions.revokeOthers(current, context);
    assert.ok(ended >= 1);
    assert.ok(await sessions.resolve(mine[0]!.token), 'the current session stays');
    assert.equal(await sessions.resolve(mine[2]!.token), null);
    assert.ok(await sessions.resolve(theirs.token), "nobody else's sessions are touched");
    await bed.audit.chainNow();
    const actions = await sql<{ action: string }>`SELECT entry->>'action' AS action FROM audit_log WHERE stream = ${owner.accountId} AND entry->>'action' LIKE 'session.revoke%'`.execute(bed.db);
    assert.deepEqual(actions.rows.map((r) => r.action).sort(), ['session.revoke', 'session.revoke_others']);
  });
});
