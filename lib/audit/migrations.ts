// The audit tables ship as a migration set every service applies to its own database, before its own.
import { loadSqlMigrations, type MigrationSet } from '#lib/db/index.ts';

export function auditMigrations(): Promise<MigrationSet> {
  return loadSqlMigrations('audit', new URL('./migrations/', import.meta.url));
}
