// Kysely types for the tables the api service owns. No other service reads them.
import type { ColumnType, Generated } from '#lib/db/index.ts';

type CreatedAt = ColumnType<Date, Date | undefined, never>;

export type ApiDatabase = {
  accounts: { id: string; email: string; name: string; country: Generated<string>; currency: Generated<string>; created_at: CreatedAt };
  api_keys: {
    id: string; account_id: string; kind: 'public' | 'secret'; livemode: boolean;
    public_value: string | null; secret_hash: string | null; hint: string; ip_allowlist: string[] | null;
    created_at: CreatedAt; expires_at: Date | null; last_used_at: Date | null; last_used_ip: string | null;
  };
  vault_key_sync: { account_id: string; fingerprint: string; synced_at: Date };
  customers: {
    id: string; account_id: string; livemode: boolean; email: string | null; description: string | null;
    metadata: ColumnType<Record<string, unknown>, string | undefined, string>; default_card: string | null;
    deleted: Generated<boolean>; created_at: CreatedAt;
  };
};
