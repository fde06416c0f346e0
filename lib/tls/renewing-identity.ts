import { X509Certificate } from 'node:crypto';
import { createListeners, validateIdentityMaterial, type Identity, type IdentityMaterial } from './identity-material.ts';
import { generateKeyPair } from './pki.ts';
import { identityOfPeer, isServiceName } from './spiffe.ts';

export type IssueFunction = (publicKeyPem: string) => Promise<{ readonly certPem: string; readonly caPem: string }>;

export type RenewingIdentityOptions = {
  /** Label for errors and logs (`api-internal`). */
  readonly name: string;
  /** When set, every issued certificate must carry exactly this service's SPIFFE ID (internal identities). */
  readonly expectedIdentity?: string;
  readonly issue: IssueFunction;
  /** Renew after this fraction of the certificate's remaining lifetime at issuance (default 2/3). */
  readonly renewFraction?: number;
  readonly onError?: (error: unknown) => void;
  readonly retry?: { readonly initialMs?: number; readonly maxMs?: number };
};

// A certificate shorter-lived than this would make the renewal loop spin.
const MIN_LIFETIME_MS = 1_000;
const MIN_RETRY_MS = 100;
// Node fires a timer set beyond 2^31-1 ms (about 24.8 days) after 1 ms: a 90-day certificate renewed at
// a third of its life (30 days) would renew in a tight loop. Longer waits are armed in steps.
const MAX_TIMER_MS = 2 ** 31 - 1;

/**
 * A short-lived identity that renews itself: a fresh key pair every time (keys never outlive their
 * certificate), renewal at `renewFraction` of the lifetime, exponential backoff with jitter on failure
 * (tightening as expiry nears). Resolves once the first certificate is issued, rejects if that fails.
 * Timers are unref()'d so an identity never keeps a process alive on its own.
 */
export async function createRenewingIdentity(options: RenewingIdentityOptions): Promise<Identity> {
  if (!isServiceName(options.name)) throw new TypeError(`invalid identity name: ${JSON.stringify(options.name)}`);
  if (options.expectedIdentity !== undefined && !isServiceName(options.expectedIdentity)) {
    throw new TypeError(`invalid expected identity: ${JSON.stringify(options.expectedIdentity)}`);
  }
  const fraction = options.renewFraction ?? 2 / 3;
  if (!(fraction > 0 && fraction < 1)) throw new RangeError('renewFraction must be between 0 and 1');
  const initialRetryMs = options.retry?.initialMs ?? 1_000;
  const maxRetryMs = options.retry?.maxMs ?? 60_000;
  const report =
    options.onError ?? ((error: unknown) => process.emitWarning(`${options.name}: ${describe(error)}`, 'IdentityRenewalWarning'));

  async function obtain(): Promise<IdentityMaterial> {
    const pair = generateKeyPair();
    const { certPem, caPem } = await options.issue(pair.publicKeyPem);
    const material = validateIdentityMaterial({ keyPem: pair.privateKeyPem, certPem, caPem });
    if (options.expectedIdentity !== undefined) {
      const carried = identityOfPeer(new X509Certificate(certPem));
      if (carried !== options.expectedIdentity) {
        throw new Error(`${options.name}: issued certificate carries identity ${String(carried)}, expected ${options.expectedIdentity}`);
      }
    }
    if (material.notAfter.getTime() - Date.now() < MIN_LIFETIME_MS) {
      throw new Error(`${options.name}: issued certificate lifetime is too short`);
    }
    return material;
  }

  let current = await obtain();
  let obtainedAt = Date.now();
  let stopped = false;
  let failures = 0;
  let timer: NodeJS.Timeout | undefined;
  const listeners = createListeners<IdentityMaterial>(report);

  function schedule(delayMs: number): void {
    arm(Date.now() + Math.max(0, Math.round(delayMs)));
  }

  function arm(dueAt: number): void {
    const wait = Math.max(0, dueAt - Date.now());
    timer = wait > MAX_TIMER_MS ? setTimeout(() => arm(dueAt), MAX_TIMER_MS) : setTimeout(() => void renew(), wait);
    timer.unref();
  }

  function retryDelay(): number {
    const backoff = Math.min(maxRetryMs, initialRetryMs * 2 ** (failures - 1)) * (0.5 + Math.random() * 0.5);
    const remaining = current.notAfter.getTime() - Date.now();
    // Before expiry, retry at least twice within the time left; after expiry, plain backoff.
    return remaining > 0 ? Math.max(MIN_RETRY_MS, Math.min(backoff, remaining / 2)) : backoff;
  }

  async function renew(): Promise<void> {
    if (stopped) return;
    const startedAt = Date.now();
    try {
      const next = await obtain();
      if (stopped) return;
      current = next;
      obtainedAt = startedAt;
      failures = 0;
      listeners.emit(next);
      schedule((next.notAfter.getTime() - obtainedAt) * fraction);
    } catch (error) {
      if (stopped) return;
      failures++;
      report(error);
      schedule(retryDelay());
    }
  }

  schedule((current.notAfter.getTime() - obtainedAt) * fraction);

  return {
    current: () => current,
    onChange: listeners.add,
    stop(): void {
      stopped = true;
      clearTimeout(timer);
      listeners.clear();
    },
  };
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
