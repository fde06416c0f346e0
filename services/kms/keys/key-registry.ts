// The key registry: which keys and versions exist and in which state, read through a short cache
// (several KMS instances share one database: a change made by another instance is seen within
// CACHE_TTL_MS), and the transactions that create, rotate and change versions.
import type { Kysely, Transaction } from '#lib/db/index.ts';
import { familyOf } from '#lib/contracts/index.ts';
import { httpError } from '#lib/http/index.ts';
import type { KeyBackend } from '../backends/key-backend.ts';
import type { KmsDatabase, VersionState } from '../db.ts';
import { createVersionMaterial } from './key-material.ts';
import type { KeyRow, KeyStore, VersionRow } from './keys.store.ts';

export const CACHE_TTL_MS = 2_000;

export type KeySnapshot = { key: KeyRow; versions: VersionRow[]; loadedAt: number };
/** Writes the audit entry of a change inside the transaction that makes it. */
export type RecordIn<T> = (tx: Transaction<KmsDatabase>, result: T) => Promise<void>;

export function createKeyRegistry(deps: { db: Kysely<KmsDatabase>; store: KeyStore; backend: KeyBackend; now?: () => number }) {
  const { db, store, backend } = deps;
  const now = deps.now ?? Date.now;
  const cache = new Map<string, KeySnapshot>();

  async function load(keyId: string): Promise<KeySnapshot | undefined> {
    const cached = cache.get(keyId);
    if (cached && now() - cached.loadedAt < CACHE_TTL_MS) return cached;
    const key = await store.findKey(keyId);
    if (!key) {
      cache.delete(keyId);
      return undefined;
    }
    const snapshot = { key, versions: await store.listVersions(db, keyId), loadedAt: now() };
    cache.set(keyId, snapshot);
    return snapshot;
  }

  /** Adds a new active version under the key row lock; the previous primary becomes decrypt-only. */
  async function addVersion(tx: Transaction<KmsDatabase>, key: KeyRow, at = new Date()): Promise<number> {
    const version = await store.nextVersion(tx, key.id);
    const material = await createVersionMaterial(backend, { keyId: key.id, version }, key.purpose);
    if (key.primary_version !== null) await store.setVersionState(tx, key.id, key.primary_version, 'decrypt-only');
    await store.insertVersion(tx, { keyId: key.id, version, backend: backend.kind, ...material });
    await store.setPrimary(tx, key.id, version, at);
    return version;
  }

  return {
    load,
    invalidate(keyId: string) {
      cache.delete(keyId);
    },
    /**
     * The key with a usable primary version, created on first use (policy families only). Returns the
     * snapshot and whether a key or version was created (for the audit entry).
     */
    async ensurePrimary(keyId: string, recordIn: RecordIn<number>): Promise<{ snapshot: KeySnapshot; created: number | null }> {
      const existing = await load(keyId);
      if (existing?.key.primary_version != null) return { snapshot: existing, created: null };
      const found = familyOf(keyId);
      if (!found) throw httpError(404, 'key_not_found', 'no such key');
      const created = await db.transaction().execute(async (tx) => {
        await store.insertKeyIfAbsent(tx, { id: keyId, family: found.name, purpose: found.family.purpose, cryptoPeriodDays: found.family.cryptoPeriodDays });
        const key = await store.lockKey(tx, keyId);
        if (!key) throw new Error('key row vanished');
        if (key.primary_version !== null) return null;
        const version = await addVersion(tx, key);
        await recordIn(tx, version);
        return version;
      });
      cache.delete(keyId);
      const snapshot = await load(keyId);
      if (!snapshot) throw new Error('key not readable after creation');
      return { snapshot, created };
    },
    /**
     * A new primary version. With `dueAt`, only if the key's crypto-period has run out by then (checked
     * under the row lock, so several instances running the schedule rotate a key once); else null.
     */
    async rotate(keyId: string, recordIn: RecordIn<{ from: number | null; to: number }>, dueAt?: Date): Promise<{ from: number | null; to: number } | null> {
      const result = await db.transaction().execute(async (tx) => {
        const key = await store.lockKey(tx, keyId);
        if (!key) throw httpError(404, 'key_not_found', 'no such key');
        if (dueAt !== undefined && !isDue(key, dueAt)) return null;
        const rotated = { from: key.primary_version, to: await addVersion(tx, key, dueAt) };
        await recordIn(tx, rotated);
        return rotated;
      });
      cache.delete(keyId);
      return result;
    },
    /** Lifecycle change of one version; destroying one wipes its handle and secret and shreds the backend KEK. */
    async setState(keyId: string, version: number, state: Exclude<VersionState, 'active'>, recordIn: RecordIn<VersionState>): Promise<VersionState> {
      const previous = await db.transaction().execute(async (tx) => {
        const key = await store.lockKey(tx, keyId);
        if (!key) throw httpError(404, 'key_not_found', 'no such key');
        const row = (await store.listVersions(tx, keyId)).find((v) => v.version === version);
        if (!row) throw httpError(404, 'key_not_found', 'no such key version');
        if (row.state === 'active') throw httpError(409, 'conflict', 'the primary version cannot change state: rotate first');
        if (row.state === 'destroyed') throw httpError(410, 'key_version_unavailable', 'the key version is destroyed');
        if (state === 'decrypt-only' && version < key.min_decrypt_version) {
          throw httpError(409, 'conflict', 'the version is below the minimum decryption version');
        }
        if (state === 'destroyed') await backend.destroyKek({ keyId, version }, row.handle ?? '');
        await store.setVersionState(tx, keyId, version, state);
        await recordIn(tx, row.state);
        return row.state;
      });
      cache.delete(keyId);
      return previous;
    },
    /** Versions below `version` stop decrypting (retired); `version` must not be newer than the primary. */
    async setMinDecryptVersion(keyId: string, version: number, recordIn: RecordIn<number[]>): Promise<number[]> {
      const retired = await db.transaction().execute(async (tx) => {
        const key = await store.lockKey(tx, keyId);
        if (!key) throw httpError(404, 'key_not_found', 'no such key');
        if (key.primary_version === null || version > key.primary_version) {
          throw httpError(409, 'conflict', 'the minimum decryption version cannot be newer than the primary version');
        }
        const changed: number[] = [];
        for (const row of await store.listVersions(tx, keyId)) {
          if (row.version < version && row.state === 'decrypt-only') {
            await store.setVersionState(tx, keyId, row.version, 'retired');
            changed.push(row.version);
          }
        }
        await store.setMinDecryptVersion(tx, keyId, version);
        await recordIn(tx, changed);
        return changed;
      });
      cache.delete(keyId);
      return retired;
    },
    /** Crypto-shredding: every version destroyed; the next use of the key creates a fresh version. */
    async destroyKey(keyId: string, recordIn: RecordIn<number[]>): Promise<number[]> {
      const destroyed = await db.transaction().execute(async (tx) => {
        const key = await store.lockKey(tx, keyId);
        if (!key) throw httpError(404, 'key_not_found', 'no such key');
        const shredded: number[] = [];
        for (const row of await store.listVersions(tx, keyId)) {
          if (row.state === 'destroyed') continue;
          await backend.destroyKek({ keyId, version: row.version }, row.handle ?? '');
          await store.setVersionState(tx, keyId, row.version, 'destroyed');
          shredded.push(row.version);
        }
        await store.setPrimary(tx, keyId, null);
        await recordIn(tx, shredded);
        return shredded;
      });
      cache.delete(keyId);
      return destroyed;
    },
  };
}

export type KeyRegistry = ReturnType<typeof createKeyRegistry>;

function isDue(key: KeyRow, at: Date): boolean {
  if (key.crypto_period_days === null || key.primary_version === null) return false;
  return key.rotated_at.getTime() + key.crypto_period_days * 86_400_000 <= at.getTime();
}

/** The version row that may decrypt, or an error saying why not. */
export function decryptableVersion(snapshot: KeySnapshot | undefined, version: number): VersionRow {
  const row = snapshot?.versions.find((v) => v.version === version);
  if (!snapshot || !row) throw httpError(404, 'key_not_found', 'no such key version');
  if (row.state === 'destroyed' || row.state === 'retired' || version < snapshot.key.min_decrypt_version || row.handle === null) {
    throw httpError(410, 'key_version_unavailable', `key version ${version} is ${row.state === 'destroyed' ? 'destroyed' : 'retired'}`);
  }
  return row;
}
