// Keeps the vault's copy of merchants' public keys (hashes only) equal to the api's: the vault
// authenticates tokenization with them but owns no accounts. Every `intervalMs`, at once when kicked
// (a key was created, rolled or revoked), and as a public key's expiry (a rolled key's grace) passes,
// the job pushes each account whose current key set differs from what the vault last acknowledged.
// A failed push is retried on the next run; nothing else waits for it.
import { createHash } from 'node:crypto';
import type { Logger } from 'pino';
import { hashApiKey } from '#lib/contracts/index.ts';
import { sql, type Kysely } from '#lib/db/index.ts';
import type { ApiDatabase } from '../db.ts';
import type { PublicKeyPush, VaultClient } from './vault-client.ts';

export const KEY_SYNC_INTERVAL_MS = 30_000;
const RETRY_MS = 2_000;
// A run at an expiry waits this much past it (clocks of the api and the database may differ a little),
// and never less than the floor, so a clock behind the database's cannot spin the job.
const EXPIRY_SLACK_MS = 100;
const EXPIRY_FLOOR_MS = 250;

export function createPublicKeySyncJob(deps: { db: Kysely<ApiDatabase>; vault: Pick<VaultClient, 'putPublicKeys'>; logger: Logger }) {
  const { db, vault, logger } = deps;

  /** When the next active public key expires (epoch ms), as of the last run. */
  let nextExpiry: number | undefined;

  async function currentKeys(): Promise<Map<string, PublicKeyPush[]>> {
    const rows = await db.selectFrom('api_keys').select(['id', 'account_id', 'public_value', 'livemode', 'expires_at'])
      .where('kind', '=', 'public')
      .where((eb) => eb.or([eb('expires_at', 'is', null), eb('expires_at', '>', sql<Date>`now()`)]))
      .orderBy('account_id').orderBy('id').execute();
    const byAccount = new Map<string, PublicKeyPush[]>();
    nextExpiry = undefined;
    for (const row of rows) {
      if (row.expires_at !== null) nextExpiry = Math.min(nextExpiry ?? Infinity, row.expires_at.getTime());
      const keys = byAccount.get(row.account_id) ?? [];
      keys.push({ key_id: row.id, key_hash: hashApiKey(row.public_value!), livemode: row.livemode });
      byAccount.set(row.account_id, keys);
    }
    return byAccount;
  }

  const fingerprintOf = (keys: readonly PublicKeyPush[]) => createHash('sha256').update(JSON.stringify(keys)).digest('hex');

  /** Pushes every account whose keys changed; returns how many were pushed and how many failed. */
  async function runOnce(): Promise<{ pushed: number; failed: number }> {
    const keys = await currentKeys();
    const synced = new Map((await db.selectFrom('vault_key_sync').select(['account_id', 'fingerprint']).execute()).map((row) => [row.account_id, row.fingerprint]));
    // Accounts with no active key any more are pushed an empty set.
    for (const accountId of synced.keys()) if (!keys.has(accountId)) keys.set(accountId, []);
    let pushed = 0;
    let failed = 0;
    for (const [accountId, set] of keys) {
      const fingerprint = fingerprintOf(set);
      if (synced.get(accountId) === fingerprint) continue;
      const answer = await vault.putPublicKeys(accountId, set).catch((error: unknown) => error as Error);
      if (answer instanceof Error || answer.status !== 200) {
        failed++;
        logger.warn({ account: accountId, status: answer instanceof Error ? undefined : answer.status, err: answer instanceof Error ? answer : undefined }, 'pushing public keys to the vault failed; will retry');
        continue;
      }
      await db.insertInto('vault_key_sync').values({ account_id: accountId, fingerprint, synced_at: new Date() })
        .onConflict((oc) => oc.column('account_id').doUpdateSet({ fingerprint, synced_at: new Date() })).execute();
      pushed++;
    }
    return { pushed, failed };
  }

  let timer: NodeJS.Timeout | undefined;
  let expiryTimer: NodeJS.Timeout | undefined;
  let interval = KEY_SYNC_INTERVAL_MS;
  let running: Promise<unknown> | undefined;
  let again = false;
  let started = false;
  function run(): void {
    if (running) {
      again = true;
      return;
    }
    running = runOnce().then((result) => {
      // The vault may still be starting: try again soon rather than at the next interval.
      if (result.failed > 0 && started) setTimeout(run, RETRY_MS).unref();
      // A key expiring before the next interval is withdrawn from the vault as it expires.
      clearTimeout(expiryTimer);
      const delay = nextExpiry === undefined ? Infinity : Math.max(EXPIRY_FLOOR_MS, nextExpiry - Date.now() + EXPIRY_SLACK_MS);
      if (started && delay < interval) expiryTimer = setTimeout(run, delay).unref();
    }, (error: unknown) => logger.warn({ err: error }, 'public key sync failed; will retry'))
      .finally(() => {
        running = undefined;
        if (again) {
          again = false;
          run();
        }
      });
  }
  return {
    runOnce,
    /** A key changed: push soon, without waiting for the interval. */
    kick: () => { if (started) run(); },
    start(intervalMs = KEY_SYNC_INTERVAL_MS) {
      if (started) return;
      started = true;
      interval = intervalMs;
      run();
      timer = setInterval(run, intervalMs);
      timer.unref();
    },
    async stop() {
      started = false;
      clearInterval(timer);
      clearTimeout(expiryTimer);
      while (running) await running;
    },
  };
}

export type PublicKeySyncJob = ReturnType<typeof createPublicKeySyncJob>;
