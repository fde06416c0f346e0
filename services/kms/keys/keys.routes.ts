// The KMS key API on the mTLS listener. Route allow-lists admit the identities that may use some key
// of the policy; the service then checks the exact key and operation (lib/contracts/kms.ts).
import type { FastifyInstance, FastifyRequest } from 'fastify';
import {
  ADMIN_CALLERS, DataBatchBody, DataBody, KEY_FAMILIES, KeyIdParams, KeyVersionParams, MinVersionBody, StateBody, WrappedBody,
  type KeyOperation,
} from '#lib/contracts/index.ts';
import type { Static } from 'typebox';
import type { CallContext, KeyService } from './keys.service.ts';

/** Every identity the policy names for an operation, so unknown callers are refused at the route. */
function callersOf(operation: KeyOperation): string[] {
  const names = new Set<string>();
  for (const family of Object.values(KEY_FAMILIES)) {
    for (const name of (family.operations as Partial<Record<KeyOperation, readonly string[]>>)[operation] ?? []) names.add(name);
  }
  return [...names];
}

function contextOf(request: FastifyRequest): CallContext {
  return { caller: request.caller, ip: request.ip, requestId: request.id };
}

type KeyId = { Params: Static<typeof KeyIdParams> };

export async function keyRoutes(app: FastifyInstance, opts: { keys: KeyService }) {
  const { keys } = opts;
  const admin = { allowedCallers: ADMIN_CALLERS };

  app.post<KeyId>('/v1/keys/:keyId/data-key', { schema: { params: KeyIdParams }, config: { allowedCallers: callersOf('data-key') } },
    async (request) => keys.dataKey(contextOf(request), request.params.keyId));
  app.post<{ Body: Static<typeof WrappedBody> }>('/v1/decrypt', { schema: { body: WrappedBody }, config: { allowedCallers: callersOf('decrypt') } },
    async (request) => keys.decrypt(contextOf(request), request.body.wrapped));
  app.post<{ Body: Static<typeof WrappedBody> }>('/v1/rewrap', { schema: { body: WrappedBody }, config: { allowedCallers: callersOf('rewrap') } },
    async (request) => keys.rewrap(contextOf(request), request.body.wrapped));
  app.post<KeyId & { Body: Static<typeof DataBody> }>('/v1/keys/:keyId/hmac', { schema: { params: KeyIdParams, body: DataBody }, config: { allowedCallers: callersOf('hmac') } },
    async (request) => keys.hmac(contextOf(request), request.params.keyId, Buffer.from(request.body.data, 'base64')));
  app.post<KeyId & { Body: Static<typeof DataBatchBody> }>('/v1/keys/:keyId/hmac-batch', { schema: { params: KeyIdParams, body: DataBatchBody }, config: { allowedCallers: callersOf('hmac') } },
    async (request) => keys.hmacBatch(contextOf(request), request.params.keyId, request.body.data.map((item) => Buffer.from(item, 'base64'))));
  app.post<KeyId & { Body: Static<typeof DataBody> }>('/v1/keys/:keyId/sign', { schema: { params: KeyIdParams, body: DataBody }, config: { allowedCallers: callersOf('sign') } },
    async (request) => keys.sign(contextOf(request), request.params.keyId, Buffer.from(request.body.data, 'base64')));
  app.get<KeyId>('/v1/keys/:keyId/public-keys', { schema: { params: KeyIdParams }, config: { allowedCallers: callersOf('public-keys') } },
    async (request) => keys.publicKeys(contextOf(request), request.params.keyId));
  app.delete<KeyId>('/v1/keys/:keyId', { schema: { params: KeyIdParams }, config: { allowedCallers: callersOf('destroy') } },
    async (request) => keys.destroy(contextOf(request), request.params.keyId));

  // Administration: operators only.
  app.get<KeyId>('/v1/keys/:keyId', { schema: { params: KeyIdParams }, config: admin },
    async (request) => keys.describe(contextOf(request), request.params.keyId));
  app.post<KeyId>('/v1/keys/:keyId/rotate', { schema: { params: KeyIdParams }, config: admin },
    async (request) => keys.rotate(contextOf(request), request.params.keyId));
  app.post<{ Params: Static<typeof KeyVersionParams>; Body: Static<typeof StateBody> }>('/v1/keys/:keyId/versions/:version/state',
    { schema: { params: KeyVersionParams, body: StateBody }, config: admin },
    async (request) => keys.setState(contextOf(request), request.params.keyId, request.params.version, request.body.state));
  app.post<KeyId & { Body: Static<typeof MinVersionBody> }>('/v1/keys/:keyId/min-decrypt-version',
    { schema: { params: KeyIdParams, body: MinVersionBody }, config: admin },
    async (request) => keys.setMinDecryptVersion(contextOf(request), request.params.keyId, request.body.version));
}
