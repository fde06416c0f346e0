export { provisionServiceDatabase, dropServiceDatabase, urlFor, onDatabase, type ServiceDatabaseSpec } from './provision.ts';
export { migrate, loadSqlMigrations, renderMigration, type MigrationSet, type MigrationVariables } from './migrate.ts';
export { openDatabase, type OpenOptions } from './open.ts';
export { sql, type RawBuilder, type Kysely, type Transaction, type Selectable, type Insertable, type Updateable, type Generated, type ColumnType } from 'kysely';
