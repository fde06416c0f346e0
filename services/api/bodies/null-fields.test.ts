// Explicit nulls in bodies, on an app built like the api's (lib/http's validator settings) with the
// api's real body schemas: without the hook the validator turns `capture: null` into false; with it,
// null is refused where a schema does not accept it and kept as null where it means "none".
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { FastifyInstance } from 'fastify';
import { createHttpsApp } from '#lib/http/index.ts';
import { createTestCa, createTestLogger, staticIdentity, type TestLogger } from '#lib/http/testing.ts';
import { CaptureBody, CreateChargeBody, CreateRefundBody, UpdateChargeBody } from '../charges/charges.schemas.ts';
import { CreateCustomerBody, UpdateCardBody, UpdateCustomerBody } from '../customers/customers.schemas.ts';
import { AllowlistBody, CreateBody as CreateKeyBody } from '../keys/keys.schemas.ts';
import { acceptsNull, nullProblem, refuseUnexpectedNulls } from './null-fields.ts';

const ROUTES = {
  '/charges': CreateChargeBody, '/charges/update': UpdateChargeBody, '/capture': CaptureBody, '/refunds': CreateRefundBody,
  '/customers': CreateCustomerBody, '/customers/update': UpdateCustomerBody, '/cards/update': UpdateCardBody,
  '/keys': CreateKeyBody, '/keys/allowlist': AllowlistBody,
} as const;

describe('explicit null in request bodies', () => {
  let log: TestLogger;
  let guarded: FastifyInstance;
  let bare: FastifyInstance;

  async function build(withHook: boolean): Promise<FastifyInstance> {
    const app = createHttpsApp({ service: 'api', identity: await staticIdentity(await createTestCa(), 'api'), mtls: false, logger: log.logger });
    await app.register(async (scope) => {
      if (withHook) refuseUnexpectedNulls(scope);
      for (const [url, body] of Object.entries(ROUTES)) scope.post(url, { schema: { body } }, async (request) => ({ received: request.body }));
    });
    await app.ready();
    return app;
  }
  const send = async (app: FastifyInstance, url: keyof typeof ROUTES, body: object) => {
    const reply = await app.inject({ method: 'POST', url, payload: body });
    return { status: reply.statusCode, json: reply.json() as Record<string, any> };
  };

  before(async () => {
    log = createTestLogger('api');
    guarded = await build(true);
    bare = await build(false);
  });
  after(async () => {
    await guarded?.close();
    await bare?.close();
    log?.cleanup();
  });

  test('the finding: without the hook, the validator reads capture: null as false and expiration_month: null as 0', async () => {
    const answer = await send(bare, '/charges', { capture: null, description: null });
    assert.equal(answer.status, 200);
    assert.deepEqual(answer.json.received, { capture: false, description: null }, 'description is declared nullable now; capture is not');
    assert.deepEqual((await send(bare, '/cards/update', { expiration_month: null, city: null })).json, {
      object: 'error', location: 'https://www.omise.co/api-errors#bad-request', code: 'bad_request', message: 'expiration_month must be >= 1',
    }, 'null became 0 before the range check');
  });

  test('capture: null is refused with a 400 Omise error naming the field, never read as false', async () => {
    const answer = await send(guarded, '/charges', { amount: 100000, currency: 'thb', capture: null });
    assert.equal(answer.status, 400);
    assert.deepEqual(answer.json, {
      object: 'error', location: 'https://www.omise.co/api-errors#bad-request', code: 'bad_request',
      message: 'capture cannot be null: send true or false, or leave it out for the default',
    });
  });

  test('every field whose schema does not accept null refuses it, on every body', async () => {
    const refused: Array<[keyof typeof ROUTES, string]> = [
      ['/charges', 'card'], ['/charges', 'customer'], ['/charges', 'capture'], ['/charges', 'authorization_type'], ['/charges', 'metadata'],
      ['/charges', 'authentication'], ['/charges', 'zero_interest_installments'], ['/charges/update', 'metadata'], ['/refunds', 'metadata'],
      ['/customers', 'card'], ['/customers', 'metadata'], ['/customers/update', 'card'], ['/customers/update', 'default_card'],
      ['/cards/update', 'name'], ['/cards/update', 'expiration_month'], ['/cards/update', 'expiration_year'], ['/cards/update', 'city'],
      ['/cards/update', 'postal_code'], ['/keys', 'livemode'], ['/keys', 'kind'], ['/keys/allowlist', 'actor_id'],
    ];
    for (const [url, field] of refused) {
      const answer = await send(guarded, url, { [field]: null });
      assert.deepEqual([answer.status, answer.json.code], [400, 'bad_request'], `${url} ${field}`);
      assert.ok(String(answer.json.message).startsWith(`${field} cannot be null: send `), `${url} ${field}: ${answer.json.message}`);
    }
  });

  test('null means "none" where the schema says so, and stays null (never "")', async () => {
    const kept: Array<[keyof typeof ROUTES, object]> = [
      ['/charges', { description: null, return_uri: null, ip: null }],
      ['/charges/update', { description: null }],
      ['/customers', { email: null, description: null }],
      ['/customers/update', { email: null, description: null }],
      // Read by hand, not coerced: the services decide (amount: "amount is required"; capture_amount: refused).
      ['/charges', { amount: null, currency: null }], ['/capture', { capture_amount: null }], ['/refunds', { amount: null }],
      ['/keys/allowlist', { actor_id: 'operator', ip_allowlist: null }],
    ];
    for (const [url, body] of kept) {
      const answer = await send(guarded, url, body);
      assert.deepEqual([answer.status, answer.json.received], [200, body], `${url} ${JSON.stringify(body)}`);
    }
    // Values other than null are untouched by the hook: the validator still coerces and checks them.
    assert.deepEqual((await send(guarded, '/charges', { capture: 'false', description: 'd' })).json.received, { capture: false, description: 'd' });
    assert.equal((await send(guarded, '/customers', { email: 'not an e-mail' })).status, 400);
  });

  test('nullProblem walks nested objects and lists; acceptsNull reads types, unions and untyped fields', () => {
    const schema = { type: 'object', properties: { a: { type: 'object', properties: { b: { type: 'array', items: { type: 'string' } } } } } };
    assert.equal(nullProblem({ a: { b: ['x', null] } }, schema), 'a.b[1] cannot be null: send text');
    assert.equal(nullProblem({ a: { b: null } }, schema), 'a.b cannot be null: send a list, or leave it out for the default');
    assert.equal(nullProblem({ a: { b: ['x'] }, unknown: null }, schema), null, 'unknown fields are the validator\'s to refuse');
    assert.equal(nullProblem(null, schema), null);
    assert.equal(nullProblem({ ['x'.repeat(200)]: null }, { properties: { ['x'.repeat(200)]: { type: 'integer' } } })?.length, 65 + ' cannot be null: send a number, or leave it out for the default'.length);
    assert.deepEqual([{ type: 'boolean' }, { type: ['string', 'null'] }, {}, { anyOf: [{ type: 'string' }, { type: 'null' }] }, { anyOf: [{ type: 'string' }] }].map(acceptsNull),
      [false, true, true, true, false]);
  });
});
