// The api keeps the vault's copy of public keys in step, over real mTLS (a stand-in vault listener
// that records what it is told: the api may not load vault code), pushing only what changed and
// retrying what failed.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { FastifyInstance } from 'fastify';
import { auditMigrations, createAudit } from '#lib/audit/index.ts';
import { hashApiKey } from '#lib/contracts/index.ts';
import { loadSqlMigrations } from '#lib/db/index.ts';
import { createTestDatabase, type TestDatabase } from '#lib/db/testing.ts';
import { createHttpsApp } from '#lib/http/index.ts';
import { createTestCa, createTestLogger, listen, staticIdentity, type TestLogger } from '#lib/http/testing.ts';
import type { ApiDatabase } from '../db.ts';
import { createAccountStore } from '../accounts/accounts.store.ts';
import { createAccountService } from '../accounts/accounts.service.ts';
import { createVaultClient, type VaultClient } from './vault-client.ts';
import { createPublicKeySyncJob } from './public-key-sync.job.ts';
import { createKeyStore } from '../keys/keys.store.ts';
import { createKeyService } from '../keys/keys.service.ts';

let database: TestDatabase<ApiDatabase>;
let vaultApp: FastifyInstance;
let client: VaultClient;
let log: TestLogger;
const received: Array<{ caller: string | null; account: string; keys: Array<{ key_id: string; key_hash: string; livemode: boolean }> }> = [];
let failNext = 0;

before(async () => {
  database = await createTestDatabase<ApiDatabase>([await auditMigrations(), await loadSqlMigrations('api', new URL('../migrations/', import.meta.url))]);
  const ca = await createTestCa();
  log = createTestLogger('vault');
  vaultApp = createHttpsApp({ service: 'vault', identity: await staticIdentity(ca, 'vault'), mtls: true, logger: log.logger });
  vaultApp.put<{ Params: { accountId: string }; Body: { keys: typeof received[number]['keys'] } }>('/internal/v1/accounts/:accountId/public-keys',
    { config: { allowedCallers: ['api'] } }, async (request, reply) => {
      if (failNext > 0) {
        failNext--;
        return reply.code(503).send({ object: 'error', code: 'service_unavailable', message: 'try later' });
      }
      received.push({ caller: request.caller, account: request.params.accountId, keys: request.body.keys });
      return { ok: true };
    });
  const port = await listen(vaultApp);
  client = createVaultClient({ identity: await staticIdentity(ca, 'api'), baseUrl: `https://127.0.0.1:${port}` });
});
after(async () => {
  await client?.close();
  await vaultApp?.close();
  await database?.close();
  log?.cleanup();
});

test('a new account\'s public key reaches the vault as a hash, once; failures are retried; expired keys are withdrawn', async () => {
  const job = createPublicKeySyncJob({ db: database.db, vault: client, logger: log.logger });
  const accounts = createAccountService({ db: database.db, store: createAccountStore(database.db), audit: createAudit({ db: database.db, service: 'api' }) });
  const made = await accounts.createAccount({ email: 'a@example.test', name: 'A' }, { type: 'system', id: 'test' });
  assert.deepEqual(await job.runOnce(), { pushed: 1, failed: 0 });
  assert.equal(received.length, 1);
  assert.equal(received[0]!.caller, 'api', 'the vault sees the api certificate identity');
  assert.equal(received[0]!.account, made.accountId);
  assert.deepEqual(received[0]!.keys.map((key) => [key.key_hash, key.livemode]).sort(), [[hashApiKey(made.publicKey), false], [hashApiKey(made.live.publicKey), true]].sort(), 'the test and the live public key');
  for (const value of [made.publicKey, made.secretKey, made.live.publicKey, made.live.secretKey]) {
    assert.ok(!JSON.stringify(received).includes(value), 'only hashes of the public keys, never a secret key');
  }
  assert.deepEqual(await job.runOnce(), { pushed: 0, failed: 0 }, 'nothing changed, nothing pushed');

  const second = await accounts.createAccount({ email: 'b@example.test', name: 'B' }, { type: 'system', id: 'test' });
  failNext = 1;
  assert.deepEqual(await job.runOnce(), { pushed: 0, failed: 1 });
  assert.deepEqual(await job.runOnce(), { pushed: 1, failed: 0 }, 'the failed push is retried');
  assert.equal(received.at(-1)!.account, second.accountId);

  await database.ownerDb.updateTable('api_keys').set({ expires_at: new Date(Date.now() - 1000) }).where('account_id', '=', made.accountId).where('kind', '=', 'public').execute();
  assert.deepEqual(await job.runOnce(), { pushed: 1, failed: 0 });
  assert.deepEqual(received.at(-1), { caller: 'api', account: made.accountId, keys: [] }, 'an expired key is withdrawn from the vault');
});

test('a rolled public key leaves the vault as its grace ends, not at the next interval; a new or revoked key at once', async () => {
  const job = createPublicKeySyncJob({ db: database.db, vault: client, logger: log.logger });
  const audit = createAudit({ db: database.db, service: 'api' });
  const accounts = createAccountService({ db: database.db, store: createAccountStore(database.db), audit });
  const keys = createKeyService({ db: database.db, store: createKeyStore(database.db), audit, onKeysChanged: () => job.kick() });
  const made = await accounts.createAccount({ email: 'c@example.test', name: 'C' }, { type: 'system', id: 'test' });
  const pushedFor = () => received.filter((push) => push.account === made.accountId).at(-1)?.keys.map((key) => key.key_hash).sort();
  async function until(predicate: () => boolean, withinMs: number, what: string) {
    const deadline = Date.now() + withinMs;
    while (!predicate()) {
      if (Date.now() > deadline) throw new Error(`not within ${withinMs} ms: ${what}`);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }
  job.start(60_000);
  try {
    await until(() => pushedFor()?.length === 2, 5_000, 'the new account pushed');
    const testPublic = (await keys.list(made.accountId, { includeExpired: false })).find((key) => key.kind === 'public' && !key.livemode)!;
    const rolled = await keys.roll(made.accountId, testPublic.id, { graceSeconds: 1 }, { caller: 'dashboard', actorId: 'user_test' });
    const withNew = [hashApiKey(made.publicKey), hashApiKey(made.live.publicKey), hashApiKey(rolled.created.key!)].sort();
    await until(() => JSON.stringify(pushedFor()) === JSON.stringify(withNew), 2_000, 'the new key pushed at once, the old one kept for its grace');
    const rolledAt = Date.now();
    const afterGrace = [hashApiKey(made.live.publicKey), hashApiKey(rolled.created.key!)].sort();
    await until(() => JSON.stringify(pushedFor()) === JSON.stringify(afterGrace), 3_000, 'the old key withdrawn when its grace ended');
    assert.ok(Date.now() - rolledAt >= 500, 'not withdrawn before its grace ended');

    await keys.revoke(made.accountId, rolled.created.id, { caller: 'operator', actorId: 'alice' });
    await until(() => JSON.stringify(pushedFor()) === JSON.stringify([hashApiKey(made.live.publicKey)]), 2_000, 'a revoked key withdrawn at once');
  } finally {
    await job.stop();
  }
});
