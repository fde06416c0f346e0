// The integrity of one account's audit stream in the api database: the hash chain walked from seq 1
// (lib/audit verify) and, when the KMS public keys can be read, every signed checkpoint. A walk reads
// the whole stream, so concurrent requests for one account share the walk in progress.
import { verifyStreams, type StreamVerification } from '#lib/audit/index.ts';
import type { Kysely } from '#lib/db/index.ts';
import type { CheckpointKeys } from './checkpoint-keys.ts';

export type IntegrityView = {
  object: 'audit_integrity';
  service: 'api';
  checked_at: string;
  chain:
    | { ok: true; count: number; head_seq: number | null; head_hash: string | null }
    | { ok: false; first_broken_seq: number; reason: string };
  checkpoints:
    | { checked: true; ok: true; count: number; last_seq: number | null; unsigned_tail: number }
    | { checked: true; ok: false; first_broken_seq: number; reason: string }
    | { checked: false; reason: string };
};

function view(result: StreamVerification | undefined, keysError: string | null, at: Date): IntegrityView {
  const chain: IntegrityView['chain'] = !result || result.ok
    ? { ok: true, count: result?.ok ? result.count : 0, head_seq: result?.ok ? result.head?.seq ?? null : null, head_hash: result?.ok ? result.head?.hash ?? null : null }
    : { ok: false, first_broken_seq: result.firstBrokenSeq, reason: result.reason };
  const c = result?.checkpoints;
  let checkpoints: IntegrityView['checkpoints'];
  if (keysError !== null) checkpoints = { checked: false, reason: keysError };
  else if (!c) checkpoints = { checked: true, ok: true, count: 0, last_seq: null, unsigned_tail: chain.ok ? chain.count : 0 };
  else if (c.ok) checkpoints = { checked: true, ok: true, count: c.count, last_seq: c.lastSeq, unsigned_tail: c.unsignedTail };
  else checkpoints = { checked: true, ok: false, first_broken_seq: c.firstBrokenCheckpoint, reason: c.reason };
  return { object: 'audit_integrity', service: 'api', checked_at: at.toISOString(), chain, checkpoints };
}

export function createAuditIntegrity<DB>(deps: { db: Kysely<DB>; checkpointKeys?: CheckpointKeys; now?: () => Date }) {
  const inflight = new Map<string, Promise<IntegrityView>>();

  async function walk(accountId: string): Promise<IntegrityView> {
    let keysError: string | null = deps.checkpointKeys ? null : 'no KMS configured';
    const verify = async (fresh: boolean) => {
      let publicKeys;
      try {
        publicKeys = deps.checkpointKeys ? await deps.checkpointKeys(fresh) : undefined;
      } catch {
        keysError = 'the KMS public keys could not be read just now';
      }
      return (await verifyStreams(deps.db, { stream: accountId, publicKeys, service: publicKeys && 'api' }))[0];
    };
    let result = await verify(false);
    // A key version newer than the cached keys (a rotation): read the keys again before saying broken.
    if (result?.checkpoints?.ok === false && result.checkpoints.reason === 'unknown_key') result = await verify(true);
    return view(result, keysError, (deps.now ?? (() => new Date()))());
  }

  return {
    check(accountId: string): Promise<IntegrityView> {
      const running = inflight.get(accountId);
      if (running) return running;
      const started = walk(accountId).finally(() => inflight.delete(accountId));
      inflight.set(accountId, started);
      return started;
    },
  };
}
export type AuditIntegrity = ReturnType<typeof createAuditIntegrity>;
