// lib/audit: the only file other code imports. See README.md for the record format and the chain rule.
export { createAudit, type Audit, type CreateAuditOptions } from './audit.ts';
export type { OutboxRow } from './append.ts';
export { auditMigrations } from './migrations.ts';
export {
  AuditRecordSchema, AuditActorSchema, AuditTargetSchema, ACTION_PATTERN, METADATA_MAX_BYTES,
  type AuditRecord, type AuditEntry, type JsonValue,
} from './record.ts';
export { PLATFORM_STREAM, streamFor } from './chain.ts';
export { isAuditError, AUDIT_ERROR_CODES, type AuditError, type AuditErrorCode } from './errors.ts';
export { listEntries, type ListEntriesQuery, type ListedEntry, type EntryPage } from './list-entries.ts';
export { verifyRows, createStreamVerifier, type VerifyRow, type VerifyResult, type BreakReason, type Checkpoint } from './verify.ts';
export { verifyStreams, type StreamVerification, type VerifyStreamsOptions } from './verify-streams.ts';
export { runVerify, formatVerification, streamVerified, type VerifyReport, type RunVerifyOptions } from './cli.ts';
export {
  checkpointPayload, verifyCheckpointSignature, decodeSignature, CHECKPOINT_DOMAIN,
  type CheckpointClaim, type CheckpointSignature,
} from './checkpoint.ts';
export {
  createCheckpointer, type Checkpointer, type CheckpointSigner, type CheckpointerLogger, type CreateCheckpointerOptions,
} from './checkpointer.ts';
export {
  verifyCheckpoints, createCheckpointVerifier, checkpointFailure,
  type StoredCheckpoint, type CheckpointVerification, type CheckpointBreakReason, type CheckpointVerifierOptions,
} from './verify-checkpoints.ts';
export { parsePublicKeyFile, loadPublicKeyFile, publicKeyLookup, type PublicKeyLookup, type PublicKeyEntry } from './public-keys.ts';
