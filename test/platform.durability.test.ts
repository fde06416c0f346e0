// Issue "Platform foundation", Done when: `npm start` brings every service up; killing a service
// process makes the supervisor restart it; nothing acknowledged before a kill -9 (of the service or
// of its database server) is lost.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { httpsJson, startPlatform, type RunningPlatform } from './platform-harness.ts';

let platform: RunningPlatform;
let secretKey: string;

before(async () => {
  platform = await startPlatform();
  secretKey = JSON.parse(await readFile(join(platform.dataDir, 'demo.json'), 'utf8')).secretKey;
});
after(async () => platform?.stop());

async function waitFor(what: string, check: () => Promise<boolean>, timeoutMs = 60_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check().catch(() => false)) return;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}\n${platform.output().slice(-2000)}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

test('every public listener answers /healthz over HTTPS and demo.json holds the demo credentials', async () => {
  for (const port of [platform.ports.dashboard, platform.ports.api, platform.ports.vault]) {
    const res = await httpsJson(platform, port, '/healthz');
    assert.equal(res.status, 200);
    assert.match(String(res.headers['strict-transport-security']), /max-age=\d{8,}/);
  }
  const demo = JSON.parse(await readFile(join(platform.dataDir, 'demo.json'), 'utf8'));
  for (const key of ['publicKey', 'secretKey', 'email', 'password']) assert.ok(demo[key], `demo.json lacks ${key}`);
  assert.match(demo.secretKey, /^skey_test_/);
});

test('the demo public key tokenizes a card on the vault host (the api pushed its hash to the vault over mTLS)', async () => {
  const demo = JSON.parse(await readFile(join(platform.dataDir, 'demo.json'), 'utf8'));
  const card = { name: 'Demo Payer', number: '4242424242424242', expiration_month: 12, expiration_year: 2040, security_code: '123' };
  let answer: Awaited<ReturnType<typeof httpsJson>> | undefined;
  await waitFor('the vault to know the demo public key', async () => {
    answer = await httpsJson(platform, platform.ports.vault, '/tokens', { method: 'POST', auth: demo.publicKey, body: { card } });
    return answer.status === 200;
  }, 30_000);
  assert.match(String(answer!.body.id), /^tokn_test_/);
  assert.equal(answer!.body.card.last_digits, '4242');
  const refused = await httpsJson(platform, platform.ports.vault, '/tokens', { method: 'POST', auth: demo.secretKey, body: { card } });
  assert.equal(refused.status, 401, 'a secret key is refused on the vault host');
  const hosted = await httpsJson(platform, platform.ports.vault, '/hosted/v1/strongroom.js');
  assert.equal(hosted.status, 200, 'the hosted card fields library is served');
});

test('a write acknowledged before kill -9 of the api process survives, and the supervisor restarts the api', async () => {
  const created = await httpsJson(platform, platform.ports.api, '/customers', { method: 'POST', auth: secretKey, body: { email: 'before-kill@example.com' } });
  assert.equal(created.status, 200, JSON.stringify(created.body));
  const before = (await platform.state()).services.api!;
  process.kill(before, 'SIGKILL');
  await waitFor('api restarted', async () => {
    const now = (await platform.state()).services.api;
    return now !== undefined && now !== before && (await httpsJson(platform, platform.ports.api, '/healthz')).status === 200;
  });
  const read = await httpsJson(platform, platform.ports.api, `/customers/${created.body.id}`, { auth: secretKey });
  assert.equal(read.status, 200);
  assert.equal(read.body.email, 'before-kill@example.com');
  assert.match(platform.output(), /service exited; restarting|api .*restart/i);
});

test('a write acknowledged before kill -9 of the database server survives its restart', async () => {
  const created = await httpsJson(platform, platform.ports.api, '/customers', { method: 'POST', auth: secretKey, body: { description: 'acknowledged' } });
  assert.equal(created.status, 200);
  const postmaster = (await platform.state()).clusters.core!;
  process.kill(postmaster, 'SIGKILL');
  // Pooled backends can answer for a moment after their postmaster died: wait for the restarted server.
  await waitFor('database restarted', async () => {
    const now = (await platform.state()).clusters.core;
    return now !== undefined && now !== postmaster;
  });
  await waitFor('database back', async () => {
    const read = await httpsJson(platform, platform.ports.api, `/customers/${created.body.id}`, { auth: secretKey });
    return read.status === 200 && read.body.description === 'acknowledged';
  });
  const state = await platform.state();
  assert.notEqual(state.clusters.core, postmaster, 'the database server was restarted');
});
