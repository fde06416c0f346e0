// Opens a Kysely handle on a pg pool. TLS to the database follows the URL (sslmode, sslrootcert).
import pg from 'pg';
import { Kysely, PostgresDialect } from 'kysely';

export type OpenOptions = {
  /** Pool size. Small by default: several instances of a service share one cluster. */
  max?: number;
  /** Identifies the service in pg_stat_activity. */
  applicationName?: string;
  statementTimeoutMs?: number;
};

// Return int8/numeric as strings would leak into money maths; we parse bigint to number only where
// values are known to be small (sequences, amounts below 2^53).
pg.types.setTypeParser(20, (value) => {
  const n = Number(value);
  if (!Number.isSafeInteger(n)) throw new Error('int8 value outside the safe integer range');
  return n;
});

export function openDatabase<DB>(url: string, options: OpenOptions = {}): Kysely<DB> {
  const pool = new pg.Pool({
    connectionString: url,
    max: options.max ?? 10,
    application_name: options.applicationName,
    statement_timeout: options.statementTimeoutMs ?? 15_000,
    idleTimeoutMillis: 30_000,
    connectionTimeoutMillis: 10_000,
  });
  // A pooled client that errors while idle (e.g. the server restarted) must not crash the process.
  pool.on('error', () => {});
  return new Kysely<DB>({ dialect: new PostgresDialect({ pool }) });
}
