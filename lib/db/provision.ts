// Creates a service's database with two roles: a migrator that owns the schema, and a runtime role
// that owns nothing and holds only the grants its migrations give it (least privilege).
import pg from 'pg';

export type ServiceDatabaseSpec = {
  database: string;
  migratorRole: string;
  migratorPassword: string;
  runtimeRole: string;
  runtimePassword: string;
};

const IDENTIFIER = /^[a-z_][a-z0-9_]{0,62}$/;

function ident(name: string): string {
  if (!IDENTIFIER.test(name)) throw new Error(`unsafe SQL identifier: ${JSON.stringify(name)}`);
  return `"${name}"`;
}

function literal(value: string): string {
  return `'${value.replaceAll("'", "''")}'`;
}

export function urlFor(adminUrl: string, role: string, password: string, database: string): string {
  const url = new URL(adminUrl);
  url.username = encodeURIComponent(role);
  url.password = encodeURIComponent(password);
  url.pathname = `/${database}`;
  return url.toString();
}

/** The same server and credentials, another database. */
export function onDatabase(url: string, database: string): string {
  const next = new URL(url);
  next.pathname = `/${database}`;
  return next.toString();
}

async function withClient<T>(url: string, fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

async function ensureRole(client: pg.Client, role: string, password: string): Promise<void> {
  const found = await client.query('SELECT 1 FROM pg_roles WHERE rolname = $1', [role]);
  const verb = found.rowCount ? 'ALTER' : 'CREATE';
  await client.query(
    `${verb} ROLE ${ident(role)} WITH LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS ` +
      `PASSWORD ${literal(password)}`,
  );
}

/** Idempotent: safe to run at every start. Returns the migrator and runtime connection URLs. */
export async function provisionServiceDatabase(adminUrl: string, spec: ServiceDatabaseSpec) {
  await withClient(adminUrl, async (client) => {
    await ensureRole(client, spec.migratorRole, spec.migratorPassword);
    await ensureRole(client, spec.runtimeRole, spec.runtimePassword);
    const found = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [spec.database]);
    if (!found.rowCount) {
      await client.query(`CREATE DATABASE ${ident(spec.database)} OWNER ${ident(spec.migratorRole)} ENCODING 'UTF8'`);
    }
    await client.query(`REVOKE ALL ON DATABASE ${ident(spec.database)} FROM PUBLIC`);
    await client.query(`GRANT CONNECT, TEMPORARY ON DATABASE ${ident(spec.database)} TO ${ident(spec.runtimeRole)}`);
  });
  await withClient(onDatabase(adminUrl, spec.database), async (client) => {
    await client.query(`ALTER SCHEMA public OWNER TO ${ident(spec.migratorRole)}`);
    await client.query('REVOKE ALL ON SCHEMA public FROM PUBLIC');
    await client.query(`GRANT USAGE ON SCHEMA public TO ${ident(spec.runtimeRole)}`);
  });
  return {
    migratorUrl: urlFor(adminUrl, spec.migratorRole, spec.migratorPassword, spec.database),
    runtimeUrl: urlFor(adminUrl, spec.runtimeRole, spec.runtimePassword, spec.database),
  };
}

export async function dropServiceDatabase(adminUrl: string, spec: Pick<ServiceDatabaseSpec, 'database' | 'migratorRole' | 'runtimeRole'>) {
  await withClient(adminUrl, async (client) => {
    await client.query(`DROP DATABASE IF EXISTS ${ident(spec.database)} WITH (FORCE)`);
    for (const role of [spec.runtimeRole, spec.migratorRole]) {
      await client.query(`DROP ROLE IF EXISTS ${ident(role)}`);
    }
  });
}
