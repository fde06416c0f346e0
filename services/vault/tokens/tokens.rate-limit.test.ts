// Card-testing limits on the vault's public tokens API (tokens.rate-limit.ts), on a real vault with
// small limits from its config and a clock the test moves: per public key and per client IP on
// POST /tokens, failed authentications per IP before the key is looked up. Refusals are 429 in the
// Omise error format with Retry-After, and store nothing.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { sql } from '#lib/db/index.ts';
import { readPlatformSettings } from '#lib/config/index.ts';
import { startVaultTestbed, type VaultTestbed } from '../testing.ts';
import { DEFAULT_VAULT_RATE_LIMITS, readVaultRateLimits } from './tokens.rate-limit.ts';

const CARD = { name: 'Somchai Prasert', number: '4242424242424242', expiration_month: 12, expiration_year: 2040, security_code: '123' };
const LIMITS = { tokensPerKeyPerMinute: 3, tokensPerIpPerMinute: 5, authFailuresPerMinute: 2 };

describe('vault tokens API rate limits', () => {
  let bed: VaultTestbed;
  let t = 1_000_000;
  before(async () => {
    bed = await startVaultTestbed({ extra: { rateLimits: LIMITS }, now: () => t });
  });
  after(async () => {
    await bed?.close();
  });

  const tokenCount = async () => (await sql<{ n: number }>`SELECT count(*)::int AS n FROM vault_tokens`.execute(bed.database.db)).rows[0]!.n;
  const auth = (key: string) => `Basic ${Buffer.from(`${key}:`).toString('base64')}`;
  const tokenize = (key: string, ip: string) =>
    bed.vault.publicApp.inject({ method: 'POST', url: '/tokens', headers: { authorization: auth(key) }, payload: { card: CARD }, remoteAddress: ip });
  const statuses = async (runs: Array<() => ReturnType<typeof tokenize>>) => {
    const out: number[] = [];
    for (const run of runs) out.push((await run()).statusCode);
    return out;
  };
  function assertRefused(answer: Awaited<ReturnType<typeof tokenize>>, retryAfter: number, reason: RegExp) {
    assert.equal(answer.statusCode, 429);
    assert.equal(answer.headers['retry-after'], String(retryAfter));
    const body = answer.json() as Record<string, unknown>;
    assert.deepEqual(Object.keys(body).sort(), ['code', 'location', 'message', 'object']);
    assert.equal(body.object, 'error');
    assert.equal(body.code, 'too_many_requests');
    assert.equal(body.location, 'https://www.omise.co/api-errors#too-many-requests');
    assert.match(String(body.message), reason);
    assert.ok(String(body.message).endsWith(`; retry after ${retryAfter} s`), String(body.message));
  }

  test('over the per-key limit: 429 with Retry-After, nothing stored; another key goes on; the key refills', async () => {
    const a = await bed.merchant();
    const b = await bed.merchant();
    const ip = '198.51.100.1';
    assert.deepEqual(await statuses([1, 2, 3].map(() => () => tokenize(a.publicKey, ip))), [200, 200, 200]);
    const before = await tokenCount();
    const refused = await tokenize(a.publicKey, ip);
    assertRefused(refused, 20, /too many tokens for this key/);
    assert.equal(await tokenCount(), before, 'a refused request stores no token');
    assert.equal((await tokenize(b.publicKey, ip)).statusCode, 200, 'another key is unaffected');
    const made = (await tokenize(b.publicKey, ip)).json() as { id: string };
    // Only creation is limited: the exhausted key still reads its tokens.
    const read = await bed.vault.publicApp.inject({ method: 'GET', url: `/tokens/${made.id}`, headers: { authorization: auth(b.publicKey) }, remoteAddress: ip });
    assert.equal(read.statusCode, 200);
    t += 20_000;
    assert.equal((await tokenize(a.publicKey, '198.51.100.2')).statusCode, 200, 'one token back after 60 s / 3');
    assert.equal((await tokenize(a.publicKey, '198.51.100.2')).statusCode, 429);
  });

  test('over the per-IP limit: 429 whatever the key; another address goes on', async () => {
    const keys = [await bed.merchant(), await bed.merchant(), await bed.merchant()].map((m) => m.publicKey);
    const ip = '198.51.100.10';
    assert.deepEqual(await statuses([0, 0, 0, 1, 1].map((i) => () => tokenize(keys[i]!, ip))), [200, 200, 200, 200, 200]);
    const before = await tokenCount();
    assertRefused(await tokenize(keys[2]!, ip), 12, /too many tokens from this address/);
    assert.equal(await tokenCount(), before, 'a refused request stores no token');
    assert.equal((await tokenize(keys[2]!, '198.51.100.11')).statusCode, 200, 'another address is unaffected');
  });

  test('failed authentications from one IP: 429 even with a good key until the window refills; another IP goes on', async () => {
    const good = (await bed.merchant()).publicKey;
    const ip = '203.0.113.5';
    const bad = ['pkey_test_5x0000000000000000000000000', 'skey_test_5x0000000000000000000000000'];
    assert.deepEqual(await statuses(bad.map((key) => () => tokenize(key, ip))), [401, 401]);
    const before = await tokenCount();
    assertRefused(await tokenize(good, ip), 30, /too many failed authentications from this address/);
    const noAuth = await bed.vault.publicApp.inject({ method: 'GET', url: '/tokens/tokn_test_5x0000000000000000000', remoteAddress: ip });
    assert.equal(noAuth.statusCode, 429, 'refused before any key is looked at');
    assert.equal(await tokenCount(), before, 'a refused request stores no token');
    assert.equal((await tokenize(good, '203.0.113.6')).statusCode, 200, 'another address is unaffected');
    assert.equal((await tokenize(bad[0]!, '203.0.113.6')).statusCode, 401, 'and keeps its own count');
    t += 29_000;
    assert.equal((await tokenize(good, ip)).statusCode, 429, 'not yet: a failure comes back every 30 s');
    t += 1_000;
    assert.equal((await tokenize(good, ip)).statusCode, 200);
  });
});

test('the vault reads its limits from extra.rateLimits, the supervisor from the environment', () => {
  assert.deepEqual(readVaultRateLimits({}), DEFAULT_VAULT_RATE_LIMITS);
  assert.deepEqual(DEFAULT_VAULT_RATE_LIMITS, {
    tokensPerKey: { capacity: 600, perSeconds: 60 }, tokensPerIp: { capacity: 300, perSeconds: 60 }, authFailuresPerIp: { capacity: 20, perSeconds: 60 },
  });
  assert.deepEqual(readVaultRateLimits({ rateLimits: LIMITS }), {
    tokensPerKey: { capacity: 3, perSeconds: 60 }, tokensPerIp: { capacity: 5, perSeconds: 60 }, authFailuresPerIp: { capacity: 2, perSeconds: 60 },
  });
  assert.throws(() => readVaultRateLimits({ rateLimits: { tokensPerKeyPerMinute: 0 } }), /tokensPerKeyPerMinute/);
  assert.throws(() => readVaultRateLimits({ rateLimits: { authFailuresPerMinute: '5' } }), /authFailuresPerMinute/);
  const env = { STRONGROOM_VAULT_TOKEN_RATE_LIMIT: '7', STRONGROOM_VAULT_TOKEN_IP_RATE_LIMIT: '8', STRONGROOM_VAULT_AUTH_FAILURE_LIMIT: '9' };
  assert.deepEqual(readPlatformSettings(env).vaultRateLimits, { tokensPerKeyPerMinute: 7, tokensPerIpPerMinute: 8, authFailuresPerMinute: 9 });
  assert.deepEqual(readPlatformSettings({}).vaultRateLimits, { tokensPerKeyPerMinute: undefined, tokensPerIpPerMinute: undefined, authFailuresPerMinute: undefined });
  assert.throws(() => readPlatformSettings({ STRONGROOM_VAULT_TOKEN_IP_RATE_LIMIT: '1.5' }), /STRONGROOM_VAULT_TOKEN_IP_RATE_LIMIT/);
});
