// Databases: the embedded clusters (one for the card data environment, one for the rest) or an
// operator's PostgreSQL by URL; one database and two roles per service; migrations under the
// migrator role, so each service process only ever receives its runtime role's URL.
import { join } from 'node:path';
import { stat } from 'node:fs/promises';
import { loadSqlMigrations, migrate, openDatabase, provisionServiceDatabase, type Kysely, type MigrationSet } from '#lib/db/index.ts';
import { createEmbeddedCluster, type EmbeddedCluster } from '#lib/pg-embedded/index.ts';
import { auditMigrations } from '#lib/audit/index.ts';
import { CLUSTER_OF, SERVICES, type PlatformSettings, type ServiceName } from '#lib/config/index.ts';
import { loadOrCreateCredentials } from './credentials.ts';
import { installDeliveryQueue } from '../../services/api/webhooks/queue-install.ts';

const root = new URL('../../', import.meta.url);

export async function migrationSetsFor(service: ServiceName): Promise<MigrationSet[]> {
  const sets = [await auditMigrations()];
  const own = new URL(`services/${service}/migrations/`, root);
  if (await stat(own).then(() => true, () => false)) sets.push(await loadSqlMigrations(service, own));
  return sets;
}

export type ClusterName = 'cde' | 'core';
export type PlatformDatabases = {
  runtimeUrls: Record<ServiceName, string>;
  migratorUrls: Record<ServiceName, string>;
  clusters: Partial<Record<ClusterName, EmbeddedCluster>>;
};

/** Starts whatever embedded cluster is needed (any service without an operator URL needs its own). */
export async function startClusters(
  settings: PlatformSettings,
  log: (cluster: string, line: string) => void,
  /** Dev PKI: each embedded cluster serves TLS only, with a certificate from the internal CA. */
  serverTls?: (name: string) => Promise<{ certPem: string; keyPem: string; caFile: string }>,
) {
  const clusters: Partial<Record<ClusterName, EmbeddedCluster>> = {};
  for (const name of ['cde', 'core'] as const) {
    const embeddedServices = SERVICES.filter((s) => CLUSTER_OF[s] === name && !settings.databaseUrls[s]);
    if (embeddedServices.length === 0) continue;
    const cluster = await createEmbeddedCluster({
      dir: join(settings.dataDir, 'pg', name),
      port: name === 'cde' ? settings.ports.pgCde : settings.ports.pgCore,
      onLog: (line) => log(name, line),
      tls: serverTls ? await serverTls(`pg-${name}`) : undefined,
    });
    await cluster.start();
    clusters[name] = cluster;
  }
  return clusters;
}

/** The role a URL connects as: migrations grant to it. */
function roleOf(url: string): string {
  return decodeURIComponent(new URL(url).username);
}

export async function prepareDatabases(settings: PlatformSettings, clusters: Partial<Record<ClusterName, EmbeddedCluster>>) {
  const runtimeUrls = {} as Record<ServiceName, string>;
  const migratorUrls = {} as Record<ServiceName, string>;
  for (const service of SERVICES) {
    const operatorUrl = settings.databaseUrls[service];
    if (operatorUrl) {
      runtimeUrls[service] = operatorUrl;
      migratorUrls[service] = settings.migrationUrls[service] ?? operatorUrl;
    } else {
      const cluster = clusters[CLUSTER_OF[service]];
      if (!cluster) throw new Error(`no cluster for ${service}`);
      const credentials = await loadOrCreateCredentials(settings.dataDir, service);
      const urls = await provisionServiceDatabase(cluster.adminUrl, {
        database: service,
        migratorRole: `${service}_migrator`,
        migratorPassword: credentials.migratorPassword,
        runtimeRole: `${service}_runtime`,
        runtimePassword: credentials.runtimePassword,
      });
      runtimeUrls[service] = urls.runtimeUrl;
      migratorUrls[service] = urls.migratorUrl;
    }
    const db = openDatabase(migratorUrls[service], { max: 1, applicationName: `${service}-migrate` });
    try {
      await migrate(db as Kysely<unknown>, await migrationSetsFor(service), { runtimeRole: roleOf(runtimeUrls[service]) });
      // The api's webhook queue is pg-boss's own schema: installed (or upgraded) here, by the owner.
      if (service === 'api') await installDeliveryQueue(migratorUrls[service], roleOf(runtimeUrls[service]));
    } finally {
      await db.destroy();
    }
  }
  return { runtimeUrls, migratorUrls };
}
