// Scheduled rotation: every key whose primary version is older than its crypto-period (default one
// year for KEKs, lib/contracts/kms.ts) gets a new primary version. Old versions keep decrypting until
// an operator raises the minimum decryption version; the vault's re-wrap job moves its data keys.
import type { Logger } from 'pino';
import type { KeyStore } from '../keys/keys.store.ts';
import type { KeyService } from '../keys/keys.service.ts';

export function createRotationJob(deps: { store: KeyStore; keys: KeyService; logger: Logger; intervalMs: number; now?: () => Date }) {
  const now = deps.now ?? (() => new Date());
  let timer: NodeJS.Timeout | undefined;

  async function runOnce(): Promise<string[]> {
    const at = now();
    const rotated: string[] = [];
    for (const { id } of await deps.store.keysDueForRotation(at)) {
      const result = await deps.keys.rotateIfDue(id, at);
      if (result) {
        rotated.push(id);
        deps.logger.info({ keyId: id, version: result.to }, 'key rotated at the end of its crypto-period');
      }
    }
    return rotated;
  }

  return {
    runOnce,
    start() {
      const tick = () => {
        runOnce().catch((error: unknown) => deps.logger.error({ err: error }, 'scheduled key rotation failed; retrying next interval'))
          .finally(() => { if (timer) timer = setTimeout(tick, deps.intervalMs).unref(); });
      };
      timer = setTimeout(tick, Math.min(deps.intervalMs, 5_000)).unref();
    },
    stop() {
      clearTimeout(timer);
      timer = undefined;
    },
  };
}
