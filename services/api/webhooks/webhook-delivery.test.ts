// The webhook pipeline against a real database and a local HTTPS receiver: pg-boss installed by the
// owner and run by the runtime role, a delivery queued in the event's transaction (and not when it
// rolls back), signed, retried after a failure, every attempt stored and shown on the event; the
// delivery-time guards (public addresses only in live mode, certificate verified); the secret stored
// only sealed, and a KMS outage postponing deliveries instead of dropping them or sending them unsigned.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { PgBoss } from 'pg-boss';
import { auditMigrations, createAudit } from '#lib/audit/index.ts';
import { newId } from '#lib/contracts/index.ts';
import { loadSqlMigrations, sql } from '#lib/db/index.ts';
import { createTestDatabase, type TestDatabase } from '#lib/db/testing.ts';
import { createTestLogger, type TestLogger } from '#lib/http/testing.ts';
import { isHttpError } from '#lib/http/index.ts';
import type { ApiDatabase } from '../db.ts';
import type { Merchant } from '../auth/secret-key.auth.ts';
import { createEventStore } from '../events/events.store.ts';
import { createEventService, type EventService } from '../events/events.service.ts';
import { DEFAULT_WEBHOOK_CONFIG } from './webhook-config.ts';
import { DELIVERY_QUEUE } from './delivery-queue.ts';
import { installDeliveryQueue } from './queue-install.ts';
import { createWebhookSecrets } from './secrets/webhook-secrets.ts';
import { createTestKms, secretFormsIn, startWebhookReceiver, type TestKms, type WebhookReceiver } from './testing.ts';
import { verifyWebhook } from './webhook-signature.ts';
import { createWebhooks } from './webhooks.ts';

let database: TestDatabase<ApiDatabase>;
let webhooks: ReturnType<typeof createWebhooks>;
let events: EventService;
let receiver: WebhookReceiver;
let stranger: WebhookReceiver;
let log: TestLogger;
let kms: TestKms;
const origin = { ip: '127.0.0.1', userAgent: 'test', requestId: 'req_test_1' };
const CARD = { object: 'card', id: 'card_test_0000000000000000001', last_digits: '4242', brand: 'Visa' };

async function merchant(livemode = false): Promise<Merchant> {
  const accountId = newId('account');
  await database.db.insertInto('accounts').values({ id: accountId, email: `${accountId}@merchant.test`, name: 'Merchant' }).execute();
  return { accountId, livemode, keyId: newId('key') };
}

/** A change recorded the way services record them: in a transaction, through the listener. */
async function change(who: Merchant, fail = false): Promise<string> {
  const charge = { object: 'charge', id: newId('charge', who.livemode), amount: 100000, currency: 'THB', card: CARD };
  await database.db.transaction().execute(async (tx) => {
    await events.record(tx, { merchant: who, key: 'charge.create', data: charge, at: new Date() });
    if (fail) throw new Error('the change failed');
  }).catch((error: unknown) => {
    if (!fail) throw error;
  });
  return charge.id;
}

async function eventOf(who: Merchant, chargeId: string) {
  const list = await events.list(who, { order: 'reverse_chronological' });
  return list.data.find((event) => (event.data as { id: string }).id === chargeId);
}

async function attempts(who: Merchant, eventId: string, count: number) {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const event = await events.retrieve(who, eventId);
    if (event.webhook_deliveries.length >= count) return event.webhook_deliveries;
    if (Date.now() > deadline) throw new Error(`only ${event.webhook_deliveries.length} of ${count} attempts`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

before(async () => {
  database = await createTestDatabase<ApiDatabase>([await auditMigrations(), await loadSqlMigrations('api', new URL('../migrations/', import.meta.url))]);
  await installDeliveryQueue(database.migratorUrl, database.runtimeRole);
  await installDeliveryQueue(database.migratorUrl, database.runtimeRole); // idempotent: every platform start runs it
  receiver = await startWebhookReceiver({ answers: [500] });
  stranger = await startWebhookReceiver();
  log = createTestLogger('api');
  kms = createTestKms();
  const eventStore = createEventStore(database.db);
  webhooks = createWebhooks({
    db: database.db, audit: createAudit({ db: database.db, service: 'api' }), logger: log.logger, databaseUrl: database.runtimeUrl,
    config: { ...DEFAULT_WEBHOOK_CONFIG, allowPrivateTestHosts: true, extraCaPem: receiver.caPem, retryDelaySeconds: 1, pollingSeconds: 0.5, timeoutMs: 3000 },
    events: eventStore, kms,
  });
  events = createEventService({ store: eventStore, deliveries: webhooks.deliveries, afterRecord: webhooks.dispatch });
  await webhooks.start();
});

after(async () => {
  await webhooks?.stop();
  await receiver?.close();
  await stranger?.close();
  await database?.close();
  log?.cleanup();
});

test('the runtime role runs the queue, maintenance included, but cannot change its schema', async () => {
  const boss = new PgBoss({ connectionString: database.runtimeUrl, schema: 'pgboss', migrate: false, schedule: false, supervise: false, registerInstance: false });
  const errors: Error[] = [];
  boss.on('error', (error) => errors.push(error));
  await boss.start();
  await boss.supervise(DELIVERY_QUEUE);
  await boss.stop({ graceful: true, timeout: 5000 });
  assert.deepEqual(errors.map((error) => error.message), []);
  await assert.rejects(sql`CREATE TABLE pgboss.intruder (a int)`.execute(database.db), /permission denied/);
  await assert.rejects(sql`DROP TABLE pgboss.job`.execute(database.db), /must be owner/);
  await assert.rejects(sql`UPDATE events SET key = 'x.y'`.execute(database.db), /permission denied/);
});

test('an event with an endpoint is delivered signed; a 500 is retried; both attempts are stored and shown', async () => {
  const shop = await merchant();
  const set = await webhooks.endpoints.set(shop, receiver.url('/omise'), origin);
  assert.equal(set.uri, receiver.url('/omise'));
  assert.equal(Buffer.from(set.secret!, 'base64').length, 32);
  assert.equal(await webhooks.endpoints.uriOf(shop), receiver.url('/omise'));
  const stored = await database.ownerDb.selectFrom('webhook_endpoints').selectAll().where('account_id', '=', shop.accountId).executeTakeFirstOrThrow();
  assert.deepEqual(secretFormsIn(stored, set.secret!), [], 'the secret is stored only sealed');
  assert.ok(stored.secret_wrapped_key.startsWith(`kms1:webhook-secret.${shop.accountId}:`));

  const chargeId = await change(shop);
  const [first, second] = await receiver.waitFor(2);
  const event = (await eventOf(shop, chargeId))!;
  for (const request of [first!, second!]) {
    assert.equal(request.path, '/omise');
    assert.equal(request.headers['content-type'], 'application/json; charset=utf-8');
    assert.ok(verifyWebhook({
      secret: set.secret!, signature: String(request.headers['omise-signature']), timestamp: String(request.headers['omise-signature-timestamp']), body: request.body,
    }), 'signature verifies');
    const payload = JSON.parse(request.body.toString('utf8'));
    assert.deepEqual([payload.object, payload.id, payload.key, payload.livemode, payload.data.id, payload.webhook_deliveries],
      ['event', event.id, 'charge.create', false, chargeId, []]);
    assert.equal(verifyWebhook({ secret: set.secret!, signature: String(request.headers['omise-signature']),
      timestamp: String(request.headers['omise-signature-timestamp']), body: Buffer.concat([request.body, Buffer.from(' ')]) }), false);
  }
  const shown = await attempts(shop, event.id, 2);
  assert.deepEqual(shown.map((attempt) => attempt.status), [500, 200]);
  for (const attempt of shown) {
    assert.match(attempt.id, /^whdl_test_[0-9a-z]{19}$/);
    assert.deepEqual([attempt.object, attempt.uri, attempt.key, attempt.error], ['webhook_delivery', receiver.url('/omise'), 'charge.create', null]);
    assert.equal(attempt.payload, first!.body.toString('utf8'), 'the exact body that was sent');
  }
  assert.ok(!log.text().includes(set.secret!), 'the secret is never logged');
});

test('no endpoint, no delivery; a rolled-back change leaves neither event nor job', async () => {
  const quiet = await merchant();
  const jobs = async () => Number((await sql<{ n: string }>`SELECT count(*) AS n FROM pgboss.job WHERE name = ${DELIVERY_QUEUE}`.execute(database.ownerDb)).rows[0]!.n);
  const before = await jobs();
  const chargeId = await change(quiet);
  assert.ok(await eventOf(quiet, chargeId), 'the event is recorded');
  assert.equal(await jobs(), before, 'but nothing is queued without an endpoint');

  const shop = await merchant();
  await webhooks.endpoints.set(shop, receiver.url('/rollback'), origin);
  const lost = await change(shop, true);
  assert.equal(await eventOf(shop, lost), undefined);
  assert.equal(await jobs(), before, 'the job went with the transaction');
});

test("another merchant's event, a malformed id and the other mode answer 404; lists are scoped", async () => {
  const mine = await merchant();
  const theirs = await merchant();
  const chargeId = await change(mine);
  const event = (await eventOf(mine, chargeId))!;
  for (const [who, id] of [[theirs, event.id], [{ ...mine, livemode: true }, event.id], [mine, 'evnt_test_nope'], [mine, `${event.id}x`]] as const) {
    await assert.rejects(events.retrieve(who, id), (error: unknown) => isHttpError(error) && error.statusCode === 404 && error.code === 'not_found');
  }
  assert.equal((await events.list(theirs, {})).total, 0);
  assert.equal((await events.list(mine, {})).total, 1);
});

test('delivery-time guards: a live endpoint on a private address is never connected to; an unknown certificate fails', async () => {
  const live = await merchant(true);
  // Set behind the API's back (the API refuses it): the worker must still refuse to connect.
  const secrets = createWebhookSecrets({ kms });
  const sealed = await secrets.seal({ accountId: live.accountId, livemode: true }, Buffer.alloc(32, 1));
  secrets.close();
  await database.ownerDb.insertInto('webhook_endpoints').values({
    account_id: live.accountId, livemode: true, uri: stranger.url('/live'), ...sealed,
  }).execute();
  const liveEvent = (await eventOf(live, await change(live)))!;
  const [refused] = await attempts(live, liveEvent.id, 1);
  assert.equal(refused!.status, null);
  assert.match(refused!.error!, /ENOTPUBLIC/);

  await database.ownerDb.updateTable('webhook_endpoints').set({ uri: stranger.url('/live').replace('127.0.0.1', 'localhost') })
    .where('account_id', '=', live.accountId).execute();
  const named = (await eventOf(live, await change(live)))!;
  const [lookedUp] = await attempts(live, named.id, 1);
  assert.match(lookedUp!.error!, /ENOTPUBLIC/, 'a host name resolving to loopback is refused at connect time');
  assert.equal(stranger.received.length, 0, 'nothing reached the private receiver');

  const shop = await merchant();
  await webhooks.endpoints.set(shop, stranger.url('/untrusted'), origin);
  const untrusted = (await eventOf(shop, await change(shop)))!;
  const [failed] = await attempts(shop, untrusted.id, 1);
  assert.equal(failed!.status, null);
  assert.match(failed!.error!, /certificate|CERT/i);
  assert.equal(stranger.received.length, 0, 'no request is sent over an unverified connection');
});

test('while the KMS is down nothing is sent and no attempt is spent; the delivery is postponed, then goes out signed', async () => {
  const shop = await merchant();
  const set = await webhooks.endpoints.set(shop, receiver.url('/outage'), origin);
  const arrived = () => receiver.received.filter((request) => request.path === '/outage');
  let eventId: string;
  kms.state.down = true;
  try {
    await assert.rejects(webhooks.endpoints.set(shop, receiver.url('/elsewhere'), origin),
      (error: unknown) => isHttpError(error) && error.statusCode === 503 && error.code === 'service_unavailable');
    assert.equal(await webhooks.endpoints.uriOf(shop), receiver.url('/outage'), 'a refused change leaves the endpoint as it was');
    eventId = (await eventOf(shop, await change(shop)))!.id;
    // The first try, then at least one postponement (retryDelaySeconds 1): each finds the KMS down.
    const deadline = Date.now() + 20_000;
    for (;;) {
      const jobs = await sql<{ deferrals: number | null; state: string }>`
        SELECT (data->>'deferrals')::int AS deferrals, state::text AS state FROM pgboss.job
        WHERE name = ${DELIVERY_QUEUE} AND data->>'event_id' = ${eventId}`.execute(database.ownerDb);
      if (jobs.rows.some((job) => (job.deferrals ?? 0) >= 2)) {
        assert.ok(jobs.rows.every((job) => job.state !== 'failed'), 'a postponed delivery is never failed');
        break;
      }
      if (Date.now() > deadline) throw new Error(`the delivery was not postponed twice: ${JSON.stringify(jobs.rows)}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    assert.equal(arrived().length, 0, 'nothing is sent, signed or not, without the secret');
    assert.equal((await events.retrieve(shop, eventId)).webhook_deliveries.length, 0, 'no attempt is recorded');
  } finally {
    kms.state.down = false;
  }
  const [attempt] = await attempts(shop, eventId, 1);
  assert.equal(attempt!.status, 200);
  const [request] = arrived();
  assert.ok(verifyWebhook({
    secret: set.secret!, signature: String(request!.headers['omise-signature']), timestamp: String(request!.headers['omise-signature-timestamp']), body: request!.body,
  }), 'signed with the endpoint secret once the KMS is back');
  assert.match(log.text(), /webhook postponed: the KMS cannot open its signing secret now/);
  assert.ok(!log.text().includes(set.secret!), 'the secret is never logged');
});

test('a sealed secret moved to another endpoint, or altered, is never used: nothing is sent', async () => {
  const shop = await merchant();
  const live = { ...shop, livemode: true };
  await webhooks.endpoints.set(shop, receiver.url('/moved'), origin);
  // The test endpoint's sealed secret copied onto the merchant's live endpoint (behind the API's back) …
  const testRow = await database.ownerDb.selectFrom('webhook_endpoints').selectAll().where('account_id', '=', shop.accountId).executeTakeFirstOrThrow();
  await database.ownerDb.insertInto('webhook_endpoints').values({
    account_id: shop.accountId, livemode: true, uri: receiver.url('/moved-live'), secret_wrapped_key: testRow.secret_wrapped_key, secret_ciphertext: testRow.secret_ciphertext,
  }).execute();
  // … and one bit of the test endpoint's own sealed secret flipped.
  const flipped = Buffer.from(testRow.secret_ciphertext);
  flipped[20]! ^= 1;
  await database.ownerDb.updateTable('webhook_endpoints').set({ secret_ciphertext: flipped })
    .where('account_id', '=', shop.accountId).where('livemode', '=', false).execute();
  const before = receiver.received.length;
  const ids = [(await eventOf(shop, await change(shop)))!.id, (await eventOf(live, await change(live)))!.id];
  const refusedEvents = () => new Set(log.text().split('\n').filter((line) => line.includes('its signing secret cannot be opened'))
    .map((line) => /"event":"([a-z0-9_]+)"/.exec(line)?.[1]));
  const deadline = Date.now() + 10_000;
  while (!ids.every((id) => refusedEvents().has(id))) {
    if (Date.now() > deadline) throw new Error('the deliveries were not refused');
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  assert.equal(receiver.received.length, before, 'nothing reached the receiver');
  for (const [who, id] of [[shop, ids[0]!], [live, ids[1]!]] as const) {
    assert.equal((await events.retrieve(who, id)).webhook_deliveries.length, 0, 'no attempt: nothing was sent');
  }
});
