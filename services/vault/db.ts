// Kysely types for the tables the vault service owns (migrations/). No other service can even connect
// to its database.
import type { ColumnType, Generated } from '#lib/db/index.ts';

export type VaultDatabase = {
  vault_data_keys: {
    id: string;
    key_id: ColumnType<string, string, never>;
    kek_version: number;
    /** The DEK wrapped by the KMS (`kms1:<key_id>:<kek_version>:<base64url>`), never the DEK itself. */
    wrapped: string;
    created_at: ColumnType<Date, Date | undefined, never>;
    retired_at: Date | null;
    records: Generated<number>;
  };
};
