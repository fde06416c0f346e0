// Key operations behind the KMS API: policy check (by the caller's certificate identity), seal check
// (fail closed), the operation, and an audit entry for every outcome. Never returns or records a KEK.
import { createHmac, randomBytes, sign as edSign } from 'node:crypto';
import type { Audit } from '#lib/audit/index.ts';
import { ADMIN_CALLERS, familyOf, formatWrapped, mayUseKey, parseWrapped, type KeyOperation } from '#lib/contracts/index.ts';
import type {
  DataKeyResponse, DecryptResponse, MacBatchResponse, MacResponse, PublicKeysResponse, RewrapResponse, SignResponse,
} from '#lib/contracts/index.ts';
import { httpError, isHttpError } from '#lib/http/index.ts';
import { BackendError, type KeyBackend } from '../backends/key-backend.ts';
import type { VersionState } from '../db.ts';
import type { KmsMetrics } from '../metrics/kms-metrics.ts';
import { signingKeyFrom } from './key-material.ts';
import { decryptableVersion, type KeyRegistry, type KeySnapshot } from './key-registry.ts';
import { KMS_AUDIT_ACTIONS, type KmsAuditAction } from './keys.audit.ts';

export type CallContext = { readonly caller: string | null; readonly ip?: string; readonly requestId?: string };

const DATA_KEY_BYTES = 32;

export function createKeyService(deps: { registry: KeyRegistry; backend: KeyBackend; audit: Audit; metrics: KmsMetrics }) {
  const { registry, backend, audit, metrics } = deps;
  // Unwrapped HMAC and signing secrets, per key version, only while unsealed.
  const secrets = new Map<string, Buffer>();

  function entry(ctx: CallContext, action: KmsAuditAction, keyId: string, outcome: { ok: boolean; reason?: string }, metadata: Record<string, string | number | null> = {}) {
    return {
      actor: ctx.caller ? { type: 'service' as const, id: ctx.caller } : { type: 'system' as const, id: 'unauthenticated' },
      action,
      targets: [{ type: 'kms_key', id: keyId }],
      tenant: familyOf(keyId)?.tenant ?? null,
      outcome: outcome.ok ? { result: 'success' as const } : { result: 'failure' as const, reason: outcome.reason ?? 'failed' },
      origin: { ip: ctx.ip, certIdentity: ctx.caller ?? undefined },
      requestId: ctx.requestId,
      metadata,
    };
  }

  /** Runs one audited, timed operation: refusals and failures are audited as surely as successes. */
  // A change records its success inside its own transaction (`recorded: true`); reads record it here.
  type Outcome<T> = { result: T; metadata: Record<string, string | number | null>; recorded?: true };
  async function audited<T>(ctx: CallContext, action: KmsAuditAction, keyId: string, run: () => Promise<Outcome<T>>): Promise<T> {
    return metrics.time(action, async () => {
      let outcome: Outcome<T>;
      try {
        outcome = await run();
      } catch (error) {
        const reason = isHttpError(error) ? error.code : error instanceof BackendError ? error.code : 'internal_error';
        await audit.recordStandalone(entry(ctx, action, keyId, { ok: false, reason })).catch(() => undefined);
        throw toHttp(error);
      }
      // Fail closed: a key operation whose audit entry cannot be written returns nothing.
      if (!outcome.recorded) await audit.recordStandalone(entry(ctx, action, keyId, { ok: true }, outcome.metadata));
      return outcome.result;
    });
  }

  function authorize(ctx: CallContext, operation: KeyOperation, keyId: string) {
    if (!mayUseKey(ctx.caller, operation, keyId)) throw httpError(403, 'forbidden', `this caller may not use ${operation} on this key`);
  }
  function authorizeAdmin(ctx: CallContext) {
    if (ctx.caller === null || !ADMIN_CALLERS.includes(ctx.caller)) throw httpError(403, 'forbidden', 'key administration is for operators');
  }
  function assertUnsealed() {
    if (backend.isSealed()) throw httpError(503, 'kms_sealed', 'the KMS is sealed');
  }

  async function primaryOf(ctx: CallContext, keyId: string): Promise<KeySnapshot> {
    const { snapshot } = await registry.ensurePrimary(keyId, (tx, version) =>
      audit.record(tx, entry(ctx, KMS_AUDIT_ACTIONS.create, keyId, { ok: true }, { version })));
    return snapshot;
  }
  function primaryRow(snapshot: KeySnapshot) {
    const row = snapshot.versions.find((v) => v.version === snapshot.key.primary_version);
    if (!row || row.handle === null) throw httpError(410, 'key_version_unavailable', 'the key has no usable primary version');
    return row;
  }

  async function unwrapBlob(text: string) {
    const blob = parseWrapped(text);
    if (!blob) throw httpError(400, 'invalid_wrapped_key', 'wrapped is not a wrapped key of this KMS');
    const row = decryptableVersion(await registry.load(blob.keyId), blob.version);
    return { blob, plaintext: await backend.unwrap({ keyId: blob.keyId, version: blob.version }, row.handle!, blob.ciphertext) };
  }

  async function secretOf(snapshot: KeySnapshot, version: number): Promise<Buffer> {
    const cacheKey = `${snapshot.key.id}:${version}`;
    const cached = secrets.get(cacheKey);
    if (cached) return cached;
    const row = decryptableVersion(snapshot, version);
    if (row.wrapped_secret === null) throw httpError(409, 'conflict', 'the key holds no secret');
    const secret = await backend.unwrap({ keyId: row.key_id, version }, row.handle!, Buffer.from(row.wrapped_secret, 'base64'));
    secrets.set(cacheKey, secret);
    return secret;
  }

  function forget(keyId: string) {
    for (const [cacheKey, secret] of secrets) {
      if (cacheKey.startsWith(`${keyId}:`)) {
        secret.fill(0);
        secrets.delete(cacheKey);
      }
    }
  }

  return {
    /** A fresh data key: plaintext (for in-memory use by the caller) and wrapped by the primary KEK version. */
    dataKey: (ctx: CallContext, keyId: string) => audited<DataKeyResponse>(ctx, KMS_AUDIT_ACTIONS.dataKey, keyId, async () => {
      authorize(ctx, 'data-key', keyId);
      assertUnsealed();
      const row = primaryRow(await primaryOf(ctx, keyId));
      const plaintext = randomBytes(DATA_KEY_BYTES);
      try {
        const ciphertext = await backend.wrap({ keyId, version: row.version }, row.handle!, plaintext);
        const wrapped = formatWrapped({ keyId, version: row.version, ciphertext });
        return { result: { key_id: keyId, version: row.version, plaintext: plaintext.toString('base64'), wrapped }, metadata: { version: row.version } };
      } finally {
        plaintext.fill(0);
      }
    }),

    decrypt: async (ctx: CallContext, wrapped: string) => {
      const keyId = parseWrapped(wrapped)?.keyId ?? 'invalid';
      return audited<DecryptResponse>(ctx, KMS_AUDIT_ACTIONS.decrypt, keyId, async () => {
        if (!parseWrapped(wrapped)) throw httpError(400, 'invalid_wrapped_key', 'wrapped is not a wrapped key of this KMS');
        authorize(ctx, 'decrypt', keyId);
        assertUnsealed();
        const { blob, plaintext } = await unwrapBlob(wrapped);
        try {
          return { result: { key_id: keyId, version: blob.version, plaintext: plaintext.toString('base64') }, metadata: { version: blob.version } };
        } finally {
          plaintext.fill(0);
        }
      });
    },

    /** Moves a wrapped key to the primary KEK version without the caller ever decrypting data. */
    rewrap: async (ctx: CallContext, wrapped: string) => {
      const keyId = parseWrapped(wrapped)?.keyId ?? 'invalid';
      return audited<RewrapResponse>(ctx, KMS_AUDIT_ACTIONS.rewrap, keyId, async () => {
        if (!parseWrapped(wrapped)) throw httpError(400, 'invalid_wrapped_key', 'wrapped is not a wrapped key of this KMS');
        authorize(ctx, 'rewrap', keyId);
        assertUnsealed();
        const { blob, plaintext } = await unwrapBlob(wrapped);
        try {
          const row = primaryRow(await primaryOf(ctx, keyId));
          const ciphertext = row.version === blob.version ? blob.ciphertext : await backend.wrap({ keyId, version: row.version }, row.handle!, plaintext);
          return { result: { key_id: keyId, version: row.version, wrapped: formatWrapped({ keyId, version: row.version, ciphertext }) }, metadata: { from: blob.version, version: row.version } };
        } finally {
          plaintext.fill(0);
        }
      });
    },

    hmac: (ctx: CallContext, keyId: string, data: Buffer) => audited<MacResponse>(ctx, KMS_AUDIT_ACTIONS.hmac, keyId, async () => {
      authorize(ctx, 'hmac', keyId);
      assertUnsealed();
      const snapshot = await primaryOf(ctx, keyId);
      const version = primaryRow(snapshot).version;
      const mac = createHmac('sha256', await secretOf(snapshot, version)).update(data).digest('base64');
      return { result: { key_id: keyId, version, mac }, metadata: { version } };
    }),

    /** Many MACs under one version in one call, audited as one entry with the count (never the data). */
    hmacBatch: (ctx: CallContext, keyId: string, data: readonly Buffer[]) => audited<MacBatchResponse>(ctx, KMS_AUDIT_ACTIONS.hmac, keyId, async () => {
      authorize(ctx, 'hmac', keyId);
      assertUnsealed();
      const snapshot = await primaryOf(ctx, keyId);
      const version = primaryRow(snapshot).version;
      const secret = await secretOf(snapshot, version);
      const macs = data.map((item) => createHmac('sha256', secret).update(item).digest('base64'));
      return { result: { key_id: keyId, version, macs }, metadata: { version, count: data.length } };
    }),

    sign: (ctx: CallContext, keyId: string, data: Buffer) => audited<SignResponse>(ctx, KMS_AUDIT_ACTIONS.sign, keyId, async () => {
      authorize(ctx, 'sign', keyId);
      assertUnsealed();
      const snapshot = await primaryOf(ctx, keyId);
      const version = primaryRow(snapshot).version;
      const signature = edSign(null, data, signingKeyFrom(await secretOf(snapshot, version))).toString('base64');
      return { result: { key_id: keyId, version, signature }, metadata: { version } };
    }),

    /** Public verification keys of every version not destroyed (public data: no seal check). */
    publicKeys: (ctx: CallContext, keyId: string) => audited<PublicKeysResponse>(ctx, KMS_AUDIT_ACTIONS.publicKeys, keyId, async () => {
      authorize(ctx, 'public-keys', keyId);
      const snapshot = await registry.load(keyId);
      if (!snapshot) throw httpError(404, 'key_not_found', 'no such key');
      const keys = snapshot.versions.filter((v) => v.public_key !== null && v.state !== 'destroyed')
        .map((v) => ({ version: v.version, state: v.state, public_key_pem: v.public_key! }));
      return { result: { key_id: keyId, keys }, metadata: {} };
    }),

    describe: (ctx: CallContext, keyId: string) => audited(ctx, KMS_AUDIT_ACTIONS.describe, keyId, async () => {
      authorizeAdmin(ctx);
      const snapshot = await registry.load(keyId);
      if (!snapshot) throw httpError(404, 'key_not_found', 'no such key');
      const { key } = snapshot;
      return {
        result: {
          key_id: key.id, purpose: key.purpose, primary_version: key.primary_version, min_decrypt_version: key.min_decrypt_version,
          crypto_period_days: key.crypto_period_days, rotated_at: key.rotated_at.toISOString(),
          versions: snapshot.versions.map((v) => ({ version: v.version, state: v.state, backend: v.backend, created_at: v.created_at.toISOString() })),
        },
        metadata: {},
      };
    }),

    rotate: (ctx: CallContext, keyId: string) => audited(ctx, KMS_AUDIT_ACTIONS.rotate, keyId, async () => {
      authorizeAdmin(ctx);
      assertUnsealed();
      return { result: await rotateKey(ctx, keyId), metadata: {}, recorded: true };
    }),

    setState: (ctx: CallContext, keyId: string, version: number, state: Exclude<VersionState, 'active'>) =>
      audited(ctx, KMS_AUDIT_ACTIONS.setState, keyId, async () => {
        authorizeAdmin(ctx);
        assertUnsealed();
        await registry.setState(keyId, version, state, (tx, from) =>
          audit.record(tx, entry(ctx, KMS_AUDIT_ACTIONS.setState, keyId, { ok: true }, { version, from, to: state })));
        forget(keyId);
        return { result: { key_id: keyId, version, state }, metadata: {}, recorded: true };
      }),

    setMinDecryptVersion: (ctx: CallContext, keyId: string, version: number) =>
      audited(ctx, KMS_AUDIT_ACTIONS.minDecryptVersion, keyId, async () => {
        authorizeAdmin(ctx);
        const retired = await registry.setMinDecryptVersion(keyId, version, (tx, changed) =>
          audit.record(tx, entry(ctx, KMS_AUDIT_ACTIONS.minDecryptVersion, keyId, { ok: true }, { version, retired: changed.join(',') })));
        forget(keyId);
        return { result: { key_id: keyId, min_decrypt_version: version, retired }, metadata: {}, recorded: true };
      }),

    /** Crypto-shredding: what was wrapped under any version of the key can never be unwrapped again. */
    destroy: (ctx: CallContext, keyId: string) => audited(ctx, KMS_AUDIT_ACTIONS.destroy, keyId, async () => {
      authorize(ctx, 'destroy', keyId);
      assertUnsealed();
      const destroyed = await registry.destroyKey(keyId, (tx, versions) =>
        audit.record(tx, entry(ctx, KMS_AUDIT_ACTIONS.destroy, keyId, { ok: true }, { versions: versions.join(',') })));
      forget(keyId);
      return { result: { key_id: keyId, destroyed_versions: destroyed }, metadata: {}, recorded: true };
    }),

    /** Scheduled rotation (crypto-period), by the rotation job as the `kms` service itself: null when not due. */
    rotateIfDue: async (keyId: string, now: Date) => {
      if (backend.isSealed()) return null;
      const ctx = { caller: 'kms' };
      return registry.rotate(keyId, (tx, r) =>
        audit.record(tx, entry(ctx, KMS_AUDIT_ACTIONS.rotate, keyId, { ok: true }, { from: r.from, version: r.to, reason: 'crypto_period' })), now);
    },

    /**
     * In-process signing of the KMS's own audit checkpoints. Not audited: the checkpoint row is the
     * record, and auditing it would move the stream head it just signed (a checkpoint every interval forever).
     */
    async signOwnCheckpoint(keyId: 'audit-checkpoint', data: Uint8Array) {
      assertUnsealed();
      const snapshot = await primaryOf({ caller: 'kms' }, keyId);
      const version = primaryRow(snapshot).version;
      const signature = edSign(null, data, signingKeyFrom(await secretOf(snapshot, version))).toString('base64');
      return { keyId, keyVersion: version, signature };
    },

    /** Sealing forgets every unwrapped secret. */
    forgetSecrets() {
      for (const secret of secrets.values()) secret.fill(0);
      secrets.clear();
    },
  };

  async function rotateKey(ctx: CallContext, keyId: string) {
    const rotated = await registry.rotate(keyId, (tx, r) =>
      audit.record(tx, entry(ctx, KMS_AUDIT_ACTIONS.rotate, keyId, { ok: true }, { from: r.from, version: r.to, reason: 'on_demand' })));
    if (rotated === null) throw new Error('rotation without a due date returned nothing');
    return { key_id: keyId, previous_version: rotated.from, primary_version: rotated.to };
  }
}

export type KeyService = ReturnType<typeof createKeyService>;

function toHttp(error: unknown) {
  if (isHttpError(error)) return error;
  if (error instanceof BackendError) {
    if (error.code === 'sealed') return httpError(503, 'kms_sealed', 'the KMS is sealed');
    if (error.code === 'unwrap_failed') return httpError(422, 'unwrap_failed', 'the wrapped key could not be unwrapped');
    if (error.code === 'key_missing') return httpError(410, 'key_version_unavailable', 'the key version is no longer held by the backend');
  }
  return error;
}
