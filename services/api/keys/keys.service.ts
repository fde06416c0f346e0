// API key management for the dashboard and operators (internal listener only, never the public API):
// list, create, roll with a grace period, set a secret key's IP allow-list, revoke. Every change
// happens with the account's keys locked, is audited in its transaction, and tells the public-key sync
// job (the vault must learn of every public key that appears or goes). Secret keys in clear exist only
// in the answer that created them.
import { AUDIT_ERROR_CODES, isAuditError, type Audit } from '#lib/audit/index.ts';
import type { Kysely, Transaction } from '#lib/db/index.ts';
import { httpError } from '#lib/http/index.ts';
import type { KeyKind } from '#lib/contracts/index.ts';
import type { ApiDatabase } from '../db.ts';
import type { KeyRow, KeyStore } from './keys.store.ts';
import { keyView } from './key-view.ts';
import { issueKey } from './new-key.ts';
import { parseAllowlist } from './ip-allowlist.ts';
import { KEY_AUDIT, keyAuditRecord, type KeyActor } from './keys.audit.ts';

export const KEY_LIMITS = {
  /**
   * Active keys of one kind in one mode: room to roll and to give servers their own keys, not to hoard.
   * 5 public keys per mode is also what the vault takes per account (10, services/vault/merchants/).
   */
  activePerKindAndMode: 5,
  /** A rolled key keeps working at most this long (7 days). */
  maxGraceSeconds: 7 * 24 * 3600,
  /** Keys in one list answer, newest first. */
  listMax: 100,
} as const;

const KEY_NOT_FOUND = 'api key was not found';
const isActive = (key: KeyRow, at: Date) => key.expires_at === null || key.expires_at > at;
const describe = (key: Pick<KeyRow, 'kind' | 'livemode' | 'hint'>) => ({ kind: key.kind, livemode: key.livemode, hint: key.hint });

export function createKeyService(deps: {
  db: Kysely<ApiDatabase>; store: KeyStore; audit: Pick<Audit, 'record'>;
  /** A key appeared, expires or went: the public-key sync job pushes the change to the vault. */
  onKeysChanged?: () => void; now?: () => number;
}) {
  const { db, store, audit } = deps;
  const now = () => new Date((deps.now ?? Date.now)());

  /** Runs a change with the account's keys locked; `keyId`, when given, must be one of them. */
  async function change<T>(accountId: string, keyId: string | undefined,
    fn: (tx: Transaction<ApiDatabase>, keys: KeyRow[], key: KeyRow | undefined, at: Date) => Promise<T>): Promise<T> {
    let result: T;
    try {
      result = await db.transaction().execute(async (tx) => {
        const { keys, key } = await store.lockAccountKeys(tx, accountId, keyId);
        if (keys.length === 0 && !(await store.accountExists(accountId))) throw httpError(404, 'not_found', 'account was not found');
        if (keyId !== undefined && !key) throw httpError(404, 'not_found', KEY_NOT_FOUND);
        return fn(tx, keys, key, now());
      });
    } catch (error) {
      // The audit guard refuses an actor id that looks like a card number or a key: bad input, not a fault.
      if (isAuditError(error) && error.code === AUDIT_ERROR_CODES.refused) throw httpError(400, 'bad_request', 'actor_id is not acceptable');
      throw error;
    }
    deps.onKeysChanged?.();
    return result;
  }

  function roomFor(keys: readonly KeyRow[], kind: KeyKind, livemode: boolean, at: Date): void {
    const active = keys.filter((key) => key.kind === kind && key.livemode === livemode && isActive(key, at)).length;
    if (active >= KEY_LIMITS.activePerKindAndMode) {
      throw httpError(409, 'conflict', `at most ${KEY_LIMITS.activePerKindAndMode} active ${livemode ? 'live' : 'test'} ${kind} keys; revoke one first`);
    }
  }

  function mustBeActive(key: KeyRow, at: Date): void {
    if (!isActive(key, at)) throw httpError(409, 'conflict', 'this key has expired');
  }

  return {
    async list(accountId: string, options: { includeExpired: boolean }) {
      const at = now();
      const rows = await store.list(accountId, { includeExpired: options.includeExpired, limit: KEY_LIMITS.listMax, at });
      if (rows.length === 0 && !(await store.accountExists(accountId))) throw httpError(404, 'not_found', 'account was not found');
      return rows.map((row) => keyView(row, at));
    },

    /** New keys in one mode: a public and a secret key, or one kind. Secret values are in this answer only. */
    async create(accountId: string, input: { livemode: boolean; kind?: KeyKind }, actor: KeyActor) {
      const kinds: KeyKind[] = input.kind ? [input.kind] : ['public', 'secret'];
      return change(accountId, undefined, async (tx, keys, _key, at) => {
        const created = [];
        for (const kind of kinds) {
          roomFor(keys, kind, input.livemode, at);
          const { row, value } = issueKey(accountId, kind, input.livemode);
          const inserted = await store.insert(tx, row);
          await audit.record(tx, keyAuditRecord(actor, KEY_AUDIT.created, accountId, [{ type: 'api_key', id: row.id }], describe(row)));
          created.push(keyView(inserted, at, value));
        }
        return created;
      });
    },

    /**
     * A new key of the same kind and mode (a secret key keeps its allow-list); the old one works for
     * `graceSeconds` more (0: it stops now). A key already expiring is not rolled again: roll its successor.
     */
    async roll(accountId: string, keyId: string, input: { graceSeconds: number }, actor: KeyActor) {
      if (!Number.isInteger(input.graceSeconds) || input.graceSeconds < 0 || input.graceSeconds > KEY_LIMITS.maxGraceSeconds) {
        throw httpError(400, 'bad_request', `grace_seconds must be a whole number from 0 to ${KEY_LIMITS.maxGraceSeconds} (7 days)`);
      }
      return change(accountId, keyId, async (tx, keys, key, at) => {
        const old = key!;
        mustBeActive(old, at);
        if (old.expires_at !== null) throw httpError(409, 'conflict', 'this key is already expiring; roll its replacement or revoke it');
        roomFor(keys, old.kind, old.livemode, at);
        const { row, value } = issueKey(accountId, old.kind, old.livemode, old.ip_allowlist);
        const created = await store.insert(tx, row);
        const rolled = await store.setExpiry(tx, old.id, new Date(at.getTime() + input.graceSeconds * 1000));
        await audit.record(tx, keyAuditRecord(actor, KEY_AUDIT.rolled, accountId, [{ type: 'api_key', id: old.id }, { type: 'api_key', id: row.id }],
          { ...describe(row), grace_seconds: input.graceSeconds, replaced_hint: old.hint }));
        return { rolled: keyView(rolled, at), created: keyView(created, at, value) };
      });
    },

    /** Requests with this secret key must come from one of these blocks; null lifts the restriction. */
    async setAllowlist(accountId: string, keyId: string, blocks: readonly string[] | null, actor: KeyActor) {
      const checked = blocks === null ? null : parseAllowlist(blocks);
      if (checked && !checked.ok) throw httpError(400, 'bad_request', checked.message);
      const cidrs = checked ? checked.cidrs : null;
      return change(accountId, keyId, async (tx, _keys, key, at) => {
        if (key!.kind !== 'secret') throw httpError(400, 'bad_request', 'an IP allow-list applies to secret keys only');
        mustBeActive(key!, at);
        const updated = await store.setAllowlist(tx, key!.id, cidrs);
        await audit.record(tx, keyAuditRecord(actor, KEY_AUDIT.allowlistSet, accountId, [{ type: 'api_key', id: key!.id }],
          { ...describe(key!), ip_allowlist: cidrs }));
        return keyView(updated, at);
      });
    },

    /** The key stops working now (a rolled key's grace ends early). */
    async revoke(accountId: string, keyId: string, actor: KeyActor) {
      return change(accountId, keyId, async (tx, _keys, key, at) => {
        mustBeActive(key!, at);
        const revoked = await store.setExpiry(tx, key!.id, at);
        await audit.record(tx, keyAuditRecord(actor, KEY_AUDIT.revoked, accountId, [{ type: 'api_key', id: key!.id }],
          { ...describe(key!), was_expiring: key!.expires_at !== null }));
        return keyView(revoked, at);
      });
    },
  };
}

export type KeyService = ReturnType<typeof createKeyService>;
