// Idempotency-Key on the merchant API (docs/omise-compat.md §11). Registered in the merchant scope after
// the secret-key auth hook, so the key is scoped to (account, mode). preHandler claims the key before the
// route runs; a duplicate arriving meanwhile waits for the first to finish and replays its answer, so the
// route never runs twice for one key. onSend keeps the answer (2xx and 4xx) or frees the key (5xx, e.g. the
// vault unreachable: nothing is known to have happened, the merchant may retry with the same key) — except
// on routes that move money under a new id each time they run (`config: { keepServerErrors: true }`: create a
// charge, create a refund). There a 5xx may hide an authorization the vault made while its answer was lost;
// a retry under the same key must not make a second one, so the 5xx is kept and replayed, and the charge
// or refund is settled by the reconciliation job (services/api/charges/charge-reconciliation.job.ts).
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { httpError } from '#lib/http/index.ts';
import type { Kysely } from '#lib/db/index.ts';
import type { Audit, AuditRecord } from '#lib/audit/index.ts';
import type { ApiDatabase } from '../db.ts';
import { merchantOf } from '../auth/secret-key.auth.ts';
import { auditActorOf } from '../auth/audit-actor.ts';
import { hashIdempotencyKey, readIdempotencyKey } from './idempotency.header.ts';
import { requestFingerprint } from './idempotency.fingerprint.ts';
import { keepableBody } from './idempotency.keepable.ts';
import { createIdempotencyStore, type IdempotencyClaim, type IdempotencyRow } from './idempotency.store.ts';

declare module 'fastify' {
  interface FastifyRequest {
    /** The Idempotency-Key row this request claimed, until its answer is kept or the key freed. */
    idempotencyClaim: string | null;
  }
  interface FastifyContextConfig {
    /** The answer holds a secret shown once: a key still guards the request, but the body is never kept. */
    secretResponse?: boolean;
    /** A 5xx answer is kept like any other: running the route again could move money twice. */
    keepServerErrors?: boolean;
  }
}

export const IDEMPOTENCY_AUDIT = { replayed: 'idempotency.replay' } as const;
export const REPLAYED_HEADER = 'idempotent-replayed';

export type IdempotencyOptions = {
  db: Kysely<ApiDatabase>;
  audit: Pick<Audit, 'record'>;
  /** How long a key is remembered (default 24 h). */
  ttlMs?: number;
  /** How long a duplicate waits for the first request before answering 409 (default 30 s). */
  waitMs?: number;
  /** A claim older than this that never finished (its process died) is reported, not waited for (default 5 min). */
  abandonedAfterMs?: number;
  /** How often expired keys are deleted (default 10 min). */
  purgeEveryMs?: number;
  now?: () => Date;
};

const MUTATING = new Set(['POST', 'PATCH']);
const FIRST_POLL_MS = 25;
const MAX_POLL_MS = 250;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** The object a replayed answer names (a charge, a refund, …), for the audit entry. */
function objectTarget(body: string | null): AuditRecord['targets'] {
  try {
    const parsed = JSON.parse(body ?? 'null') as { object?: unknown; id?: unknown } | null;
    const { object, id } = parsed ?? {};
    if (typeof object === 'string' && object !== 'error' && /^[a-z][a-z0-9_]{0,63}$/.test(object)
      && typeof id === 'string' && /^[a-z]+_[A-Za-z0-9_]{1,100}$/.test(id)) return [{ type: object, id }];
  } catch { /* not JSON: no object to name */ }
  return [];
}

export function registerIdempotency(app: FastifyInstance, options: IdempotencyOptions): void {
  const { audit } = options;
  const now = options.now ?? (() => new Date());
  const waitMs = options.waitMs ?? 30_000;
  const abandonedAfterMs = options.abandonedAfterMs ?? 5 * 60_000;
  const store = createIdempotencyStore(options.db, { ttlMs: options.ttlMs ?? 24 * 3600_000 });
  app.decorateRequest('idempotencyClaim', null);

  async function replay(request: FastifyRequest, reply: FastifyReply, row: IdempotencyRow): Promise<FastifyReply> {
    if (row.body === null) {
      throw httpError(409, 'conflict', 'the request with this Idempotency-Key was already performed; its answer showed a secret once and is not kept');
    }
    const merchant = merchantOf(request);
    // A replay changes nothing: it is audited as a replay of the first request, not as a new action.
    await options.db.transaction().execute((tx) => audit.record(tx, {
      actor: auditActorOf(merchant), action: IDEMPOTENCY_AUDIT.replayed, tenant: merchant.accountId,
      targets: [{ type: 'idempotency_key', id: row.id }, ...objectTarget(row.body)], outcome: { result: 'success' },
      origin: { ip: request.ip, userAgent: request.headers['user-agent']?.slice(0, 512) }, requestId: request.id,
      metadata: { livemode: merchant.livemode, route: request.routeOptions.url ?? null, status: row.status, first_request_id: row.request_id },
    }));
    return reply.code(row.status ?? 200).header(REPLAYED_HEADER, 'true').type('application/json; charset=utf-8').send(row.body);
  }

  app.addHook('preHandler', async (request, reply) => {
    if (!MUTATING.has(request.method)) return;
    const key = readIdempotencyKey(request.headers);
    if (key === null) return;
    const merchant = merchantOf(request);
    const path = request.url.split('?', 1)[0] ?? '';
    const claim: IdempotencyClaim = {
      accountId: merchant.accountId, livemode: merchant.livemode, keyHash: hashIdempotencyKey(key), apiKeyId: merchant.keyId,
      method: request.method, path, requestId: request.id,
      fingerprint: requestFingerprint({ method: request.method, path, query: request.query, body: request.body }),
    };
    const deadline = Date.now() + waitMs;
    for (let pollMs = FIRST_POLL_MS; ; pollMs = Math.min(MAX_POLL_MS, pollMs * 2)) {
      // Read first: replays and waiting duplicates only read (a claim attempt on a held key would lock its row).
      const row = await store.find(claim.accountId, claim.livemode, claim.keyHash);
      const live = row !== undefined && row.expires_at > now() ? row : undefined;
      if (!live) {
        const claimed = await store.claim(claim, now());
        if (claimed !== null) {
          request.idempotencyClaim = claimed;
          return;
        }
        continue; // another request claimed it meanwhile: read its row
      }
      if (live.fingerprint !== claim.fingerprint) {
        throw httpError(400, 'bad_request', 'this Idempotency-Key was already used for a different request (method, path or body); use a new key for a new request');
      }
      if (live.state === 'done') return replay(request, reply, live);
      if (now().getTime() - live.created_at.getTime() > abandonedAfterMs) {
        throw httpError(409, 'conflict', 'the first request with this Idempotency-Key never finished and its outcome is unknown; look the object up before retrying with a new key');
      }
      if (Date.now() >= deadline) {
        reply.header('retry-after', '1');
        throw httpError(409, 'conflict', 'a request with this Idempotency-Key is still being processed; retry shortly');
      }
      await sleep(pollMs);
    }
  });

  app.addHook('onSend', async (request, reply, payload) => {
    const claimed = request.idempotencyClaim;
    if (claimed === null) return payload;
    request.idempotencyClaim = null;
    try {
      if (reply.statusCode >= 500 && request.routeOptions.config.keepServerErrors !== true) {
        await store.release(claimed);
      } else {
        await store.complete(claimed, reply.statusCode, keepableBody(payload, request.routeOptions.config.secretResponse === true));
      }
    } catch (error) {
      // The row stays `running`: duplicates get 409, never a second run of a request that may have happened.
      request.log.error({ err: error }, 'could not keep the answer of an idempotent request');
    }
    return payload;
  });

  // Expired keys are ignored and taken over at once; this only reclaims their space.
  let timer: NodeJS.Timeout | undefined;
  const purge = () => store.purgeExpired(now()).catch((error: unknown) => app.log.warn({ err: error }, 'could not purge expired idempotency keys'));
  app.addHook('onReady', async () => {
    timer = setInterval(purge, options.purgeEveryMs ?? 10 * 60_000);
    timer.unref();
  });
  app.addHook('onClose', async () => clearInterval(timer));
}
