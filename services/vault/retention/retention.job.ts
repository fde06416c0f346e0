// Retention: card data is kept no longer than it is needed. Every RETENTION_INTERVAL_MS the job
//  - destroys sealed security codes whose token has expired (an authorization destroys them sooner);
//  - deletes expired tokens, and with them the cards no customer holds (sealed PAN and metadata rows);
// in batches, each one transaction with one audit entry (counts and the cut-off time). Cards attached
// to a customer stay until the merchant deletes them or an erasure request does.
import type { Logger } from 'pino';
import type { Audit } from '#lib/audit/index.ts';
import { sql, type Kysely } from '#lib/db/index.ts';
import type { VaultDatabase } from '../db.ts';

export const RETENTION_INTERVAL_MS = 60_000;
export const RETENTION_AUDIT = { purge: 'vault.retention.purge' } as const;

export type PurgeCounts = { security_codes: number; tokens: number; cards: number };

export function createRetentionJob(deps: { db: Kysely<VaultDatabase>; audit: Pick<Audit, 'record'>; logger: Logger; batchSize?: number; now?: () => number }) {
  const { db, audit, logger } = deps;
  const batchSize = deps.batchSize ?? 500;
  const now = deps.now ?? Date.now;

  /** One batch; returns what it removed (all zero when nothing was due). */
  async function purgeBatch(cutoff: Date): Promise<PurgeCounts> {
    return db.transaction().execute(async (tx) => {
      const codes = await tx.deleteFrom('vault_security_codes')
        .where('card_id', 'in', (qb) => qb.selectFrom('vault_security_codes').select('card_id')
          .where('expires_at', '<=', cutoff).limit(batchSize))
        .executeTakeFirst();
      const tokens = await tx.deleteFrom('vault_tokens')
        .where('id', 'in', (qb) => qb.selectFrom('vault_tokens').select('id')
          .where('expires_at', '<=', cutoff).limit(batchSize).forUpdate().skipLocked())
        .returning('card_id').execute();
      const cardIds = tokens.map((row) => row.card_id);
      let cards = 0;
      if (cardIds.length > 0) {
        await tx.deleteFrom('vault_security_codes').where('card_id', 'in', cardIds).execute();
        const removed = await tx.deleteFrom('vault_cards').where('id', 'in', cardIds).where('customer_id', 'is', null)
          .where(({ not, exists, selectFrom }) => not(exists(selectFrom('vault_tokens').select(sql`1`.as('one')).whereRef('vault_tokens.card_id', '=', 'vault_cards.id'))))
          .executeTakeFirst();
        cards = Number(removed.numDeletedRows);
      }
      const counts = { security_codes: Number(codes.numDeletedRows), tokens: tokens.length, cards };
      if (counts.security_codes + counts.tokens + counts.cards > 0) {
        await audit.record(tx, {
          actor: { type: 'system', id: 'vault-retention' }, action: RETENTION_AUDIT.purge, tenant: null, targets: [],
          outcome: { result: 'success' }, metadata: { ...counts, expired_before: cutoff.toISOString() },
        });
      }
      return counts;
    });
  }

  async function runOnce(): Promise<PurgeCounts> {
    const cutoff = new Date(now());
    const total = { security_codes: 0, tokens: 0, cards: 0 };
    for (;;) {
      const counts = await purgeBatch(cutoff);
      total.security_codes += counts.security_codes;
      total.tokens += counts.tokens;
      total.cards += counts.cards;
      if (counts.security_codes < batchSize && counts.tokens < batchSize) return total;
    }
  }

  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> | undefined;
  let started = false;
  return {
    runOnce,
    /** Runs every `intervalMs`; a failure is logged and retried next time. */
    start(intervalMs: number = RETENTION_INTERVAL_MS) {
      if (started) return;
      started = true;
      const tick = () => {
        running = runOnce().then((counts) => {
          if (counts.tokens + counts.security_codes > 0) logger.info({ purged: counts }, 'expired card data purged');
        }, (error: unknown) => {
          logger.error({ err: error }, 'purging expired card data failed; retrying next interval');
        }).finally(() => {
          running = undefined;
          if (started) timer = setTimeout(tick, intervalMs).unref();
        });
      };
      timer = setTimeout(tick, Math.min(intervalMs, 5_000)).unref();
    },
    async stop() {
      started = false;
      clearTimeout(timer);
      timer = undefined;
      await running;
    },
  };
}

export type RetentionJob = ReturnType<typeof createRetentionJob>;
