// Webhook signing secrets at rest, against the real KMS (local backend, over mTLS, each caller with
// its own certificate identity) and the api's real schema: the stored row never holds the secret; a
// flipped bit, a row moved to another endpoint or an altered wrapped key never opens; only the `api`
// identity may use `webhook-secret.<account>` keys; a sealed KMS fails closed; and migration 0010
// refuses to run over plaintext secrets. (Cross-cutting: the api's own tests cannot load CDE code.)
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { auditMigrations, createAudit } from '#lib/audit/index.ts';
import { newId } from '#lib/contracts/index.ts';
import { loadSqlMigrations, migrate, sql, type Kysely } from '#lib/db/index.ts';
import { createTestDatabase, type TestDatabase } from '#lib/db/testing.ts';
import { KmsRequestError, KmsUnavailableError, type KmsClient } from '#lib/kms-client/index.ts';
import { createLocalBackend } from '../services/kms/backends/local-backend.ts';
import { startKmsTestbed, type KmsTestbed } from '../services/kms/testing.ts';
import type { ApiDatabase } from '../services/api/db.ts';
import type { Merchant } from '../services/api/auth/secret-key.auth.ts';
import { createEndpointStore } from '../services/api/webhooks/webhook-endpoints.store.ts';
import { createWebhookEndpointService, type WebhookEndpointService } from '../services/api/webhooks/webhook-endpoints.service.ts';
import { createWebhookSecrets, WebhookSecretError, type WebhookSecrets } from '../services/api/webhooks/secrets/webhook-secrets.ts';
import { secretFormsIn } from '../services/api/webhooks/testing.ts';

const API_MIGRATIONS = new URL('../services/api/migrations/', import.meta.url);
const origin = { ip: '127.0.0.1', userAgent: 'test', requestId: 'req_test_1' };

async function refused(promise: Promise<unknown>, status: number) {
  await assert.rejects(promise, (error: unknown) => error instanceof KmsRequestError && error.status === status);
}

describe('webhook secrets sealed under the KMS', () => {
  let dir: string;
  let bed: KmsTestbed;
  let database: TestDatabase<ApiDatabase>;
  let api: KmsClient, vault: KmsClient, dashboard: KmsClient, operator: KmsClient;
  let secrets: WebhookSecrets;
  let endpoints: WebhookEndpointService;

  async function merchant(livemode = false): Promise<Merchant> {
    const accountId = newId('account');
    await database.db.insertInto('accounts').values({ id: accountId, email: `${accountId}@merchant.test`, name: 'Merchant' }).execute();
    return { accountId, livemode, keyId: newId('key') };
  }
  const rowOf = (who: Merchant, db: Kysely<ApiDatabase> = database.db) => db.selectFrom('webhook_endpoints').selectAll()
    .where('account_id', '=', who.accountId).where('livemode', '=', who.livemode).executeTakeFirstOrThrow();

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'webhook-secrets-'));
    bed = await startKmsTestbed(createLocalBackend(), { devSharesFile: join(dir, 'shares.json') });
    api = await bed.client('api');
    vault = await bed.client('vault');
    dashboard = await bed.client('dashboard');
    operator = await bed.client('operator');
    database = await createTestDatabase<ApiDatabase>([await auditMigrations(), await loadSqlMigrations('api', API_MIGRATIONS)]);
    secrets = createWebhookSecrets({ kms: api });
    endpoints = createWebhookEndpointService({
      db: database.db, store: createEndpointStore(database.db), audit: createAudit({ db: database.db, service: 'api' }), secrets, allowPrivateTestHosts: true,
    });
  });
  after(async () => {
    secrets?.close();
    await database?.close();
    await bed?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  test('the stored row holds the sealed secret and the wrapped data key, never the secret; it opens to the secret', async () => {
    const shop = await merchant();
    const { secret } = await endpoints.set(shop, 'https://127.0.0.1:9/hook', origin);
    const row = await rowOf(shop);
    assert.deepEqual(secretFormsIn(row, secret!), [], 'no form of the secret in any column');
    const dump = (await sql<{ text: string }>`SELECT row_to_json(w)::text AS text FROM webhook_endpoints w WHERE account_id = ${shop.accountId}`
      .execute(database.ownerDb)).rows[0]!.text;
    assert.deepEqual(secretFormsIn({ dump }, secret!), [], 'nor in the row as PostgreSQL prints it');
    assert.ok(row.secret_wrapped_key.startsWith(`kms1:webhook-secret.${shop.accountId}:1:`), 'wrapped by the merchant\'s own KEK');
    assert.match(row.secret_wrapped_key, /^kms1:webhook-secret\.acct_[0-9a-z]{19}:1:[A-Za-z0-9_-]+$/);
    assert.equal(row.secret_ciphertext.length, 60);
    const opened = await secrets.open(row);
    assert.equal(opened.toString('base64'), secret);
    // Setting the endpoint again seals a new secret under a new data key.
    const again = await endpoints.set(shop, 'https://127.0.0.1:9/hook', origin);
    const next = await rowOf(shop);
    assert.notEqual(again.secret, secret);
    assert.notEqual(next.secret_wrapped_key, row.secret_wrapped_key);
    assert.equal((await secrets.open(next)).toString('base64'), again.secret);
  });

  test('a flipped bit, a row moved to another endpoint or an altered wrapped key never opens', async () => {
    const shop = await merchant();
    await endpoints.set(shop, 'https://127.0.0.1:9/hook', origin);
    const row = await rowOf(shop);
    for (let at = 0; at < row.secret_ciphertext.length; at += 7) {
      const flipped = Buffer.from(row.secret_ciphertext);
      flipped[at]! ^= 0x80;
      await assert.rejects(secrets.open({ ...row, secret_ciphertext: flipped }), WebhookSecretError, `bit flipped at byte ${at}`);
    }
    // The same merchant's other mode: the binding (account and mode) differs.
    const live = { ...shop, livemode: true };
    await database.ownerDb.insertInto('webhook_endpoints').values({ ...row, livemode: true }).execute();
    await assert.rejects(secrets.open(await rowOf(live)), WebhookSecretError);
    // Another merchant: PostgreSQL refuses a wrapped key of another account's KEK …
    const other = await merchant();
    await assert.rejects(database.ownerDb.insertInto('webhook_endpoints').values({ ...row, account_id: other.accountId }).execute(), /check constraint/);
    // … and so does the api, without asking the KMS, if such a row reached it anyway.
    await assert.rejects(secrets.open({ ...row, account_id: other.accountId }), WebhookSecretError);
    // Only the ciphertext moved, under the other merchant's own data key: the binding and key differ.
    const { secret: otherSecret } = await endpoints.set(other, 'https://127.0.0.1:9/other', origin);
    const otherRow = await rowOf(other);
    await assert.rejects(secrets.open({ ...otherRow, secret_ciphertext: row.secret_ciphertext }), WebhookSecretError);
    assert.equal((await secrets.open(otherRow)).toString('base64'), otherSecret);
    // The wrapped data key altered: the KMS refuses to unwrap it.
    const [prefix, keyId, version, body] = row.secret_wrapped_key.split(':') as [string, string, string, string];
    const bytes = Buffer.from(body, 'base64url');
    bytes[bytes.length - 1]! ^= 1;
    await refused(secrets.open({ ...row, secret_wrapped_key: `${prefix}:${keyId}:${version}:${bytes.toString('base64url')}` }), 422);
  });

  test('only the api may obtain or unwrap webhook-secret data keys: vault, dashboard and operators get 403', async () => {
    const shop = await merchant();
    await endpoints.set(shop, 'https://127.0.0.1:9/hook', origin);
    const { secret_wrapped_key: wrapped } = await rowOf(shop);
    for (const caller of [vault, dashboard, operator]) {
      await refused(caller.dataKey(`webhook-secret.${shop.accountId}`), 403);
      await refused(caller.decrypt(wrapped), 403);
    }
    // The api's keys are per merchant: the bare family name is no key.
    await refused(api.dataKey('webhook-secret'), 403);
    // And the api still gets no card-data key.
    await refused(api.dataKey('card-data'), 403);
  });

  test('a sealed KMS fails closed: no secret is sealed or opened, nothing falls back', async () => {
    const shop = await merchant();
    await endpoints.set(shop, 'https://127.0.0.1:9/hook', origin);
    const row = await rowOf(shop);
    const cold = createWebhookSecrets({ kms: api }); // nothing cached yet
    await operator.call('POST', '/v1/sys/seal');
    try {
      await assert.rejects(cold.open(row), (error: unknown) => error instanceof KmsUnavailableError && error.reason === 'sealed');
      await assert.rejects(endpoints.set(shop, 'https://127.0.0.1:9/new', origin), (error: unknown) => (error as { statusCode?: number }).statusCode === 503);
      assert.equal((await rowOf(shop)).uri, 'https://127.0.0.1:9/hook', 'the endpoint is unchanged');
    } finally {
      const shares = JSON.parse(await readFile(bed.sharesFile!, 'utf8')).shares as string[];
      for (const share of shares.slice(0, 2)) await operator.call('POST', '/v1/sys/unseal', { share });
      cold.close();
    }
    assert.ok((await secrets.open(row)).length === 32);
  });

  test('migration 0010 refuses plaintext secrets with instructions, and leaves them as they were', async () => {
    const all = await loadSqlMigrations('api', API_MIGRATIONS);
    const before0010 = { name: 'api', migrations: Object.fromEntries(Object.entries(all.migrations).filter(([name]) => name < '0010')) };
    const old = await createTestDatabase<Record<string, never>>([await auditMigrations(), before0010]);
    try {
      await sql`INSERT INTO accounts (id, email, name) VALUES ('acct_test_0000000000000000001', 'a@merchant.test', 'A')`.execute(old.ownerDb);
      await sql`INSERT INTO webhook_endpoints (account_id, livemode, uri, secret)
        VALUES ('acct_test_0000000000000000001', false, 'https://example.com/hook', ${Buffer.alloc(32, 7).toString('base64')})`.execute(old.ownerDb);
      await assert.rejects(migrate(old.ownerDb as Kysely<unknown>, [all], { runtimeRole: old.runtimeRole }),
        /0010_webhook_secrets_sealed failed: webhook_endpoints holds 1 endpoint\(s\) whose signing secret is stored unencrypted.*fresh data directory.*PATCH \/account/s);
      const kept = await sql<{ n: number }>`SELECT count(*) AS n FROM webhook_endpoints WHERE secret IS NOT NULL`.execute(old.ownerDb);
      assert.equal(Number(kept.rows[0]!.n), 1, 'nothing was changed');
      await sql`DELETE FROM webhook_endpoints`.execute(old.ownerDb);
      await migrate(old.ownerDb as Kysely<unknown>, [all], { runtimeRole: old.runtimeRole });
      const columns = await sql<{ column_name: string }>`SELECT column_name FROM information_schema.columns WHERE table_name = 'webhook_endpoints'`.execute(old.ownerDb);
      assert.ok(!columns.rows.some((column) => column.column_name === 'secret'), 'the plaintext column is gone');
    } finally {
      await old.close();
    }
  });
});
