// The re-wrap job: after the KMS rotates a KEK, every stored DEK is moved to the newest KEK version by
// the KMS itself (`rewrap`), so old KEK versions can then be retired (minimum decryption version)
// without re-encrypting a single record. The vault handles wrapped DEKs only here: never a DEK in clear,
// never card data. Batches run under a transaction-scoped advisory lock, so instances never race.
import type { Logger } from 'pino';
import type { Audit } from '#lib/audit/index.ts';
import { parseWrapped, type RewrapResponse } from '#lib/contracts/index.ts';
import type { Kysely } from '#lib/db/index.ts';
import type { KmsClient } from '#lib/kms-client/index.ts';
import type { VaultDatabase } from '../db.ts';
import { DATA_KEY_AUDIT_ACTIONS, dataKeyEntry } from './data-keys.audit.ts';
import type { DataKeyStore, WrappedDataKey } from './data-keys.store.ts';

export const REWRAP_INTERVAL_MS = 10 * 60_000;

export type RewrapKeyResult = {
  keyId: string;
  moved: number;
  /** The newest KEK version, as the KMS named it; null when no DEK is stored under the key. */
  targetVersion: number | null;
  /** False when another instance held the lock and this run left the rest to it. */
  complete: boolean;
};

export function createRewrapJob(deps: {
  db: Kysely<VaultDatabase>;
  store: DataKeyStore;
  kms: Pick<KmsClient, 'rewrap'>;
  audit: Pick<Audit, 'record'>;
  logger: Pick<Logger, 'info' | 'error'>;
  batchSize?: number;
}) {
  const { db, store, kms, audit, logger } = deps;
  const batchSize = deps.batchSize ?? 100;
  if (!Number.isInteger(batchSize) || batchSize < 1 || batchSize > 10_000) throw new Error('rewrap job: batchSize must be 1–10000');

  async function rewrap(row: WrappedDataKey): Promise<RewrapResponse> {
    const answer = await kms.rewrap(row.wrapped);
    const blob = parseWrapped(answer.wrapped);
    if (answer.key_id !== row.key_id || blob?.keyId !== row.key_id || blob.version !== answer.version || answer.version < row.kek_version) {
      throw new Error('the KMS answered a re-wrap with a blob for another key or an older version');
    }
    return answer;
  }

  async function moveKey(keyId: string): Promise<RewrapKeyResult> {
    const probe = await store.newest(keyId);
    if (!probe) return { keyId, moved: 0, targetVersion: null, complete: true };
    // Every re-wrap answer names the newest KEK version: re-wrapping one DEK tells us the target.
    let target = (await rewrap(probe)).version;
    let moved = 0;
    for (let batch = 1; ; batch++) {
      const done = await db.transaction().execute(async (tx) => {
        if (!(await store.tryRewrapLock(tx))) return null;
        const rows = await store.belowVersion(tx, keyId, target, batchSize);
        let count = 0;
        for (const row of rows) {
          const answer = await rewrap(row);
          if (answer.version < target) throw new Error('the KMS re-wrapped a data key under an older version than it named before');
          target = answer.version; // a rotation during the run raises the target; the next batch follows it
          if (await store.replaceWrapped(tx, row.id, row.wrapped, { wrapped: answer.wrapped, version: answer.version })) count++;
        }
        const targets = [{ type: 'kms_key', id: keyId }];
        if (count > 0) {
          await audit.record(tx, dataKeyEntry(DATA_KEY_AUDIT_ACTIONS.rewrapProgress, targets,
            { key_id: keyId, batch, moved: count, moved_so_far: moved + count, target_version: target }));
        } else if (rows.length === 0 && moved > 0) {
          // Recorded under the lock, in the transaction that found nothing left to move.
          await audit.record(tx, dataKeyEntry(DATA_KEY_AUDIT_ACTIONS.rewrapComplete, targets,
            { key_id: keyId, total: moved, target_version: target }));
        }
        return { rows: rows.length, count };
      });
      if (done === null) return { keyId, moved, targetVersion: target, complete: false };
      moved += done.count;
      if (done.rows === 0) break;
      // Under the lock nothing else changes `wrapped`: a batch that moved nothing would only spin.
      if (done.count === 0) return { keyId, moved, targetVersion: target, complete: false };
    }
    if (moved > 0) logger.info({ keyId, moved, version: target }, 'data keys re-wrapped under the newest KEK version');
    return { keyId, moved, targetVersion: target, complete: true };
  }

  /** Moves every DEK below the newest KEK version of its key; returns what moved, per key. */
  async function runOnce(): Promise<{ moved: number; keys: RewrapKeyResult[] }> {
    const keys: RewrapKeyResult[] = [];
    for (const keyId of await store.keyIds()) keys.push(await moveKey(keyId));
    return { moved: keys.reduce((sum, key) => sum + key.moved, 0), keys };
  }

  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> | undefined;
  let started = false;
  return {
    runOnce,
    /** Runs every `intervalMs` (first run soon after start); a failure is logged and retried next time. */
    start(intervalMs: number = REWRAP_INTERVAL_MS) {
      if (started) return;
      started = true;
      const tick = () => {
        running = runOnce().then(() => undefined, (error: unknown) => {
          logger.error({ err: error }, 're-wrapping data keys failed; retrying next interval');
        }).finally(() => {
          running = undefined;
          if (started) timer = setTimeout(tick, intervalMs).unref();
        });
      };
      timer = setTimeout(tick, Math.min(intervalMs, 5_000)).unref();
    },
    /** Stops the timer and waits for a run in progress. */
    async stop() {
      started = false;
      clearTimeout(timer);
      timer = undefined;
      await running;
    },
  };
}

export type RewrapJob = ReturnType<typeof createRewrapJob>;
