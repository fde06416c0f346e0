// Kysely types for the tables the kms service owns. No other service can even connect to its database.
import type { ColumnType, Generated } from '#lib/db/index.ts';
import type { KeyPurpose } from '#lib/contracts/index.ts';
import type { BackendKind } from './backends/key-backend.ts';

export type VersionState = 'active' | 'decrypt-only' | 'retired' | 'destroyed';

export type KmsDatabase = {
  kms_keys: {
    id: string;
    family: string;
    purpose: KeyPurpose;
    primary_version: number | null;
    min_decrypt_version: Generated<number>;
    crypto_period_days: number | null;
    created_at: Generated<Date>;
    rotated_at: Generated<Date>;
  };
  kms_key_versions: {
    key_id: string;
    version: number;
    state: VersionState;
    backend: BackendKind;
    handle: string | null;
    wrapped_secret: string | null;
    public_key: string | null;
    created_at: Generated<Date>;
    state_changed_at: ColumnType<Date, Date | undefined, Date>;
  };
  kms_seal: {
    id: number;
    install_id: string;
    threshold: number;
    share_count: number;
    nonce: string;
    ciphertext: string;
    created_at: Date;
  };
};
