// A fresh key and the row that stores it: a public key's value as it is (it is public), a secret
// key's only as its SHA-256 hash. The value in clear goes back to the caller once and is kept nowhere.
import { hashApiKey, newApiKey, newId, type KeyKind } from '#lib/contracts/index.ts';
import type { NewKey } from './keys.store.ts';

export function issueKey(accountId: string, kind: KeyKind, livemode: boolean, ipAllowlist: string[] | null = null): { row: NewKey; value: string } {
  const value = newApiKey(kind, livemode);
  return {
    value,
    row: {
      id: newId('key'), account_id: accountId, kind, livemode,
      public_value: kind === 'public' ? value : null,
      secret_hash: kind === 'secret' ? hashApiKey(value) : null,
      hint: value.slice(-4),
      ip_allowlist: kind === 'secret' ? ipAllowlist : null,
    },
  };
}
