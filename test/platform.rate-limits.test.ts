// The operator's rate-limit settings reach the running services: with STRONGROOM_VAULT_TOKEN_RATE_LIMIT
// set low, the vault (started by `strongroom start`, settings → service config → vault) answers the
// token over the limit with 429, Retry-After and the Omise error object, and stores nothing for it.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { httpsJson, retryUntil, startPlatform, type RunningPlatform } from './platform-harness.ts';

const CARD = { name: 'Rate Limit', number: '4242424242424242', expiration_month: 12, expiration_year: 2031, security_code: '123' };

let platform: RunningPlatform;
let publicKey: string;

before(async () => {
  platform = await startPlatform({ STRONGROOM_VAULT_TOKEN_RATE_LIMIT: '3' });
  ({ publicKey } = JSON.parse(await readFile(join(platform.dataDir, 'demo.json'), 'utf8')) as { publicKey: string });
});
after(async () => { await platform?.stop(); });

test('the vault\'s per-key token limit comes from the operator\'s setting', async () => {
  const tokenize = () => httpsJson(platform, platform.ports.vault, '/tokens', { method: 'POST', auth: publicKey, body: { card: CARD } });
  // The vault learns the demo key asynchronously; the first success counts against the limit.
  const first = await retryUntil(async () => {
    const answer = await tokenize();
    if (answer.status === 401) throw new Error('key not known yet');
    return answer;
  }, 'the vault never learned the demo public key');
  assert.equal(first.status, 200);
  assert.equal((await tokenize()).status, 200);
  assert.equal((await tokenize()).status, 200);
  const refused = await tokenize();
  assert.equal(refused.status, 429);
  assert.match(String(refused.headers['retry-after']), /^[1-9]\d*$/);
  assert.deepEqual([refused.body.object, refused.body.code], ['error', 'too_many_requests']);
  assert.equal(JSON.stringify(refused.body).includes('4242'), false);
});
