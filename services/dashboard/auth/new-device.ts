// "Signed in from a new device": a sign-in whose device (browser family and OS, as sessions/client.ts
// names it, without the browser's version, so an update is not a new device) and country appear
// together in none of the user's earlier successful sign-ins. The very first sign-in (after
// sign-up, an invitation, or before any history was kept) has nothing to compare with, so it is
// not reported: every device would be "new", and the user has just been told about the account.
import type { Transaction } from '#lib/db/index.ts';
import type { DashboardDatabase } from '../db.ts';
import type { ClientInfo } from '../sessions/client.ts';
import type { LoginHistoryStore } from './login-history.store.ts';

export type SignInNovelty = 'first' | 'known' | 'new';

/** "Chrome 140 on Linux (desktop)" → "Chrome on Linux (desktop)": the browser's major version dropped. */
export function deviceFamily(device: string): string {
  return device.replace(/^(.*?) \d+(?= on | \(|$)/, '$1');
}

/** Run inside the sign-in's transaction, before the sign-in itself is recorded. */
export async function signInNovelty(tx: Transaction<DashboardDatabase>, history: Pick<LoginHistoryStore, 'successfulPlaces'>, userId: string, client: ClientInfo): Promise<SignInNovelty> {
  const places = await history.successfulPlaces(tx, userId);
  if (places.length === 0) return 'first';
  const family = deviceFamily(client.device);
  return places.some((p) => p.country === client.country && deviceFamily(p.device) === family) ? 'known' : 'new';
}
