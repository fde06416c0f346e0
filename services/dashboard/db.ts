import type { ColumnType, Generated } from '#lib/db/index.ts';

type CreatedAt = ColumnType<Date, Date | undefined, never>;
/** How a session's holder last proved who they are (sessions/). */
export type SessionFactor = 'password' | 'totp' | 'webauthn' | 'recovery_code';
export type ThrottleScope = 'account' | 'ip' | 'mail_address' | 'mail_ip' | 'invitation';
export type SupportChannel = 'dashboard' | 'email' | 'phone';
export type SupportStatus = 'unverified' | 'verified' | 'rejected';
export type SupportEventKind = 'opened' | 'verified' | 'rejected' | 'staff_view' | 'code_failed' | 'reply';

export type DashboardDatabase = {
  users: { id: string; email: string; password_hash: string; email_verified: Generated<boolean>; created_at: CreatedAt };
  memberships: { user_id: string; account_id: string; roles: string[]; created_at: CreatedAt };
  // team/ (0003_team.sql)
  team_roles: {
    id: string; account_id: string; name: string; description: string; permissions: string[]; phishing_resistant_mfa: boolean;
    created_by: string; created_at: CreatedAt; updated_at: ColumnType<Date, Date | undefined, Date>;
  };
  invitations: {
    id: string; account_id: string; email: string; roles: string[]; token_hash: Buffer; invited_by: string;
    created_at: CreatedAt; expires_at: Date; accepted_at: Date | null; accepted_by: string | null; revoked_at: Date | null; revoked_by: string | null;
  };
  // sessions/ (0002_sessions.sql)
  sessions: {
    id: string; token_hash: Buffer; user_id: string; account_id: string; factor: SessionFactor; mfa_verified_at: Date | null;
    csrf_token: string; ip: string; country: string; device: string; created_at: CreatedAt; last_seen_at: Generated<Date>;
    rotated_at: Date | null; ended_at: Date | null; end_reason: string | null;
  };
  login_events: {
    id: Generated<string>; user_id: string; account_id: string | null; at: Generated<Date>; outcome: 'success' | 'failure';
    reason: string | null; factor: string; ip: string; country: string; device: string;
  };
  // auth/ (0004_auth.sql)
  signups: {
    id: string; email: string; business_name: string; password_hash: string; token_hash: Buffer;
    created_at: CreatedAt; expires_at: Date; used_at: Date | null;
  };
  password_resets: { id: string; user_id: string; token_hash: Buffer; created_at: CreatedAt; expires_at: Date; used_at: Date | null };
  auth_throttle: { scope: ThrottleScope; key: string; failures: number; last_failure_at: Date | null; locked_until: Date | null };
  password_history: { id: Generated<string>; user_id: string; password_hash: string; replaced_at: Generated<Date> };
  // mail/ (0005_mail_outbox.sql)
  mail_outbox: { id: Generated<string>; recipient: string; subject: string; body: string; created_at: CreatedAt };
  // mfa/ (0006_mfa.sql)
  mfa_totp: { user_id: string; secret_wrapped_key: string; secret_ciphertext: Buffer; confirmed_at: Date | null; last_step: number | null; created_at: CreatedAt };
  webauthn_credentials: {
    id: string; user_id: string; public_key: Buffer; counter: number; transports: string[]; device_type: 'singleDevice' | 'multiDevice';
    backed_up: boolean; name: string; created_at: CreatedAt; last_used_at: Date | null;
  };
  webauthn_challenges: { challenge: string; purpose: 'register' | 'second_factor' | 'step_up' | 'passkey_sign_in'; user_id: string | null; binding: string; created_at: CreatedAt; expires_at: Date };
  recovery_codes: { user_id: string; code_hash: Buffer; created_at: CreatedAt; used_at: Date | null };
  mfa_pending_sign_ins: {
    id: string; token_hash: Buffer; user_id: string; account_id: string; purpose: 'sign_in' | 'password_reset' | 'sign_up'; next: string;
    stage: 'verify' | 'enrol'; webauthn_only: boolean; verified_factor: 'totp' | 'webauthn' | 'recovery_code' | null; created_at: CreatedAt; expires_at: Date;
  };
  mfa_throttle: { user_id: string; failures: number; last_failure_at: Date | null; locked_until: Date | null };
  // account/ (0007_account_settings.sql)
  account_settings: { account_id: string; require_mfa: boolean; updated_by: string; updated_at: Date };
  // support/ (0008_support.sql)
  support_requests: {
    id: string; account_id: string; channel: SupportChannel; claimed_email: string; claimed_user_id: string | null; subject: string; body: string;
    status: SupportStatus; verification: 'session' | 'code' | null; verified_by: string | null; decided_at: Date | null; created_at: CreatedAt;
  };
  support_events: {
    id: Generated<string>; request_id: string; account_id: string; kind: SupportEventKind; actor_type: 'user' | 'staff'; actor_id: string;
    detail: Generated<string>; at: Generated<Date>;
  };
  support_codes: {
    id: Generated<string>; account_id: string; user_id: string; code_hash: Buffer; created_at: CreatedAt; expires_at: Date;
    used_at: Date | null; used_for: string | null;
  };
  // profile/ (0010_email_changes.sql)
  email_changes: {
    id: string; user_id: string; old_email: string; new_email: string; token_hash: Buffer; created_at: CreatedAt; expires_at: Date; used_at: Date | null;
  };
};
