// The audit log as CSV (RFC 4180), safe to open in a spreadsheet: a cell that starts with = + - @
// (or a tab or carriage return) could be run as a formula (CSV injection), so it gets a leading
// apostrophe; every cell is quoted, with quotes doubled. Lines end with CRLF.
import type { AuditRow } from './audit-trail.ts';

const FORMULA_START = /^[=+\-@\t\r]/;

export function csvCell(value: string | number | null): string {
  const text = value === null ? '' : String(value);
  const safe = FORMULA_START.test(text) ? `'${text}` : text;
  return `"${safe.replaceAll('"', '""')}"`;
}

export const CSV_COLUMNS = [
  'time', 'service', 'seq', 'actor_type', 'actor_id', 'actor_email', 'action', 'targets', 'result', 'reason',
  'ip', 'user_agent', 'via', 'request_id', 'metadata', 'hash',
] as const;

export function csvLine(values: ReadonlyArray<string | number | null>): string {
  return `${values.map(csvCell).join(',')}\r\n`;
}

export function csvRow(row: AuditRow): string {
  return csvLine([
    row.time.toISOString(), row.service, row.seq, row.actorType, row.actorId, row.actorEmail, row.action, row.targets,
    row.result, row.reason, row.ip, row.userAgent, row.via, row.requestId, row.metadata, row.hash,
  ]);
}
