// Audit actions emitted by the accounts capability.
export const ACCOUNT_AUDIT = {
  created: 'account.create',
  keyCreated: 'api_key.create',
} as const;
