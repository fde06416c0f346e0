// Key management on the api's INTERNAL listener (mTLS): the dashboard (for merchants' users) and
// operators (CLI `strongroom keys`) only, never the public Omise API. Every route names the account;
// a key of another account is not found.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { KeyService } from './keys.service.ts';
import type { KeyActor } from './keys.audit.ts';
import {
  AccountParams, ActorBody, AllowlistBody, CreateBody, KeyParams, ListQuery, RollBody,
} from './keys.schemas.ts';

/** The identities that may manage keys. */
export const KEY_CALLERS = ['dashboard', 'operator'] as const;

const actorOf = (request: FastifyRequest<{ Body: { actor_id: string } }>): KeyActor =>
  ({ caller: request.caller!, actorId: request.body.actor_id, requestId: request.id, ip: request.ip });

export async function keyRoutes(app: FastifyInstance, opts: { keys: KeyService }) {
  const { keys } = opts;
  const config = { allowedCallers: KEY_CALLERS };
  const base = '/internal/v1/accounts/:accountId/keys';

  app.get<{ Params: AccountParams; Querystring: ListQuery }>(base, { schema: { params: AccountParams, querystring: ListQuery }, config },
    async (request) => ({ object: 'list', data: await keys.list(request.params.accountId, { includeExpired: request.query.include_expired === true }) }));
  app.post<{ Params: AccountParams; Body: CreateBody }>(base, { schema: { params: AccountParams, body: CreateBody }, config },
    async (request) => ({ object: 'list', data: await keys.create(request.params.accountId, { livemode: request.body.livemode, kind: request.body.kind }, actorOf(request)) }));
  app.post<{ Params: KeyParams; Body: RollBody }>(`${base}/:keyId/roll`, { schema: { params: KeyParams, body: RollBody }, config },
    async (request) => keys.roll(request.params.accountId, request.params.keyId, { graceSeconds: request.body.grace_seconds }, actorOf(request)));
  app.put<{ Params: KeyParams; Body: AllowlistBody }>(`${base}/:keyId/ip-allowlist`, { schema: { params: KeyParams, body: AllowlistBody }, config },
    async (request) => keys.setAllowlist(request.params.accountId, request.params.keyId, request.body.ip_allowlist, actorOf(request)));
  app.post<{ Params: KeyParams; Body: ActorBody }>(`${base}/:keyId/revoke`, { schema: { params: KeyParams, body: ActorBody }, config },
    async (request) => keys.revoke(request.params.accountId, request.params.keyId, actorOf(request)));
}
