import type { ColumnType, Generated } from '#lib/db/index.ts';

type CreatedAt = ColumnType<Date, Date | undefined, never>;

export type DashboardDatabase = {
  users: { id: string; email: string; password_hash: string; email_verified: Generated<boolean>; created_at: CreatedAt };
  memberships: { user_id: string; account_id: string; roles: string[]; created_at: CreatedAt };
};
