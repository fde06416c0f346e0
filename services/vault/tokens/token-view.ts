// The Opn Payments (Omise) token object. `location` is absolute, on the vault host, as Omise's is.
import type { Selectable } from '#lib/db/index.ts';
import type { VaultDatabase } from '../db.ts';
import { cardView, omiseTime, type CardMetadata } from '../cards/card-view.ts';

export type TokenRow = Selectable<VaultDatabase['vault_tokens']>;

export function tokenView(token: TokenRow, card: CardMetadata, origin: string) {
  return {
    object: 'token' as const,
    id: token.id,
    livemode: token.livemode,
    location: `${origin}/tokens/${token.id}`,
    used: token.used_at !== null,
    charge_status: token.charge_status,
    card: { ...cardView(card), location: null },
    created_at: omiseTime(token.created_at),
  };
}

export type TokenView = ReturnType<typeof tokenView>;
