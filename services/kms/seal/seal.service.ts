// Seal lifecycle of the local backend: initialisation (split knowledge: N custodian shares, threshold
// M), unseal by M shares submitted one at a time, reset of an unseal in progress, and sealing again.
// Unseal progress lives in this process only: shares are never written anywhere, and each KMS instance
// is unsealed on its own. The pkcs11 backend has no seal: it is "sealed" while not logged in.
import type { Logger } from 'pino';
import type { Audit } from '#lib/audit/index.ts';
import type { SealStatusResponse } from '#lib/contracts/index.ts';
import { httpError } from '#lib/http/index.ts';
import type { KeyBackend } from '../backends/key-backend.ts';
import type { LocalBackend } from '../backends/local-backend.ts';
import { KMS_AUDIT_ACTIONS, type KmsAuditAction } from '../keys/keys.audit.ts';
import type { CallContext } from '../keys/keys.service.ts';
import { initializeSeal } from './seal-init.ts';
import { SealError } from './seal-error.ts';
import { createUnsealProgress, type UnsealProgress } from './unseal-progress.ts';
import type { SealStore } from './seal.store.ts';

function isLocal(backend: KeyBackend): backend is LocalBackend {
  return backend.kind === 'local';
}

export function createSealService(deps: {
  store: SealStore;
  backend: KeyBackend;
  audit: Audit;
  logger: Logger;
  /** Called when the KMS seals: every unwrapped secret is forgotten. */
  onSeal: () => void;
}) {
  const { store, backend, audit } = deps;
  let progress: UnsealProgress | undefined;
  let initialized = false;

  async function record(ctx: CallContext, action: KmsAuditAction, ok: boolean, metadata: Record<string, string | number> = {}, reason?: string) {
    await audit.recordStandalone({
      actor: ctx.caller ? { type: 'service', id: ctx.caller } : { type: 'system', id: 'kms' },
      action,
      targets: [{ type: 'kms', id: 'seal' }],
      tenant: null,
      outcome: ok ? { result: 'success' } : { result: 'failure', reason: reason ?? 'failed' },
      origin: { ip: ctx.ip, certIdentity: ctx.caller ?? undefined },
      requestId: ctx.requestId,
      metadata,
    });
  }

  async function progressOf(): Promise<UnsealProgress> {
    if (progress) return progress;
    const sealRecord = await store.load();
    if (!sealRecord) throw httpError(409, 'conflict', 'the KMS is not initialised: run `strongroom kms init`');
    initialized = true;
    progress = createUnsealProgress(sealRecord);
    return progress;
  }

  function localBackend(): LocalBackend {
    if (!isLocal(backend)) throw httpError(409, 'conflict', 'the pkcs11 backend has no seal: its PIN unlocks it');
    return backend;
  }

  const service = {
    async status(): Promise<SealStatusResponse> {
      if (!isLocal(backend)) return { sealed: backend.isSealed(), initialized: true, backend: backend.kind, progress: 0, threshold: 0 };
      if (!initialized && (await store.load())) initialized = true;
      const current = initialized ? (await progressOf()).status() : { progress: 0, threshold: 0 };
      return { sealed: backend.isSealed(), initialized, backend: backend.kind, progress: current.progress, threshold: current.threshold };
    },

    /** Creates the seal and returns the custodian shares, once: they are stored nowhere. */
    async initialize(ctx: CallContext, options: { shares: number; threshold: number; allowSingleShare?: boolean }) {
      localBackend();
      if (await store.load()) throw httpError(409, 'conflict', 'the KMS is already initialised');
      let result;
      try {
        result = await initializeSeal(options);
      } catch (error) {
        if (error instanceof SealError) throw httpError(400, 'bad_request', error.message);
        throw error;
      }
      if (!(await store.insert(result.sealRecord))) throw httpError(409, 'conflict', 'the KMS is already initialised');
      initialized = true;
      progress = createUnsealProgress(result.sealRecord);
      await record(ctx, KMS_AUDIT_ACTIONS.init, true, { shares: options.shares, threshold: options.threshold, install: result.sealRecord.installId });
      return { install_id: result.sealRecord.installId, threshold: options.threshold, shares: result.shares };
    },

    /** One custodian's share. Audited with the progress, never with the share. */
    async submitShare(ctx: CallContext, share: string): Promise<SealStatusResponse> {
      const local = localBackend();
      if (!local.isSealed()) throw httpError(409, 'conflict', 'the KMS is already unsealed');
      const unseal = await progressOf();
      let result;
      try {
        result = await unseal.submit(share);
      } catch (error) {
        if (!(error instanceof SealError)) throw error;
        await record(ctx, KMS_AUDIT_ACTIONS.unsealShare, false, { progress: unseal.status().progress }, error.code);
        throw httpError(400, 'bad_request', error.message);
      }
      if (result.sealed) {
        await record(ctx, KMS_AUDIT_ACTIONS.unsealShare, true, { progress: result.progress, threshold: result.threshold });
        return { sealed: true, initialized: true, backend: 'local', progress: result.progress, threshold: result.threshold };
      }
      local.unseal(result.masterKey);
      result.masterKey.fill(0);
      deps.logger.warn('KMS unsealed');
      await record(ctx, KMS_AUDIT_ACTIONS.unseal, true);
      return service.status();
    },

    async resetUnseal(ctx: CallContext): Promise<SealStatusResponse> {
      (await progressOf()).reset();
      await record(ctx, KMS_AUDIT_ACTIONS.unsealReset, true);
      return service.status();
    },

    async seal(ctx: CallContext): Promise<SealStatusResponse> {
      localBackend().seal();
      deps.onSeal();
      progress?.reset();
      deps.logger.warn('KMS sealed');
      await record(ctx, KMS_AUDIT_ACTIONS.seal, true);
      return service.status();
    },
  };
  return service;
}

export type SealService = ReturnType<typeof createSealService>;
