// The durable webhook delivery queue: pg-boss in the api's own database (schema `pgboss`, installed by
// the owner at migration time, queue-install.ts; this process runs as the runtime role and never
// migrates). A delivery job is sent through the caller's transaction, so it exists if and only if its
// event committed. Failed attempts are retried by pg-boss with exponential backoff; a job whose worker
// died is retried after it expires. Jobs name their event only: no payload, no secret in the queue.
// A handler that throws DeliveryDeferred (the KMS cannot open the signing secret now) has its job
// queued again for later, with backoff, without spending an attempt: an outage delays, never drops.
import type { Logger } from 'pino';
import { fromKysely, PgBoss, type Job, type JobResult } from 'pg-boss';
import type { Transaction } from '#lib/db/index.ts';
import type { ApiDatabase } from '../db.ts';
import type { WebhookConfig } from './webhook-config.ts';

export const QUEUE_SCHEMA = 'pgboss';
export const DELIVERY_QUEUE = 'webhook-delivery';
/** A job runs one attempt; past this it is taken as lost and retried. */
export const ATTEMPT_EXPIRY_SECONDS = 60;

/** `deferrals`: how many times the delivery was postponed (DeliveryDeferred) so far. */
export type DeliveryJob = { event_id: string; deferrals?: number };
export type DeliveryHandler = (job: Pick<Job<DeliveryJob>, 'data' | 'retryCount' | 'signal'>) => Promise<void>;

/** Nothing was sent, and the attempt should not count: try this delivery again later. */
export class DeliveryDeferred extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DeliveryDeferred';
  }
}

export function createDeliveryQueue(deps: { databaseUrl: string; logger: Logger; config: WebhookConfig }) {
  const { config, logger } = deps;
  const boss = new PgBoss({
    connectionString: deps.databaseUrl, schema: QUEUE_SCHEMA, application_name: 'api-webhooks', max: config.concurrency + 3,
    migrate: false, createSchema: false, schedule: false, supervise: true, reindex: false, registerInstance: false,
  });
  // Without a listener an 'error' event would end the process; these are pg-boss's own, never job data.
  boss.on('error', (error) => logger.error({ error: error.message }, 'webhook queue error'));
  boss.on('warning', (warning) => logger.warn({ warning: warning.message }, 'webhook queue warning'));
  const retries = {
    retryLimit: config.retryLimit, retryDelay: config.retryDelaySeconds, retryBackoff: true,
    retryDelayMax: config.retryDelayMaxSeconds, expireInSeconds: ATTEMPT_EXPIRY_SECONDS,
  };

  /** Queues the delivery again after a growing delay, with the attempts it has left; completes this job. */
  async function postpone(job: Job<DeliveryJob>, reason: string): Promise<JobResult> {
    const previous = job.data.deferrals;
    const deferrals = (typeof previous === 'number' && Number.isInteger(previous) && previous >= 0 ? previous : 0) + 1;
    const delay = Math.min(config.retryDelaySeconds * 2 ** Math.min(deferrals - 1, 16), config.retryDelayMaxSeconds);
    try {
      await boss.send(DELIVERY_QUEUE, { event_id: job.data.event_id, deferrals } satisfies DeliveryJob, {
        ...retries, retryLimit: Math.max(0, config.retryLimit - job.retryCount), startAfter: delay,
      });
      return { id: job.id, status: 'completed', output: { postponed: reason, seconds: delay } };
    } catch {
      return { id: job.id, status: 'failed', output: { message: `${reason}; queuing it again failed` } };
    }
  }

  return {
    /** Queues the delivery of an event, inside the transaction that records it. */
    async enqueue(tx: Transaction<ApiDatabase>, eventId: string): Promise<void> {
      await boss.send(DELIVERY_QUEUE, { event_id: eventId } satisfies DeliveryJob, { ...retries, db: fromKysely(tx) });
    },

    /**
     * Starts pg-boss and the workers; must run before the API takes requests (sending needs it started).
     * Each worker takes a batch and delivers it in parallel, settling every job on its own (one slow or
     * failing endpoint does not fail the others), and fetches again at once while batches come full.
     */
    async start(handle: DeliveryHandler): Promise<void> {
      await boss.start();
      await boss.work<DeliveryJob>(DELIVERY_QUEUE, {
        batchSize: config.batchSize, localConcurrency: config.concurrency, burstWhenBatchFull: true, perJobResults: true,
        // Polling, not LISTEN/NOTIFY: a NOTIFY would serialize the commits of every change that queues a job.
        pollingIntervalSeconds: config.pollingSeconds,
      }, async (jobs) => Promise.all(jobs.map(async (job): Promise<JobResult> => {
        try {
          await handle(job);
          return { id: job.id, status: 'completed' };
        } catch (error) {
          if (error instanceof DeliveryDeferred) return postpone(job, error.message);
          return { id: job.id, status: 'failed', output: { message: error instanceof Error ? error.message : 'delivery failed' } };
        }
      })));
    },

    async stop(): Promise<void> {
      await boss.stop({ graceful: true, timeout: 15_000 });
    },
  };
}

export type DeliveryQueue = ReturnType<typeof createDeliveryQueue>;
