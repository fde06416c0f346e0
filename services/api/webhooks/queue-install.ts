// The owner's half of the webhook queue, run by the migration step (bin/platform/databases.ts) with the
// migrator's connection: pg-boss installs or upgrades its schema and the delivery queue is created,
// then the runtime role is granted the row access pg-boss needs to send, fetch, settle and maintain
// jobs, and nothing more (no DDL: it cannot create, alter or drop a table in the schema).
import { PgBoss } from 'pg-boss';
import { ATTEMPT_EXPIRY_SECONDS, DELIVERY_QUEUE, QUEUE_SCHEMA } from './delivery-queue.ts';
import { DEFAULT_WEBHOOK_CONFIG } from './webhook-config.ts';

const ROLE = /^[a-z_][a-z0-9_]{0,62}$/;
// Queue defaults; each job carries the api's own retry settings too (delivery-queue.ts).
const QUEUE_OPTIONS = {
  retryLimit: DEFAULT_WEBHOOK_CONFIG.retryLimit, retryDelay: DEFAULT_WEBHOOK_CONFIG.retryDelaySeconds, retryBackoff: true,
  retryDelayMax: DEFAULT_WEBHOOK_CONFIG.retryDelayMaxSeconds, expireInSeconds: ATTEMPT_EXPIRY_SECONDS,
  // Delivered and failed jobs are kept a week; the attempts themselves live on in webhook_deliveries.
  deleteAfterSeconds: 7 * 86_400,
  notify: false,
};

export async function installDeliveryQueue(ownerUrl: string, runtimeRole: string): Promise<void> {
  if (!ROLE.test(runtimeRole)) throw new Error('unsafe runtime role name');
  const boss = new PgBoss({
    connectionString: ownerUrl, schema: QUEUE_SCHEMA, application_name: 'api-migrate', max: 1,
    migrate: true, createSchema: true, schedule: false, supervise: false, registerInstance: false,
  });
  const failures: Error[] = [];
  boss.on('error', (error) => failures.push(error));
  await boss.start();
  try {
    if (await boss.getQueue(DELIVERY_QUEUE)) await boss.updateQueue(DELIVERY_QUEUE, QUEUE_OPTIONS);
    else await boss.createQueue(DELIVERY_QUEUE, QUEUE_OPTIONS);
    const role = `"${runtimeRole}"`;
    for (const statement of [
      `GRANT USAGE ON SCHEMA ${QUEUE_SCHEMA} TO ${role}`,
      `GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA ${QUEUE_SCHEMA} TO ${role}`,
      `GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA ${QUEUE_SCHEMA} TO ${role}`,
      `GRANT EXECUTE ON ALL FUNCTIONS IN SCHEMA ${QUEUE_SCHEMA} TO ${role}`,
      // Tables a later pg-boss upgrade adds get the same row access.
      `ALTER DEFAULT PRIVILEGES IN SCHEMA ${QUEUE_SCHEMA} GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO ${role}`,
      `ALTER DEFAULT PRIVILEGES IN SCHEMA ${QUEUE_SCHEMA} GRANT USAGE, SELECT ON SEQUENCES TO ${role}`,
    ]) await boss.getDb().executeSql(statement);
  } finally {
    await boss.stop({ graceful: true, timeout: 10_000 });
  }
  if (failures.length > 0) throw new Error(`webhook queue install: ${failures[0]!.message}`);
}
