// Data-encryption keys (DEKs) for card data, from the KMS (envelope encryption). One DEK serves many
// records, within a maximum age and a maximum count kept in PostgreSQL (so every vault instance shares
// the bound): the KMS is asked for a DEK about once per `maxUses` records. Plaintext DEKs exist only in
// memory: the current one, and a bounded, expiring cache for decryption, zeroised when they leave.
// Fails closed: when the KMS cannot serve, KmsUnavailableError propagates and nothing falls back.
import type { Audit } from '#lib/audit/index.ts';
import { parseWrapped, randomBase36 } from '#lib/contracts/index.ts';
import type { Kysely, Transaction } from '#lib/db/index.ts';
import type { KmsClient } from '#lib/kms-client/index.ts';
import type { VaultDatabase } from '../db.ts';
import { DATA_KEY_AUDIT_ACTIONS, dataKeyEntry } from './data-keys.audit.ts';
import type { DataKeyStore, WrappedDataKey } from './data-keys.store.ts';
import { createDekCache } from './dek-cache.ts';

export const CARD_DATA_KEY = 'card-data';
export const DEK_BYTES = 32;
export const DEK_ID_PATTERN = /^dek_[0-9a-z]{24}$/;
export const DATA_KEY_DEFAULTS = { maxAgeMs: 5 * 60_000, maxUses: 5_000, cacheMaxEntries: 1_000, cacheTtlMs: 15 * 60_000 } as const;
// A DEK can be used up by other instances between being fetched and being counted: try again, a little.
const ATTEMPTS = 4;

/** A DEK for the caller's own use: `key` is a private copy the caller zeroises (`key.fill(0)`) when done. */
export type DataKey = { id: string; key: Buffer };

export class DataKeyError extends Error {
  readonly code: 'unknown_data_key' | 'invalid_kms_answer' | 'no_data_key' | 'closed';
  constructor(code: DataKeyError['code'], message: string) {
    super(message);
    this.name = 'DataKeyError';
    this.code = code;
  }
}

export type DataKeyServiceOptions = {
  db: Kysely<VaultDatabase>;
  store: DataKeyStore;
  kms: Pick<KmsClient, 'dataKey' | 'decrypt'>;
  audit: Pick<Audit, 'record'>;
  /** The KMS key (KEK) the DEKs are wrapped under. */
  keyId?: string;
  maxAgeMs?: number;
  maxUses?: number;
  cacheMaxEntries?: number;
  /** How long a fetched plaintext DEK may stay in memory (from the moment it was fetched). */
  cacheTtlMs?: number;
  /**
   * Uses counted per PostgreSQL round trip when no transaction is given: the instance reserves a block
   * and hands uses out of it in memory (default 1: every use counted). Unused uses of a block are lost
   * when the DEK is replaced, which only retires it early; no DEK ever serves more than `maxUses`.
   */
  reserveBlock?: number;
  /** Milliseconds since the epoch (tests inject a clock). */
  now?: () => number;
};

function copyKey(key: Buffer): Buffer {
  const out = Buffer.alloc(DEK_BYTES);
  key.copy(out);
  return out;
}

// Decodes straight into a buffer of our own (not Node's shared pool), so zeroising it clears the bytes.
function decodeKey(base64: string): Buffer {
  if (Buffer.byteLength(base64, 'base64') !== DEK_BYTES) throw new DataKeyError('invalid_kms_answer', 'the KMS returned a data key of the wrong size');
  const key = Buffer.alloc(DEK_BYTES);
  key.write(base64, 'base64');
  return key;
}

export function createDataKeyService(options: DataKeyServiceOptions) {
  const { db, store, kms, audit } = options;
  const keyId = options.keyId ?? CARD_DATA_KEY;
  const maxAgeMs = options.maxAgeMs ?? DATA_KEY_DEFAULTS.maxAgeMs;
  const maxUses = options.maxUses ?? DATA_KEY_DEFAULTS.maxUses;
  const cacheTtlMs = options.cacheTtlMs ?? DATA_KEY_DEFAULTS.cacheTtlMs;
  const reserveBlock = Math.min(options.reserveBlock ?? 1, maxUses);
  // Uses of the current DEK already counted in PostgreSQL and not yet handed out (reserveBlock > 1).
  let reserved: { id: string; remaining: number } | undefined;
  const now = options.now ?? Date.now;
  if (!(maxAgeMs > 0)) throw new Error('data keys: maxAgeMs must be positive');
  if (!Number.isInteger(maxUses) || maxUses < 1) throw new Error('data keys: maxUses must be a positive integer');
  const cache = createDekCache({ maxEntries: options.cacheMaxEntries ?? DATA_KEY_DEFAULTS.cacheMaxEntries, ttlMs: cacheTtlMs, now });

  type Current = { id: string; key: Buffer; createdAt: number; fetchedAt: number };
  let current: Current | undefined;
  let obtaining: Promise<void> | undefined;
  const waiting = new Map<string, Array<{ resolve(key: Buffer): void; reject(error: unknown): void }>>();
  let closed = false;
  const closedError = () => new DataKeyError('closed', 'the data-key service is closed');

  // Expired keys leave memory even when nobody asks for them again.
  const sweeper = setInterval(() => sweep(), Math.min(cacheTtlMs, 60_000));
  sweeper.unref();

  function sweep() {
    if (current && now() - current.createdAt >= maxAgeMs) demote(current.id);
    cache.sweep();
  }

  /** No new records under `id` from this instance; its key stays cached for decryption until it expires. */
  function demote(id: string) {
    if (current?.id !== id) return;
    cache.set(current.id, current.key, current.fetchedAt + cacheTtlMs);
    current = undefined;
  }

  function install(next: Current) {
    if (closed) {
      next.key.fill(0);
      throw closedError();
    }
    if (current) demote(current.id);
    current = next;
  }

  async function unwrap(row: WrappedDataKey): Promise<Buffer> {
    const answer = await kms.decrypt(row.wrapped);
    const key = decodeKey(answer.plaintext);
    if (answer.key_id !== row.key_id) {
      key.fill(0);
      throw new DataKeyError('invalid_kms_answer', 'the KMS unwrapped the data key under another key');
    }
    return key;
  }

  /** Makes a DEK current: one still open in PostgreSQL (another instance's), else a new one from the KMS. */
  async function obtain(): Promise<void> {
    const at = now();
    const createdAfter = new Date(at - maxAgeMs);
    await store.retireAged(keyId, createdAfter, new Date(at));
    const open = await store.findOpen(keyId, { createdAfter, maxUses });
    if (open) {
      install({ id: open.id, key: await unwrap(open), createdAt: open.created_at.getTime(), fetchedAt: now() });
      return;
    }
    const fresh = await kms.dataKey(keyId);
    const key = decodeKey(fresh.plaintext);
    const blob = parseWrapped(fresh.wrapped);
    const createdAt = now();
    const id = `dek_${randomBase36(24)}`;
    try {
      if (fresh.key_id !== keyId || blob?.keyId !== keyId || blob.version !== fresh.version) {
        throw new DataKeyError('invalid_kms_answer', 'the KMS returned a data key for another key or version');
      }
      await db.transaction().execute(async (tx) => {
        await store.insert(tx, { id, keyId, kekVersion: fresh.version, wrapped: fresh.wrapped, createdAt: new Date(createdAt) });
        await audit.record(tx, dataKeyEntry(DATA_KEY_AUDIT_ACTIONS.create,
          [{ type: 'data_key', id }, { type: 'kms_key', id: keyId }], { key_id: keyId, kek_version: fresh.version }));
      });
    } catch (error) {
      key.fill(0);
      throw error;
    }
    install({ id, key, createdAt, fetchedAt: now() });
  }

  /** A copy of the current DEK, made in the same tick as the check that it is current. */
  async function currentCopy(): Promise<DataKey> {
    for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
      if (closed) throw closedError();
      if (current && now() - current.createdAt < maxAgeMs) return { id: current.id, key: copyKey(current.key) };
      if (current) demote(current.id);
      // Single flight: concurrent callers wait for one new DEK instead of each asking the KMS.
      obtaining ??= obtain().finally(() => { obtaining = undefined; });
      await obtaining;
    }
    throw new DataKeyError('no_data_key', 'no data key could be made current');
  }

  async function forEncryption(tx?: Transaction<VaultDatabase>, uses = 1): Promise<DataKey> {
    if (!Number.isInteger(uses) || uses < 1 || uses > maxUses) throw new RangeError(`data keys: uses must be 1–${maxUses}`);
    for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
      const dek = await currentCopy();
      // From this instance's reserved block: no round trip (checked and taken in one tick).
      if (!tx && reserved?.id === dek.id && reserved.remaining >= uses) {
        reserved.remaining -= uses;
        return dek;
      }
      const at = now();
      const counting = tx ? uses : Math.max(uses, reserveBlock);
      let count: number | undefined;
      try {
        count = await store.countUse(tx ?? db, dek.id, { maxUses, createdAfter: new Date(at - maxAgeMs), now: new Date(at) }, counting);
        // Used up, too little room left for this batch, past its age, or retired (perhaps by another
        // instance): retired for every instance, so none adopts it again.
        if (count === undefined) await store.retire(dek.id, new Date(at));
      } catch (error) {
        dek.key.fill(0);
        throw error;
      }
      if (count !== undefined) {
        if (counting > uses) reserved = { id: dek.id, remaining: counting - uses };
        if (count >= maxUses) demote(dek.id);
        return dek;
      }
      dek.key.fill(0);
      demote(dek.id);
    }
    throw new DataKeyError('no_data_key', 'no data key could be reserved for encryption');
  }

  async function fetchForDecryption(id: string, tx?: Transaction<VaultDatabase>): Promise<Buffer> {
    const row = DEK_ID_PATTERN.test(id) ? await store.find(id, tx) : undefined;
    if (!row) throw new DataKeyError('unknown_data_key', 'no data key has this id');
    return unwrap(row);
  }

  function forDecryption(id: string, tx?: Transaction<VaultDatabase>): Promise<Buffer> {
    if (closed) return Promise.reject(closedError());
    const live = current?.id === id ? current.key : cache.get(id);
    if (live) return Promise.resolve(copyKey(live));
    return new Promise((resolve, reject) => {
      const queue = waiting.get(id);
      if (queue) return void queue.push({ resolve, reject });
      waiting.set(id, [{ resolve, reject }]);
      // One KMS call per id however many callers wait; each gets its own copy, made right here. The row
      // is read in the first caller's transaction (open until this settles): callers holding pooled
      // connections while they wait would otherwise leave none for the read, a deadlock under load.
      fetchForDecryption(id, tx).then((key) => {
        const waiters = waiting.get(id) ?? [];
        waiting.delete(id);
        if (closed) {
          key.fill(0);
          for (const waiter of waiters) waiter.reject(closedError());
          return;
        }
        for (const waiter of waiters) waiter.resolve(copyKey(key));
        cache.set(id, key);
      }, (error: unknown) => {
        const waiters = waiting.get(id) ?? [];
        waiting.delete(id);
        for (const waiter of waiters) waiter.reject(error);
      });
    });
  }

  return {
    /**
     * The DEK for `uses` new records (default one), counted against its bounds (in `tx` when given: the count then
     * commits or rolls back with the record, but the DEK row stays locked until `tx` ends, which
     * serialises concurrent encryptions; without `tx` the count is its own statement and may
     * over-count a rolled-back record, which only retires the DEK a little early).
     */
    forEncryption,
    /**
     * The plaintext of DEK `id` (a private copy: zeroise it when done), from memory or the KMS. Inside a
     * transaction pass it as `tx`, so a cache miss reads the wrapped DEK on that connection.
     */
    forDecryption,
    /** Plaintext DEKs held in memory now (the current one and the cache). */
    keysInMemory: () => cache.size + (current ? 1 : 0),
    close() {
      closed = true;
      clearInterval(sweeper);
      current?.key.fill(0);
      current = undefined;
      cache.clear();
    },
  };
}

export type DataKeyService = ReturnType<typeof createDataKeyService>;
