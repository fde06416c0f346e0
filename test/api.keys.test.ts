// API keys on the real platform (`strongroom start`: kms, vault, api over TLS and mTLS). Keys are
// managed on the api's internal listener as the dashboard would (a dashboard certificate from the
// platform's internal CA) and used on the public hosts with the OFFICIAL omise client: rolling with a
// grace period, IP allow-lists, live keys seeing only live objects and test keys only test ones, the
// vault learning of new and revoked public keys, public keys refused on the api host, other callers
// refused on the internal listener, the operators' CLI, and no secret or hash in any list answer, log
// or audit entry.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { hashApiKey } from '#lib/contracts/index.ts';
import { readPlatformSettings } from '#lib/config/index.ts';
import { openDatabase, sql, type Kysely } from '#lib/db/index.ts';
import { createMtlsClient, type MtlsClient } from '#lib/http/index.ts';
import { createStaticIdentity, generateKeyPair } from '#lib/tls/index.ts';
import { createDevPki } from '../bin/platform/pki.ts';
import { routeOmiseClientTo } from '../services/vault/testing.ts';
import type { ApiDatabase } from '../services/api/db.ts';
import { httpsJson, startPlatform, type RunningPlatform } from './platform-harness.ts';

type Obj = Record<string, any>;
type Client = {
  tokens: { create(data: object): Promise<Obj> };
  customers: { create(data: object): Promise<Obj>; list(params?: object): Promise<Obj>; retrieve(id: string): Promise<Obj> };
};
const omise = createRequire(import.meta.url)('omise') as (config: { publicKey?: string; secretKey?: string; host: string; vaultHost: string }) => Client;
const CARD = { name: 'Somchai Prasert', number: '4242424242424242', expiration_month: 12, expiration_year: 2040, security_code: '123' };
const USER = 'user_5x1753iuub61dfe41qa';
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function refusal(promise: Promise<unknown>): Promise<Obj> {
  try {
    await promise;
  } catch (error) {
    assert.equal((error as Obj)?.object, 'error', `expected an Omise error object, got ${JSON.stringify(error)}`);
    return error as Obj;
  }
  assert.fail('expected the request to be refused');
}

describe('API keys over the internal listener and the official omise client', () => {
  let platform: RunningPlatform;
  let restore: (() => void) | undefined;
  let demo: { accountId: string; publicKey: string; secretKey: string };
  let apiDb: Kysely<ApiDatabase>;
  const internal: Record<string, MtlsClient> = {};
  const shown: string[] = [];

  /** A client of the api's internal listener with a certificate for `name` from the platform's internal CA. */
  async function internalClient(name: string): Promise<MtlsClient> {
    const pki = await createDevPki(readPlatformSettings({ STRONGROOM_DATA_DIR: platform.dataDir }));
    const pair = generateKeyPair();
    const certPem = await pki.issueToolIdentity(name, pair.publicKeyPem);
    const identity = createStaticIdentity({ certPem, keyPem: pair.privateKeyPem, caPem: pki.internalCaPem });
    return createMtlsClient({ identity, baseUrl: `https://127.0.0.1:${platform.ports.apiInternal}`, expectedServer: 'api' });
  }
  async function manage(method: 'GET' | 'POST' | 'PUT', path: string, body?: object, as = 'dashboard') {
    const answer = await internal[as]!.request(method, `/internal/v1/accounts/${demo.accountId}/keys${path}`, body);
    const text = JSON.stringify(answer.body);
    for (const secret of shown) assert.ok(!text.includes(hashApiKey(secret)), 'never a hash');
    return { status: answer.status, body: answer.body as Obj };
  }
  /** New keys through the internal API; their secret values are remembered for the leak checks. */
  async function create(livemode: boolean, kind?: 'public' | 'secret'): Promise<Obj[]> {
    const answer = await manage('POST', '', { actor_id: USER, livemode, ...(kind ? { kind } : {}) });
    assert.equal(answer.status, 200, JSON.stringify(answer.body));
    for (const key of answer.body.data as Obj[]) if (key.kind === 'secret') shown.push(key.key);
    return answer.body.data as Obj[];
  }
  const account = (secretKey: string) => httpsJson(platform, platform.ports.api, '/account', { auth: secretKey });
  const client = (keys: { publicKey: string; secretKey: string }) => omise({ ...keys, host: '127.0.0.1', vaultHost: 'localhost' });
  /** Retries `fn` until it resolves (the api pushes public keys to the vault asynchronously). */
  async function eventually<T>(fn: () => Promise<T>, what: string, withinMs = 20_000): Promise<T> {
    const deadline = Date.now() + withinMs;
    for (;;) {
      try {
        return await fn();
      } catch (error) {
        if (Date.now() > deadline) throw new Error(`${what}: ${JSON.stringify(error)}`);
        await sleep(250);
      }
    }
  }

  before(async () => {
    // The tests fail authentication on purpose; the per-IP limit on failures must not get in the way.
    platform = await startPlatform({ STRONGROOM_API_AUTH_FAILURE_LIMIT: '1000', STRONGROOM_VAULT_AUTH_FAILURE_LIMIT: '1000' });
    demo = JSON.parse(await readFile(join(platform.dataDir, 'demo.json'), 'utf8'));
    shown.push(demo.secretKey);
    restore = routeOmiseClientTo({ localhost: platform.ports.vault, '127.0.0.1': platform.ports.api }, platform.caPem);
    const config = JSON.parse(await readFile(join(platform.dataDir, 'services', 'api', 'config.json'), 'utf8')) as { databaseUrl: string };
    apiDb = openDatabase<ApiDatabase>(config.databaseUrl, { max: 2 });
    for (const name of ['dashboard', 'operator', 'scanner']) internal[name] = await internalClient(name);
  });
  after(async () => {
    restore?.();
    for (const c of Object.values(internal)) await c.close();
    await apiDb?.destroy();
    await platform?.stop();
  });

  test('a public key is refused on the api host; a secret key is refused on the vault host', async () => {
    for (const path of ['/account', '/customers', '/charges']) {
      const answer = await httpsJson(platform, platform.ports.api, path, { auth: demo.publicKey });
      assert.deepEqual([answer.status, answer.body.code], [401, 'authentication_failure'], path);
    }
    const tokenWithSecret = await refusal(omise({ publicKey: demo.secretKey, host: '127.0.0.1', vaultHost: 'localhost' }).tokens.create({ card: CARD }));
    assert.equal(tokenWithSecret.code, 'authentication_failure');
  });

  test('only the dashboard and operators reach key management; another internal identity gets 403', async () => {
    assert.equal((await manage('GET', '')).status, 200);
    assert.equal((await manage('GET', '', undefined, 'operator')).status, 200);
    const refused = await manage('GET', '', undefined, 'scanner');
    assert.deepEqual([refused.status, refused.body.code], [403, 'forbidden']);
    const created = await manage('POST', '', { actor_id: USER, livemode: true }, 'scanner');
    assert.equal(created.status, 403);
    // Not on the public listener at all.
    const onPublic = await httpsJson(platform, platform.ports.api, `/internal/v1/accounts/${demo.accountId}/keys`, { auth: demo.secretKey });
    assert.equal(onPublic.status, 404);
  });

  test('roll with a grace period: the old key works until it expires, then 401; the new one works', async () => {
    const [, secret] = await create(false);
    assert.equal((await account(secret!.key)).status, 200);
    const rolled = await manage('POST', `/${secret!.id}/roll`, { actor_id: USER, grace_seconds: 3 });
    assert.equal(rolled.status, 200, JSON.stringify(rolled.body));
    shown.push(rolled.body.created.key);
    assert.equal(rolled.body.rolled.key, null);
    assert.equal((await account(secret!.key)).status, 200, 'still works during the grace period');
    assert.equal((await account(rolled.body.created.key)).status, 200);
    await sleep(Date.parse(rolled.body.rolled.expires_at) + 1_000 - Date.now());
    const expired = await account(secret!.key);
    assert.deepEqual([expired.status, expired.body.code], [401, 'authentication_failure']);
    assert.equal((await account(rolled.body.created.key)).status, 200);

    const now = await manage('POST', `/${rolled.body.created.id}/roll`, { actor_id: USER, grace_seconds: 0 });
    shown.push(now.body.created.key);
    assert.equal((await account(rolled.body.created.key)).status, 401, 'grace 0: the old key stops at once');
    assert.equal((await account(now.body.created.key)).status, 200);
  });

  test('an IP allow-list refuses requests from elsewhere and admits those from inside it', async () => {
    const [secret] = await create(false, 'secret');
    const allow = async (blocks: string[] | null) => {
      const answer = await manage('PUT', `/${secret!.id}/ip-allowlist`, { actor_id: USER, ip_allowlist: blocks });
      assert.equal(answer.status, 200, JSON.stringify(answer.body));
    };
    await allow(['203.0.113.0/24', '2001:db8::/32']);
    const refused = await account(secret!.key);
    assert.deepEqual([refused.status, refused.body.code], [401, 'authentication_failure']);
    assert.match(refused.body.message, /address not allowed/);
    await allow(['127.0.0.0/8']);
    assert.equal((await account(secret!.key)).status, 200);
    await allow(['::1/128']);
    assert.equal((await account(secret!.key)).status, 401, 'an IPv6 block does not admit an IPv4 client');
    await allow(null);
    assert.equal((await account(secret!.key)).status, 200);
    const listed = (await manage('GET', '')).body.data.find((key: Obj) => key.id === secret!.id) as Obj;
    assert.deepEqual([listed.last_used_ip, typeof listed.last_used_at], ['127.0.0.1', 'string'], 'last use is tracked');
  });

  test('live keys see only live objects and test keys only test objects; the vault learns of new and revoked public keys', async () => {
    const [livePublic, liveSecret] = await create(true);
    const live = client({ publicKey: livePublic!.key, secretKey: liveSecret!.key });
    const test_ = client({ publicKey: demo.publicKey, secretKey: demo.secretKey });
    const liveToken = await eventually(() => live.tokens.create({ card: CARD }), 'the vault never accepted the new live public key');
    assert.equal(liveToken.livemode, true);
    assert.match(liveToken.id, /^tokn_[0-9a-z]{19}$/);
    const liveCustomer = await live.customers.create({ description: 'live', card: liveToken.id });
    assert.match(liveCustomer.id, /^cust_[0-9a-z]{19}$/);
    assert.equal(liveCustomer.livemode, true);
    const testCustomer = await test_.customers.create({ description: 'test' });
    assert.equal(testCustomer.livemode, false);

    assert.equal((await refusal(test_.customers.retrieve(liveCustomer.id))).code, 'not_found');
    assert.equal((await refusal(live.customers.retrieve(testCustomer.id))).code, 'not_found');
    const liveList = await live.customers.list({ limit: 100 });
    assert.ok(liveList.data.every((customer: Obj) => customer.livemode === true));
    assert.ok(liveList.data.some((customer: Obj) => customer.id === liveCustomer.id));
    assert.ok(!(await test_.customers.list({ limit: 100 })).data.some((customer: Obj) => customer.id === liveCustomer.id));
    assert.ok(!liveList.data.some((customer: Obj) => customer.id === testCustomer.id));

    const revoked = await manage('POST', `/${livePublic!.id}/revoke`, { actor_id: USER });
    assert.deepEqual([revoked.status, revoked.body.active], [200, false]);
    await eventually(async () => {
      const error = await refusal(live.tokens.create({ card: CARD }));
      assert.equal(error.code, 'authentication_failure');
    }, 'the vault kept accepting a revoked public key', 5_000);
    assert.equal((await manage('POST', `/${liveSecret!.id}/revoke`, { actor_id: USER })).status, 200);
    assert.equal((await refusal(live.customers.list())).code, 'authentication_failure');
  });

  test('operators: `strongroom keys` lists, creates and rolls over mTLS as `operator`, audited as staff', async () => {
    const cli = (...args: string[]) => new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
      const child = spawn(process.execPath, ['bin/strongroom.ts', 'keys', ...args, '--actor', 'alice'], {
        env: { ...process.env, STRONGROOM_DATA_DIR: platform.dataDir, STRONGROOM_API_INTERNAL_PORT: String(platform.ports.apiInternal) },
      });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
      child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
      child.on('close', (code) => resolve({ code, stdout, stderr }));
    });
    const listed = await cli('list', demo.accountId);
    assert.equal(listed.code, 0, listed.stderr);
    assert.ok((JSON.parse(listed.stdout) as Obj).data.length >= 2);
    const created = await cli('create', demo.accountId, '--test', '--kind', 'secret');
    assert.equal(created.code, 0, created.stderr);
    const made = (JSON.parse(created.stdout) as Obj).data[0] as Obj;
    shown.push(made.key);
    assert.match(created.stderr, /shown this once/);
    const rolled = await cli('roll', demo.accountId, made.id, '--grace', '1h');
    assert.equal(rolled.code, 0, rolled.stderr);
    const answer = JSON.parse(rolled.stdout) as Obj;
    shown.push(answer.created.key);
    assert.equal(Date.parse(answer.rolled.expires_at) - Date.now() > 3_500_000, true, 'one hour of grace');
    const refused = await cli('roll', demo.accountId, made.id, '--grace', '8d');
    assert.deepEqual([refused.code, /refused \(400 bad_request\)/.test(refused.stderr)], [1, true], refused.stderr);
    const entries = (await sql<{ entry: Obj }>`
      SELECT entry FROM (SELECT entry FROM audit_log UNION ALL SELECT entry FROM audit_outbox) e
      WHERE entry->>'action' = 'api_key.roll' AND entry->'targets' @> ${JSON.stringify([{ type: 'api_key', id: made.id }])}::jsonb`.execute(apiDb)).rows.map((row) => row.entry);
    assert.deepEqual(entries.map((entry) => [entry.actor.type, entry.actor.id, entry.origin.certIdentity]), [['staff', 'alice', 'operator']]);
  });

  test('every change is audited with the dashboard identity and the user; no secret or hash in a list, the log or the audit trail', async () => {
    const listed = await manage('GET', '?include_expired=true');
    const text = JSON.stringify(listed.body);
    assert.ok(!text.includes('secret_hash'));
    for (const secret of shown) assert.ok(!text.includes(secret), 'a list never shows a secret key');
    const entries = (await sql<{ entry: Obj }>`
      SELECT entry FROM (SELECT entry FROM audit_log UNION ALL SELECT entry FROM audit_outbox) e
      WHERE entry->>'tenant' = ${demo.accountId} AND entry->>'action' LIKE 'api_key.%' AND entry->'actor'->>'id' = ${USER}`.execute(apiDb)).rows.map((row) => row.entry);
    const actions = new Set(entries.map((entry) => entry.action));
    for (const action of ['api_key.create', 'api_key.roll', 'api_key.set_ip_allowlist', 'api_key.revoke']) assert.ok(actions.has(action), action);
    assert.ok(entries.every((entry) => entry.origin.certIdentity === 'dashboard' && entry.actor.type === 'user'));
    const log = await readFile(join(platform.dataDir, 'logs', 'api.log'), 'utf8');
    const trail = JSON.stringify(entries);
    for (const secret of shown) {
      for (const value of [secret, hashApiKey(secret)]) {
        assert.ok(!log.includes(value), 'the api log never has a secret key or its hash');
        assert.ok(!trail.includes(value), 'nor does the audit trail');
      }
    }
  });
});
