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
  vault_public_keys: { key_hash: string; key_id: string; account_id: string; livemode: boolean; updated_at: Generated<Date> };
  vault_cards: {
    id: string; account_id: string; livemode: boolean; customer_id: string | null;
    brand: string; last_digits: string; name: string; expiration_month: number; expiration_year: number;
    country: Generated<string>; city: string | null; state: string | null; street1: string | null; street2: string | null;
    postal_code: string | null; phone_number: string | null;
    fingerprint: string; security_code_check: Generated<boolean>;
    /** The sealed PAN (AES-256-GCM ciphertext + tag) and its nonce; null once the card is deleted. */
    dek_id: string | null; pan_nonce: Buffer | null; pan_ciphertext: Buffer | null;
    created_at: ColumnType<Date, Date | undefined, never>; deleted_at: Date | null;
  };
  vault_tokens: {
    id: string; account_id: string; livemode: boolean; card_id: string;
    created_at: ColumnType<Date, Date | undefined, never>; expires_at: Date; used_at: Date | null;
    charge_status: Generated<string>;
  };
  vault_security_codes: { card_id: string; dek_id: string; nonce: Buffer; ciphertext: Buffer; expires_at: Date };
  vault_authorizations: {
    id: string; account_id: string; livemode: boolean; charge_id: string; card_id: string;
    amount: ColumnType<number, number, never>; currency: string;
    status: 'approved' | 'declined' | 'authentication_required' | 'reversed';
    acquirer_reference: string | null; failure_code: string | null; failure_message: string | null;
    authorized_amount: Generated<number>; captured_amount: Generated<number>; refunded_amount: Generated<number>;
    created_at: ColumnType<Date, Date | undefined, never>; updated_at: Generated<Date>;
  };
};
