// Events and webhooks on the real platform (`strongroom start`: kms, vault, api over TLS and mTLS),
// driven by the OFFICIAL omise client, unmodified, with a local HTTPS receiver (certificate from a
// throwaway test CA the platform is told to trust). Covers §7.6 (event, webhook delivery), §8.6
// (`GET /events`, `PATCH /account {webhook_uri}`), §12 (signed delivery, retry), tenant isolation,
// bad input, that no card number ever leaves in an event or a webhook, and that the endpoint's
// secret is stored only sealed (under the KMS) yet still signs every delivery.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createAudit } from '#lib/audit/index.ts';
import { openDatabase, type Kysely } from '#lib/db/index.ts';
import { isLuhnValid } from '#lib/log/index.ts';
import { routeOmiseClientTo } from '../services/vault/testing.ts';
import { createAccountService } from '../services/api/accounts/accounts.service.ts';
import { createAccountStore } from '../services/api/accounts/accounts.store.ts';
import type { ApiDatabase } from '../services/api/db.ts';
import { secretFormsIn, startWebhookReceiver, type WebhookReceiver } from '../services/api/webhooks/testing.ts';
import { verifyWebhook } from '../services/api/webhooks/webhook-signature.ts';
import { httpsJson, startPlatform, type RunningPlatform } from './platform-harness.ts';

type Obj = Record<string, any>;
type Client = {
  tokens: { create(data: object): Promise<Obj> };
  charges: { create(data: object): Promise<Obj> };
  customers: {
    create(data: object): Promise<Obj>; update(id: string, data: object): Promise<Obj>; destroy(id: string): Promise<Obj>;
    destroyCard(id: string, cardId: string): Promise<Obj>;
  };
  events: { list(params?: object): Promise<Obj>; retrieve(id?: string): Promise<Obj> };
  account: { retrieve(): Promise<Obj>; updateAccount(data: object): Promise<Obj> };
};
const omise = createRequire(import.meta.url)('omise') as (config: { publicKey?: string; secretKey?: string; host: string; vaultHost: string }) => Client;

const VISA = '4242424242424242';
const MASTERCARD = '5555555555554444';
const EVENT_KEYS = ['object', 'id', 'livemode', 'location', 'key', 'created_at', 'data', 'webhook_deliveries'];
const DELIVERY_KEYS = ['object', 'id', 'uri', 'status', 'key', 'error', 'payload', 'created_at'];
const TIME = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/;

async function refusal(promise: Promise<unknown>): Promise<Obj> {
  try {
    await promise;
  } catch (error) {
    assert.equal((error as Obj)?.object, 'error', `expected an Omise error object, got ${JSON.stringify(error)}`);
    return error as Obj;
  }
  assert.fail('expected the request to be refused');
}

/** Every 13–19 digit run that passes Luhn: none may leave the platform in an event or a webhook. */
function cardNumbersIn(text: string): string[] {
  return (text.match(/\d{13,19}/g) ?? []).filter((run) => isLuhnValid(run));
}

describe('events and webhooks over the official omise client', () => {
  let platform: RunningPlatform;
  let receiver: WebhookReceiver;
  let caDir: string;
  let restore: (() => void) | undefined;
  let client: Client;
  let demo: { accountId: string; publicKey: string; secretKey: string };
  let apiDb: Kysely<ApiDatabase>;
  let secret: string;

  const token = (number = VISA) => client.tokens.create({ card: { name: 'Somchai Prasert', number, expiration_month: 12, expiration_year: 2040, security_code: '123' } });
  const raw = (path: string, init: { method?: string; body?: unknown; auth?: string } = {}) =>
    httpsJson(platform, platform.ports.api, path, { auth: demo.secretKey, ...init });
  /** The event of `key` about object `id`, once it exists. */
  const eventAbout = async (key: string, id: string): Promise<Obj> => {
    const list = await client.events.list({ limit: 100, order: 'reverse_chronological' });
    const found = list.data.find((event: Obj) => event.key === key && event.data.id === id);
    assert.ok(found, `no ${key} event for ${id} in ${JSON.stringify(list.data.map((event: Obj) => event.key))}`);
    return found;
  };

  before(async () => {
    receiver = await startWebhookReceiver({ answers: [500] });
    caDir = await mkdtemp(join(tmpdir(), 'webhook-ca-'));
    await writeFile(join(caDir, 'ca.pem'), receiver.caPem, { mode: 0o600 });
    platform = await startPlatform({
      STRONGROOM_WEBHOOK_ALLOW_PRIVATE_TEST_HOSTS: 'true', STRONGROOM_WEBHOOK_CA_FILE: join(caDir, 'ca.pem'), STRONGROOM_WEBHOOK_RETRY_DELAY_SECONDS: '1',
    });
    demo = JSON.parse(await readFile(join(platform.dataDir, 'demo.json'), 'utf8'));
    restore = routeOmiseClientTo({ localhost: platform.ports.vault, '127.0.0.1': platform.ports.api }, platform.caPem);
    client = omise({ publicKey: demo.publicKey, secretKey: demo.secretKey, host: '127.0.0.1', vaultHost: 'localhost' });
    const config = JSON.parse(await readFile(join(platform.dataDir, 'services', 'api', 'config.json'), 'utf8')) as { databaseUrl: string };
    apiDb = openDatabase<ApiDatabase>(config.databaseUrl, { max: 2 });
    const deadline = Date.now() + 30_000;
    for (;;) {
      try {
        await token();
        break;
      } catch (error) {
        if (Date.now() > deadline) throw new Error(`the vault never accepted the demo public key: ${JSON.stringify(error)}`);
        await new Promise((resolve) => setTimeout(resolve, 250));
      }
    }
  });
  after(async () => {
    restore?.();
    await apiDb?.destroy();
    await platform?.stop();
    await receiver?.close();
    if (caDir) await rm(caDir, { recursive: true, force: true });
  });

  test('PATCH /account sets the webhook endpoint; its secret is answered once; bad URIs are 400s', async () => {
    const before = await client.account.retrieve();
    assert.equal(before.webhook_uri, null);
    const updated = await client.account.updateAccount({ webhook_uri: receiver.url('/omise') });
    assert.equal(updated.object, 'account');
    assert.equal(updated.webhook_uri, receiver.url('/omise'));
    assert.match(updated.webhook_secret, /^[A-Za-z0-9+/]{43}=$/);
    secret = updated.webhook_secret;
    // Stored sealed under a KMS data key of the merchant's own `webhook-secret` KEK, never as it is.
    const stored = await apiDb.selectFrom('webhook_endpoints').selectAll().where('account_id', '=', demo.accountId).where('livemode', '=', false).executeTakeFirstOrThrow();
    assert.deepEqual(secretFormsIn(stored, secret), [], 'the secret is stored only sealed');
    assert.ok(stored.secret_wrapped_key.startsWith(`kms1:webhook-secret.${demo.accountId}:`), 'wrapped by the merchant\'s own KEK');
    const after = await client.account.retrieve();
    assert.equal(after.webhook_uri, receiver.url('/omise'));
    assert.equal(after.webhook_secret, undefined, 'the secret is shown once');

    for (const [body, pattern] of [
      [{ webhook_uri: 'http://127.0.0.1/hook' }, /must use https/],
      [{ webhook_uri: 'https://user:pw@127.0.0.1/hook' }, /credentials/],
      [{ webhook_uri: 'not a url' }, /spaces|not a valid URL/],
      [{ webhook_uri: { uri: 'https://example.com/' } }, /webhook_uri/],
      [{ webhook_uri: `https://example.com/${'a'.repeat(1100)}` }, /at most 1024/],
      [{ chain_enabled: true }, /chain_enabled/],
    ] as const) {
      const answer = await raw('/account', { method: 'PATCH', body });
      assert.equal(answer.status, 400, JSON.stringify(body).slice(0, 80));
      assert.equal(answer.body.code, 'bad_request');
      assert.match(answer.body.message, pattern);
    }
    assert.equal((await client.account.retrieve()).webhook_uri, receiver.url('/omise'), 'a refused change leaves the endpoint as it was');
  });

  test('a charge gives charge.create in GET /events and a signed webhook; a 500 is retried; both attempts are on the event', async () => {
    const charge = await client.charges.create({ amount: 100000, currency: 'thb', card: (await token()).id, metadata: { order: 'W-1' } });
    assert.equal(charge.status, 'successful');
    const event = await eventAbout('charge.create', charge.id);
    assert.deepEqual(Object.keys(event).sort(), [...EVENT_KEYS].sort());
    assert.match(event.id, /^evnt_test_[0-9a-z]{19}$/);
    assert.deepEqual([event.object, event.livemode, event.location], ['event', false, `/events/${event.id}`]);
    assert.match(event.created_at, TIME);
    assert.deepEqual([event.data.object, event.data.status, event.data.amount, event.data.card.last_digits], ['charge', 'successful', 100000, '4242']);

    const [first, second] = await receiver.waitFor(2);
    for (const request of [first!, second!]) {
      assert.ok(verifyWebhook({ secret, signature: String(request.headers['omise-signature']), timestamp: String(request.headers['omise-signature-timestamp']), body: request.body }));
      const payload = JSON.parse(request.body.toString('utf8'));
      assert.deepEqual([payload.id, payload.key, payload.data.id, payload.webhook_deliveries], [event.id, 'charge.create', charge.id, []]);
    }
    let retrieved: Obj = {};
    for (const deadline = Date.now() + 20_000; Date.now() < deadline; await new Promise((resolve) => setTimeout(resolve, 200))) {
      retrieved = await client.events.retrieve(event.id);
      if (retrieved.webhook_deliveries.length >= 2) break;
    }
    const attempts = retrieved.webhook_deliveries as Obj[];
    assert.deepEqual(attempts.map((attempt) => attempt.status), [500, 200]);
    for (const attempt of attempts) {
      assert.deepEqual(Object.keys(attempt).sort(), [...DELIVERY_KEYS].sort());
      assert.match(attempt.id, /^whdl_test_[0-9a-z]{19}$/);
      assert.deepEqual([attempt.object, attempt.uri, attempt.key, attempt.error], ['webhook_delivery', receiver.url('/omise'), 'charge.create', null]);
      assert.match(attempt.created_at, TIME);
    }
    assert.equal(attempts[1]!.payload, second!.body.toString('utf8'), 'the payload shown is the exact body sent');
  });

  test('customer changes are events too: create, update, update.card, card.destroy, destroy', async () => {
    const customer = await client.customers.create({ email: 'events@example.test', card: (await token()).id });
    const updated = await client.customers.update(customer.id, { card: (await token(MASTERCARD)).id, description: 'two cards' });
    const second = updated.cards.data.find((card: Obj) => card.last_digits === '4444');
    await client.customers.destroyCard(customer.id, second.id);
    await client.customers.destroy(customer.id);
    assert.equal((await eventAbout('customer.create', customer.id)).data.cards.data[0].last_digits, '4242');
    assert.equal((await eventAbout('customer.update', customer.id)).data.description, 'two cards');
    assert.equal((await eventAbout('customer.update.card', customer.id)).data.cards.total, 2);
    assert.equal((await eventAbout('card.destroy', second.id)).data.deleted, true);
    assert.equal((await eventAbout('customer.destroy', customer.id)).data.deleted, true);
  });

  test("another merchant's event is not found; malformed ids are 404; lists are scoped", async () => {
    const accounts = createAccountService({ db: apiDb, store: createAccountStore(apiDb), audit: createAudit({ db: apiDb, service: 'api' }) });
    const other = await accounts.createAccount({ email: 'other@merchant.test', name: 'Other merchant' }, { type: 'system', id: 'api-events-test' });
    const theirs = omise({ secretKey: other.secretKey, publicKey: other.publicKey, host: '127.0.0.1', vaultHost: 'localhost' });
    const mine = (await client.events.list()).data[0];
    assert.equal((await refusal(theirs.events.retrieve(mine.id))).code, 'not_found');
    assert.equal((await raw(`/events/${mine.id}`, { auth: other.secretKey })).status, 404);
    assert.equal((await theirs.events.list()).total, 0);
    assert.equal((await theirs.account.retrieve()).webhook_uri, null, 'endpoints are per account');
    for (const id of ['evnt_test_nope', `${mine.id}0`, 'x'.repeat(90)]) {
      const answer = await raw(`/events/${id}`);
      assert.equal(answer.status, 404);
      assert.equal(answer.body.code, 'not_found');
      assert.ok(!answer.body.message.includes('xxxx'), 'a malformed id is not echoed');
    }
    assert.equal((await raw('/events?limit=abc')).status, 400);
    assert.equal((await raw('/events', { auth: 'skey_test_wrong' })).status, 401);
  });

  test('no card number in any event, webhook or delivery payload; the secret is in no log and no event', async () => {
    const events = await client.events.list({ limit: 100 });
    const texts = [JSON.stringify(events), ...receiver.received.map((request) => request.body.toString('utf8'))];
    assert.ok(texts.length >= 3);
    for (const text of texts) {
      assert.deepEqual(cardNumbersIn(text), []);
      assert.ok(!text.includes(VISA) && !text.includes(MASTERCARD));
      assert.ok(!text.includes(secret));
    }
    const log = await readFile(join(platform.dataDir, 'logs', 'api.log'), 'utf8');
    assert.ok(log.includes('webhook delivered'), 'deliveries are logged');
    assert.ok(!log.includes(secret), 'the secret is never logged');

    const removed = await client.account.updateAccount({ webhook_uri: null });
    assert.equal(removed.webhook_uri, null);
    assert.equal(removed.webhook_secret, undefined);
  });
});
