// lib/audit: the only file other code imports. See README.md for the record format and the chain rule.
export { createAudit, type Audit, type CreateAuditOptions } from './audit.ts';
export { auditMigrations } from './migrations.ts';
export {
  AuditRecordSchema, AuditActorSchema, AuditTargetSchema, ACTION_PATTERN, METADATA_MAX_BYTES,
  type AuditRecord, type AuditEntry, type JsonValue,
} from './record.ts';
export { PLATFORM_STREAM, streamFor } from './chain.ts';
export { isAuditError, AUDIT_ERROR_CODES, type AuditError, type AuditErrorCode } from './errors.ts';
export { listEntries, type ListEntriesQuery, type ListedEntry, type EntryPage } from './list-entries.ts';
export { verifyRows, createStreamVerifier, type VerifyRow, type VerifyResult, type BreakReason, type Checkpoint } from './verify.ts';
export { verifyStreams, type StreamVerification } from './verify-streams.ts';
export { runVerify, formatVerification, type VerifyReport } from './cli.ts';
