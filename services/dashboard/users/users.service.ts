// Dashboard users. Sign-in, MFA and invitations arrive with the dashboard issue; this file creates
// owners (demo seed, and later sign-up) with a properly hashed password.
import { newId } from '#lib/contracts/index.ts';
import type { Kysely } from '#lib/db/index.ts';
import type { Audit } from '#lib/audit/index.ts';
import type { DashboardDatabase } from '../db.ts';
import { hashPassword } from './passwords.ts';

export function createUserService(deps: { db: Kysely<DashboardDatabase>; audit: Audit }) {
  const { db, audit } = deps;
  return {
    async createOwner(input: { email: string; password: string; accountId: string; emailVerified: boolean }) {
      const id = newId('user');
      const passwordHash = await hashPassword(input.password);
      await db.transaction().execute(async (tx) => {
        await tx.insertInto('users').values({ id, email: input.email.toLowerCase(), password_hash: passwordHash, email_verified: input.emailVerified }).execute();
        await tx.insertInto('memberships').values({ user_id: id, account_id: input.accountId, roles: ['owner'] }).execute();
        await audit.record(tx, {
          actor: { type: 'system', id: 'provisioning' }, action: 'user.create', tenant: input.accountId,
          targets: [{ type: 'user', id }], outcome: { result: 'success' }, metadata: { roles: ['owner'] },
        });
      });
      return { userId: id };
    },
  };
}
