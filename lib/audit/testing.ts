// Test harness for lib/audit and for services' tests: a throwaway database with the audit tables
// (plus any other migration sets), a well-formed sample record, and raw reads of the log.
import { sql, type Kysely, type MigrationSet } from '#lib/db/index.ts';
import { createTestDatabase, type TestDatabase } from '#lib/db/testing.ts';
import { auditMigrations } from './migrations.ts';
import type { AuditRecord } from './record.ts';

export async function createAuditTestDatabase<DB = unknown>(more: MigrationSet[] = []): Promise<TestDatabase<DB>> {
  return createTestDatabase<DB>([await auditMigrations(), ...more]);
}

export function sampleRecord(overrides: Partial<AuditRecord> = {}): AuditRecord {
  return {
    actor: { type: 'user', id: 'user_test_1', display: 'Ada', sessionId: 'sess_1' },
    action: 'customer.create',
    targets: [{ type: 'customer', id: 'cust_test_1' }],
    tenant: 'acct_test_a',
    outcome: { result: 'success' },
    origin: { ip: '203.0.113.7', userAgent: 'test-agent/1.0' },
    requestId: 'req_1',
    metadata: { email_domain: 'example.com' },
    ...overrides,
  };
}

export type LogRow = { stream: string; seq: number; prev_hash: Buffer; hash: Buffer; entry: Record<string, unknown>; recorded_at: Date; chained_at: Date };

export async function readLog<DB>(db: Kysely<DB>, stream?: string): Promise<LogRow[]> {
  const filter = stream === undefined ? sql`` : sql`WHERE stream = ${stream}`;
  const result = await sql<LogRow>`SELECT * FROM audit_log ${filter} ORDER BY stream, seq`.execute(db);
  return result.rows.map((row) => ({ ...row, seq: Number(row.seq) }));
}

export async function countRows<DB>(db: Kysely<DB>, table: 'audit_log' | 'audit_outbox'): Promise<number> {
  const result = await sql<{ n: number }>`SELECT count(*)::int AS n FROM ${sql.table(table)}`.execute(db);
  return result.rows[0]?.n ?? 0;
}
