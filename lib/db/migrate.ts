// Versioned SQL migrations, applied with Kysely's Migrator under the migrator role.
// Each library or service ships its own set, tracked in its own table, so sets evolve independently.
import { readdir, readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import { Migrator, sql, type Kysely, type Migration } from 'kysely';

export type MigrationSet = {
  /** Short name: the tracking table is `migrations_<name>`. */
  name: string;
  /** Migration name → SQL text. Applied in name order. */
  migrations: Record<string, string>;
};

export type MigrationVariables = {
  /** The role that runs the service; migrations GRANT to `{{runtime_role}}`. */
  runtimeRole: string;
};

const SET_NAME = /^[a-z][a-z0-9_]{0,40}$/;

/** Loads every `*.sql` file of a folder (given as a file URL or path) into a migration set. */
export async function loadSqlMigrations(name: string, folder: URL | string): Promise<MigrationSet> {
  const dir = folder instanceof URL ? fileURLToPath(folder) : folder;
  const files = (await readdir(dir)).filter((file) => file.endsWith('.sql')).sort();
  const migrations: Record<string, string> = {};
  for (const file of files) migrations[file.replace(/\.sql$/, '')] = await readFile(join(dir, file), 'utf8');
  return { name, migrations };
}

export function renderMigration(text: string, vars: MigrationVariables): string {
  if (!/^[a-z_][a-z0-9_]{0,62}$/.test(vars.runtimeRole)) throw new Error('unsafe runtime role name');
  return text.replaceAll('{{runtime_role}}', `"${vars.runtimeRole}"`);
}

export async function migrate(db: Kysely<unknown>, sets: MigrationSet[], vars: MigrationVariables): Promise<string[]> {
  const applied: string[] = [];
  for (const set of sets) {
    if (!SET_NAME.test(set.name)) throw new Error(`bad migration set name ${set.name}`);
    const migrations: Record<string, Migration> = {};
    for (const [name, text] of Object.entries(set.migrations)) {
      const statement = renderMigration(text, vars);
      migrations[name] = { up: async (tx) => void (await sql.raw(statement).execute(tx)) };
    }
    const migrator = new Migrator({
      db,
      provider: { getMigrations: async () => migrations },
      migrationTableName: `migrations_${set.name}`,
      migrationLockTableName: `migrations_${set.name}_lock`,
    });
    const { error, results } = await migrator.migrateToLatest();
    for (const result of results ?? []) {
      if (result.status === 'Success') applied.push(`${set.name}/${result.migrationName}`);
    }
    if (error) {
      const failed = results?.find((r) => r.status === 'Error')?.migrationName ?? 'unknown';
      throw new Error(`migration ${set.name}/${failed} failed: ${error instanceof Error ? error.message : String(error)}`);
    }
  }
  return applied;
}
