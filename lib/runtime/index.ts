export { bootService, type BootContext, type RunningService } from './boot.ts';
export type { ServiceIdentities } from './identities.ts';
export { auditDenials, type Denial } from './denials.ts';
export { auditCheckpointsViaKms, CHECKPOINT_INTERVAL_MS } from './audit-checkpoints.ts';
