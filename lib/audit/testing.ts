// Test harness for lib/audit and for services' tests: a throwaway database with the audit tables
// (plus any other migration sets), a well-formed sample record, raw reads of the log and the
// checkpoints, and a stand-in for the KMS checkpoint signer (a fresh Ed25519 key pair).
import { generateKeyPairSync, sign, type KeyObject } from 'node:crypto';
import { sql, type Kysely, type MigrationSet } from '#lib/db/index.ts';
import { createTestDatabase, type TestDatabase } from '#lib/db/testing.ts';
import { auditMigrations } from './migrations.ts';
import type { CheckpointSigner } from './checkpointer.ts';
import { publicKeyLookup, type PublicKeyLookup } from './public-keys.ts';
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

export async function countRows<DB>(db: Kysely<DB>, table: 'audit_log' | 'audit_outbox' | 'audit_checkpoints'): Promise<number> {
  const result = await sql<{ n: number }>`SELECT count(*)::int AS n FROM ${sql.table(table)}`.execute(db);
  return result.rows[0]?.n ?? 0;
}

export type CheckpointRow = {
  id: string; service: string; stream: string; seq: number; hash: Buffer; signed_at: Date;
  key_id: string; key_version: number; signature: string; created_at: Date;
};

export async function readCheckpoints<DB>(db: Kysely<DB>, stream?: string): Promise<CheckpointRow[]> {
  const filter = stream === undefined ? sql`` : sql`WHERE stream = ${stream}`;
  const result = await sql<CheckpointRow>`SELECT * FROM audit_checkpoints ${filter} ORDER BY stream, seq`.execute(db);
  return result.rows.map((row) => ({ ...row, id: String(row.id), seq: Number(row.seq) }));
}

export type TestSigner = {
  signer: CheckpointSigner;
  /** The lookup a verifier would build from the public key file. */
  publicKeys: PublicKeyLookup;
  keyId: string;
  keyVersion: number;
  publicKey: KeyObject;
  privateKey: KeyObject;
  /** Payloads signed so far. */
  signed: Uint8Array[];
};

/** A stand-in for the KMS audit key: a real Ed25519 key pair, signing in process. */
export function createTestSigner(keyId = 'audit-checkpoint', keyVersion = 1): TestSigner {
  const { publicKey, privateKey } = generateKeyPairSync('ed25519');
  const signed: Uint8Array[] = [];
  return {
    signer: async (payload) => {
      signed.push(payload);
      return { keyId, keyVersion, signature: sign(null, payload, privateKey).toString('base64') };
    },
    publicKeys: publicKeyLookup([{ keyId, version: keyVersion, key: publicKey }]),
    keyId, keyVersion, publicKey, privateKey, signed,
  };
}
