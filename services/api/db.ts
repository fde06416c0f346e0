// Kysely types for the tables the api service owns. No other service reads them.
import type { ColumnType, Generated } from '#lib/db/index.ts';

type CreatedAt = ColumnType<Date, Date | undefined, never>;
type Json<T> = ColumnType<T, string | undefined, string>;
type Moment = ColumnType<Date | null, Date | null | undefined, Date | null>;

/** What the api knows of its exchange with the vault for a charge or refund (services/api/charges). */
export type VaultExchange = 'requested' | 'answered' | 'refused';
export type ChargeStatus = 'pending' | 'successful' | 'failed' | 'reversed' | 'expired';

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
  charges: {
    id: string; account_id: string; livemode: boolean; exchange: Generated<VaultExchange>; status: Generated<ChargeStatus>;
    amount: number; currency: string; description: string | null; metadata: Json<Record<string, unknown>>;
    capture: boolean; authorization_type: string | null; customer_id: string | null; token_id: string | null; card_id: string | null;
    /** Snapshot of the vault's card object (metadata only, never card data). */
    card: ColumnType<Record<string, unknown> | null, string | null | undefined, string | null>;
    authorization_id: string | null; authorized: Generated<boolean>;
    authorized_amount: Generated<number>; captured_amount: Generated<number>; refunded_amount: Generated<number>;
    failure_code: string | null; failure_message: string | null; authorize_uri: string | null; return_uri: string | null; ip: string | null;
    fee_rate_bp: number; vat_rate_bp: number;
    authorized_at: Moment; paid_at: Moment; reversed_at: Moment; expired_at: Moment;
    created_at: CreatedAt; updated_at: ColumnType<Date, Date | undefined, Date>;
  };
  refunds: {
    id: string; charge_id: string; account_id: string; livemode: boolean; exchange: Generated<VaultExchange>;
    amount: number; currency: string; status: Generated<string>; voided: Generated<boolean>; metadata: Json<Record<string, unknown>>;
    created_at: CreatedAt;
  };
};
