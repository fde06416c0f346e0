import { readFileSync, unwatchFile, watchFile, type Stats } from 'node:fs';
import { createListeners, validateIdentityMaterial, type Identity, type IdentityMaterial } from './identity-material.ts';

export type FileIdentityOptions = {
  readonly keyPath: string;
  readonly certPath: string;
  readonly caPath: string;
  /** Polling interval for the files (default 1000 ms). */
  readonly pollIntervalMs?: number;
  readonly onError?: (error: unknown) => void;
  /**
   * Require the certificate to chain to the CA bundle at `caPath` (default true). Set false for a
   * public certificate whose CA is not the internal one; key/certificate match is always required.
   */
  readonly requireIssuedByCa?: boolean;
};

/**
 * Operator-supplied key, certificate (chain) and CA bundle, reloaded when any file changes.
 * The first load throws if the files are invalid. Later loads that fail (unreadable, key and
 * certificate mismatch while files are being replaced one by one, wrong CA, expired) keep the
 * previous identity and report through `onError`; the next change retries.
 */
export function createFileIdentity(options: FileIdentityOptions): Identity {
  const interval = options.pollIntervalMs ?? 1_000;
  const report = options.onError ?? ((error: unknown) => process.emitWarning(describe(error), 'IdentityReloadWarning'));
  const paths = [options.keyPath, options.certPath, options.caPath];

  function load(): IdentityMaterial {
    return validateIdentityMaterial(
      {
        keyPem: readFileSync(options.keyPath, 'utf8'),
        certPem: readFileSync(options.certPath, 'utf8'),
        caPem: readFileSync(options.caPath, 'utf8'),
      },
      { requireIssuedByCa: options.requireIssuedByCa ?? true },
    );
  }

  let current = load();
  let stopped = false;
  let debounce: NodeJS.Timeout | undefined;
  const listeners = createListeners<IdentityMaterial>(report);

  function reload(): void {
    if (stopped) return;
    let next: IdentityMaterial;
    try {
      next = load();
    } catch (error) {
      report(new Error(`identity files not reloaded, keeping the current identity: ${describe(error)}`));
      return;
    }
    if (next.keyPem === current.keyPem && next.certPem === current.certPem && next.caPem === current.caPem) return;
    current = next;
    listeners.emit(next);
  }

  // Files are often replaced one after another; wait for the burst to settle before reading.
  const onFileChange = (curr: Stats, prev: Stats): void => {
    if (curr.mtimeMs === prev.mtimeMs && curr.size === prev.size && curr.ino === prev.ino) return;
    clearTimeout(debounce);
    debounce = setTimeout(reload, Math.min(200, interval));
    debounce.unref();
  };
  for (const path of paths) watchFile(path, { interval, persistent: false }, onFileChange);

  return {
    current: () => current,
    onChange: listeners.add,
    stop(): void {
      stopped = true;
      clearTimeout(debounce);
      for (const path of paths) unwatchFile(path, onFileChange);
      listeners.clear();
    },
  };
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
