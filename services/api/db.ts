// Kysely types for the tables the api service owns. No other service reads them.
import type { ColumnType, Generated } from '#lib/db/index.ts';

type CreatedAt = ColumnType<Date, Date | undefined, never>;
type Json<T> = ColumnType<T, string | undefined, string>;
type Moment = ColumnType<Date | null, Date | null | undefined, Date | null>;

/** What the api knows of its exchange with the vault for a charge or refund (services/api/charges). */
export type VaultExchange = 'requested' | 'answered' | 'refused';
export type ChargeStatus = 'pending' | 'successful' | 'failed' | 'reversed' | 'expired';
/** Ledger entry kinds (the Omise transaction `key`) and ledger accounts: services/api/ledger/README.md. */
export type LedgerKind = 'charge.captured.net' | 'refund';
export type LedgerAccount = 'merchant_balance' | 'acquirer_receivable' | 'fees' | 'vat';
type TransactionId = ColumnType<string | null, string | null | undefined, never>;

export type ApiDatabase = {
  accounts: { id: string; email: string; name: string; country: Generated<string>; currency: Generated<string>; created_at: CreatedAt };
  api_keys: {
    id: string; account_id: string; kind: 'public' | 'secret'; livemode: boolean;
    public_value: string | null; secret_hash: string | null; hint: string; ip_allowlist: string[] | null;
    created_at: CreatedAt; expires_at: Date | null; last_used_at: Date | null; last_used_ip: string | null;
  };
  vault_key_sync: { account_id: string; fingerprint: string; synced_at: Date };
  /** Idempotency-Key rows (services/api/requests/): the key's SHA-256, never the key. */
  idempotency_keys: {
    id: Generated<string>; account_id: string; livemode: boolean; key_hash: string; api_key_id: string;
    method: string; path: string; fingerprint: string; request_id: string; state: Generated<'running' | 'done'>;
    status: number | null; body: string | null; created_at: Generated<Date>; expires_at: Date;
  };
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
    /** The id of the credit its capture posts to the ledger (services/api/ledger), chosen up front. */
    transaction_id: TransactionId;
    /** '3DS' once the payer passed 3-D Secure (services/api/three-d-secure, migration 0008). */
    authenticated_by: '3DS' | null;
  };
  refunds: {
    id: string; charge_id: string; account_id: string; livemode: boolean; exchange: Generated<VaultExchange>;
    amount: number; currency: string; status: Generated<string>; voided: Generated<boolean>; metadata: Json<Record<string, unknown>>;
    created_at: CreatedAt;
    /** The id of the debit it posts to the ledger (services/api/ledger), chosen up front. */
    transaction_id: TransactionId;
  };
  /** 3-D Secure pages (services/api/three-d-secure): the SHA-256 of the page id, never the id. */
  three_d_secure_pages: {
    charge_id: string; account_id: string; livemode: boolean; secret_hash: string; form_value: string;
    created_at: CreatedAt; used_at: Date | null;
  };
  /** The money ledger (services/api/ledger, migration 0006): append-only, double-entry. */
  ledger_entries: {
    id: string; account_id: string; livemode: boolean; currency: string; kind: LedgerKind; origin: string;
    direction: 'credit' | 'debit'; amount: number; line_count: number; transferable_at: Date; created_at: CreatedAt;
  };
  ledger_lines: { entry_id: string; line: number; ledger_account: LedgerAccount; debit: number; credit: number };
  /** Events (services/api/events): immutable snapshots of what changed, as the API presented it. */
  events: {
    id: string; account_id: string; livemode: boolean; key: string; data: Json<Record<string, unknown>>; created_at: CreatedAt;
  };
  /** One webhook endpoint per account and mode (services/api/webhooks); the secret only sealed (webhooks/secrets). */
  webhook_endpoints: {
    account_id: string; livemode: boolean; uri: string; secret_wrapped_key: string; secret_ciphertext: Buffer;
    created_at: CreatedAt; updated_at: ColumnType<Date, Date | undefined, Date>;
  };
  webhook_deliveries: {
    id: string; event_id: string; account_id: string; livemode: boolean; uri: string;
    status: number | null; error: string | null; payload: string; created_at: CreatedAt;
  };
};
