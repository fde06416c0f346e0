// The dashboard's client for the api's internal listener, against stand-in servers over real mTLS:
// what it sends, what it accepts, and that anything else (or another server identity) is a 502.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { FastifyInstance } from 'fastify';
import { createHttpsApp, isHttpError } from '#lib/http/index.ts';
import { createTestCa, createTestLogger, listen, staticIdentity, type TestLogger } from '#lib/http/testing.ts';
import type { CertificateAuthority } from '#lib/tls/index.ts';
import { createApiClient, type ApiClient } from './api-client.ts';

describe('api client: accounts', () => {
  let ca: CertificateAuthority;
  let log: TestLogger;
  const apps: FastifyInstance[] = [];
  const clients: ApiClient[] = [];
  let answer: { status: number; body: unknown } = { status: 200, body: {} };
  const received: { caller: string | null; body: unknown; requestId: string }[] = [];

  async function server(identity: string): Promise<string> {
    const app = createHttpsApp({ service: identity, identity: await staticIdentity(ca, identity), mtls: true, logger: log.logger });
    app.post('/internal/v1/accounts', { config: { allowedCallers: ['dashboard'] } }, async (request, reply) => {
      received.push({ caller: request.caller, body: request.body, requestId: request.id });
      return reply.code(answer.status).send(answer.body);
    });
    apps.push(app);
    return `https://127.0.0.1:${await listen(app)}`;
  }
  async function client(baseUrl: string) {
    const made = createApiClient({ identity: await staticIdentity(ca, 'dashboard'), baseUrl });
    clients.push(made);
    return made;
  }
  const bad = (error: unknown) => isHttpError(error) && error.statusCode === 502 && error.code === 'bad_gateway';

  before(async () => {
    ca = await createTestCa();
    log = createTestLogger('dashboard');
  });
  after(async () => {
    for (const c of clients) await c.close();
    for (const app of apps) await app.close();
    log?.cleanup();
  });

  test('sends the email and name with the request id, and reads the account id and public key', async () => {
    const api = await client(await server('api'));
    answer = { status: 200, body: { object: 'account', id: 'acct_0123456789abcdefghi', livemode: false, public_key: 'pkey_test_0123456789abcdefghi' } };
    const created = await api.createAccount({ email: 'ada@shop.example', name: 'Ada Shop' }, { requestId: 'req_abcdefghijkl' });
    assert.deepEqual(created, { accountId: 'acct_0123456789abcdefghi', publicKey: 'pkey_test_0123456789abcdefghi' });
    assert.deepEqual(received.at(-1), { caller: 'dashboard', body: { email: 'ada@shop.example', name: 'Ada Shop' }, requestId: 'req_abcdefghijkl' });
  });

  test('refusals and malformed answers become a 502 for the page, never a half-made account', async () => {
    const api = await client(await server('api'));
    for (const next of [
      { status: 403, body: { object: 'error', code: 'forbidden', message: 'no' } },
      { status: 500, body: { object: 'error', code: 'internal_error', message: 'boom' } },
      { status: 200, body: { object: 'account', id: 42 } },
      { status: 200, body: 'not json at all' },
    ]) {
      answer = next;
      await assert.rejects(api.createAccount({ email: 'ada@shop.example', name: 'Ada Shop' }), bad, JSON.stringify(next));
    }
  });

  test('a server that is not the api (by its certificate) is not trusted', async () => {
    const impostor = await client(await server('vault'));
    const before = received.length;
    await assert.rejects(impostor.createAccount({ email: 'ada@shop.example', name: 'Ada Shop' }), bad);
    assert.equal(received.length, before, 'nothing was sent to it');
  });
});
