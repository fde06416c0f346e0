// The audit log page's integrity check: the dashboard's own stream for the account, walked from seq 1
// with lib/audit verify (and its signed checkpoints, when the KMS public keys can be read), and the
// api's stream for the account as the api reports it. What is shown is OK or broken, with the first
// broken sequence and why.
import type { Audit, PublicKeyLookup, StreamVerification } from '#lib/audit/index.ts';
import type { ApiIntegrity, AuditApi } from './audit-api.ts';

export type IntegrityReport = {
  source: 'dashboard' | 'api';
  ok: boolean;
  /** One line on the chain, one on the checkpoints. */
  chain: string;
  checkpoints: string;
};

/** `fresh`: read the keys again rather than from a cache. */
export type CheckpointKeys = (fresh?: boolean) => Promise<PublicKeyLookup>;

const REASONS: Readonly<Record<string, string>> = {
  modified: 'an entry was changed', missing: 'an entry is missing', reordered: 'entries were reordered',
  inserted: 'an entry was inserted', bad_prev_hash: 'a link of the chain is wrong',
  unknown_key: 'signed with a key the KMS does not know', bad_signature: 'the signature does not verify',
  wrong_service: 'signed for another service', mismatch: 'the signed hash is not the stored one',
};
const why = (reason: string) => REASONS[reason] ?? reason;

function dashboardReport(result: StreamVerification | undefined, keysError: string | null): IntegrityReport {
  const chainOk = !result || result.ok;
  const chain = !result || result.ok
    ? `OK: ${result?.ok ? result.count : 0} entries linked from the first${result?.ok && result.head ? `, head ${result.head.hash.slice(0, 16)}… at seq ${result.head.seq}` : ''}.`
    : `BROKEN at seq ${result.firstBrokenSeq}: ${why(result.reason)}.`;
  const c = result?.checkpoints;
  let checkpoints: string;
  let signedOk = true;
  if (keysError !== null) checkpoints = `Signed checkpoints not checked: ${keysError}.`;
  else if (!c) checkpoints = 'No signed checkpoints yet.';
  else if (c.ok) checkpoints = c.lastSeq === null ? `No signed checkpoints yet (${c.unsignedTail} entries not yet signed).` : `OK: ${c.count} signed checkpoints verify, up to seq ${c.lastSeq}; ${c.unsignedTail} newer entries not yet signed.`;
  else {
    signedOk = false;
    checkpoints = `BROKEN at the checkpoint of seq ${c.firstBrokenCheckpoint}: ${why(c.reason)}.`;
  }
  return { source: 'dashboard', ok: chainOk && signedOk, chain, checkpoints };
}

export function apiReport(integrity: ApiIntegrity): IntegrityReport {
  const { chain: c, checkpoints: k } = integrity;
  const chain = c.ok
    ? `OK: ${c.count} entries linked from the first${c.head_hash ? `, head ${c.head_hash.slice(0, 16)}… at seq ${c.head_seq}` : ''}.`
    : `BROKEN at seq ${c.first_broken_seq}: ${why(c.reason)}.`;
  let checkpoints: string;
  if (!k.checked) checkpoints = `Signed checkpoints not checked: ${k.reason}.`;
  else if (!k.ok) checkpoints = `BROKEN at the checkpoint of seq ${k.first_broken_seq}: ${why(k.reason)}.`;
  else checkpoints = k.last_seq === null ? 'No signed checkpoints yet.' : `OK: ${k.count} signed checkpoints verify, up to seq ${k.last_seq}; ${k.unsigned_tail} newer entries not yet signed.`;
  return { source: 'api', ok: c.ok && (!k.checked || k.ok), chain, checkpoints };
}

export function createIntegrityCheck(deps: { audit: Pick<Audit, 'verify'>; api: AuditApi; checkpointKeys?: CheckpointKeys }) {
  // A walk reads the whole stream: concurrent checks of one account share the walk in progress.
  const inflight = new Map<string, Promise<IntegrityReport>>();

  async function walk(accountId: string): Promise<IntegrityReport> {
    let keysError: string | null = deps.checkpointKeys ? null : 'no KMS configured';
    const verify = async (fresh: boolean) => {
      let publicKeys: PublicKeyLookup | undefined;
      try {
        publicKeys = deps.checkpointKeys ? await deps.checkpointKeys(fresh) : undefined;
      } catch {
        keysError = 'the KMS public keys could not be read just now';
      }
      return (await deps.audit.verify(accountId, publicKeys ? { publicKeys } : {}))[0];
    };
    let result = await verify(false);
    // A key version newer than the cached keys (a rotation): read the keys again before saying broken.
    if (result?.checkpoints?.ok === false && result.checkpoints.reason === 'unknown_key') result = await verify(true);
    return dashboardReport(result, keysError);
  }

  return {
    dashboard(accountId: string): Promise<IntegrityReport> {
      const running = inflight.get(accountId);
      if (running) return running;
      const started = walk(accountId).finally(() => inflight.delete(accountId));
      inflight.set(accountId, started);
      return started;
    },
    /** null when the api could not answer (the page says so instead of guessing). */
    async api(accountId: string, requestId?: string): Promise<IntegrityReport | null> {
      try {
        return apiReport(await deps.api.integrity(accountId, { requestId }));
      } catch {
        return null;
      }
    },
  };
}
export type IntegrityCheck = ReturnType<typeof createIntegrityCheck>;
