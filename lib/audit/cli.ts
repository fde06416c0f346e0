// `npm run audit:verify`: a printable report, one line per stream, and the exit code to return.
import { sql, type Kysely } from '#lib/db/index.ts';
import type { PublicKeyLookup } from './public-keys.ts';
import type { CheckpointVerification } from './verify-checkpoints.ts';
import { verifyStreams, type StreamVerification } from './verify-streams.ts';

/** `text`: one line per stream; `exitCode`: 0 when every stream (and, when checked, every checkpoint) verifies, 1 otherwise. */
export type VerifyReport = { text: string; exitCode: 0 | 1; streams: StreamVerification[] };
export type RunVerifyOptions = {
  stream?: string;
  /** Check the signed checkpoints against these keys; without them the report says they were not checked. */
  publicKeys?: PublicKeyLookup;
  /** With publicKeys: the service whose database this is; every checkpoint must name it. */
  service?: string;
};

// Stream names come from the database; quote anything unusual so a tampered name cannot forge report lines.
const printable = (name: string) => (/^[A-Za-z0-9_.:-]{1,128}$/.test(name) ? name : JSON.stringify(name));

function formatCheckpoints(result: CheckpointVerification): string {
  if (!result.ok) return `checkpoint BROKEN at seq ${result.firstBrokenCheckpoint} (${result.reason})`;
  if (result.lastSeq === null) return `no checkpoints, ${result.unsignedTail} entries unsigned`;
  const tail = result.unsignedTail === 0 ? 'no entries after it' : `${result.unsignedTail} entries unsigned after it`;
  return `checkpoints OK ${result.count}, signed to seq ${result.lastSeq}, ${tail}`;
}

export function formatVerification(result: StreamVerification): string {
  const name = printable(result.stream);
  const chain = result.ok
    ? `stream ${name}: OK ${result.count} entries, head ${result.head ? result.head.hash.slice(0, 12) : 'none'}`
    : `stream ${name}: BROKEN at seq ${result.firstBrokenSeq} (${result.reason})`;
  return result.checkpoints ? `${chain}; ${formatCheckpoints(result.checkpoints)}` : chain;
}

/** True when the chain verifies and, if they were checked, so does every checkpoint. */
export const streamVerified = (result: StreamVerification): boolean => result.ok && result.checkpoints?.ok !== false;

export async function runVerify<DB>(db: Kysely<DB>, options: RunVerifyOptions = {}): Promise<VerifyReport> {
  const streams = await verifyStreams(db, options);
  const lines = streams.length ? streams.map(formatVerification) : ['no audit streams'];
  if (!options.publicKeys) {
    const filter = options.stream === undefined ? sql`` : sql`WHERE stream = ${options.stream}`;
    const stored = await sql<{ n: number }>`SELECT count(*)::int AS n FROM audit_checkpoints ${filter}`.execute(db);
    const n = stored.rows[0]?.n ?? 0;
    if (n > 0) lines.push(`signed checkpoints: ${n} stored, NOT checked (no public key given)`);
  }
  return { text: lines.join('\n'), exitCode: streams.every(streamVerified) ? 0 : 1, streams };
}
