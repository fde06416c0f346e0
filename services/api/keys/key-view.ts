// How a key is shown to the dashboard and operators. Never a hash; a secret key's value only in the
// answer that created it (`key`), never again. A public key's value is public by design (it goes into
// merchants' web pages), so it is shown.
import type { KeyRow } from './keys.store.ts';

const time = (date: Date | null) => (date === null ? null : date.toISOString().replace(/\.\d{3}Z$/, 'Z'));

export function keyView(row: KeyRow, now: Date, secretValue?: string) {
  return {
    object: 'api_key' as const,
    id: row.id,
    kind: row.kind,
    livemode: row.livemode,
    hint: row.hint,
    key: row.kind === 'public' ? row.public_value : (secretValue ?? null),
    active: row.expires_at === null || row.expires_at > now,
    created_at: time(row.created_at),
    expires_at: time(row.expires_at),
    last_used_at: time(row.last_used_at),
    last_used_ip: row.last_used_ip,
    ip_allowlist: row.ip_allowlist,
  };
}

export type KeyView = ReturnType<typeof keyView>;
