// `npm run audit:verify`: a printable report, one line per stream, and the exit code to return.
import type { Kysely } from '#lib/db/index.ts';
import { verifyStreams, type StreamVerification } from './verify-streams.ts';

/** `text`: one line per stream; `exitCode`: 0 when every stream verifies, 1 otherwise. */
export type VerifyReport = { text: string; exitCode: 0 | 1; streams: StreamVerification[] };

// Stream names come from the database; quote anything unusual so a tampered name cannot forge report lines.
const printable = (name: string) => (/^[A-Za-z0-9_.:-]{1,128}$/.test(name) ? name : JSON.stringify(name));

export function formatVerification(result: StreamVerification): string {
  const name = printable(result.stream);
  if (!result.ok) return `stream ${name}: BROKEN at seq ${result.firstBrokenSeq} (${result.reason})`;
  return `stream ${name}: OK ${result.count} entries, head ${result.head ? result.head.hash.slice(0, 12) : 'none'}`;
}

export async function runVerify<DB>(db: Kysely<DB>, options: { stream?: string } = {}): Promise<VerifyReport> {
  const streams = await verifyStreams(db, { stream: options.stream });
  const lines = streams.length ? streams.map(formatVerification) : ['no audit streams'];
  return { text: lines.join('\n'), exitCode: streams.every((s) => s.ok) ? 0 : 1, streams };
}
