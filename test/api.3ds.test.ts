// 3-D Secure, charge expiry and reconciliation on the real platform (`strongroom start`: kms, vault, api
// over TLS and mTLS), driven by the OFFICIAL omise client for the merchant and by plain HTTPS for the
// payer: the authorize_uri page is fetched, its form parsed and posted, as a browser without script
// would (docs/omise-compat.md §10.4). The jobs run inside the api process; the test only moves time by
// backdating rows as the database owner.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { request } from 'node:https';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createAudit } from '#lib/audit/index.ts';
import { newId } from '#lib/contracts/index.ts';
import { openDatabase, sql, type Kysely } from '#lib/db/index.ts';
import { routeOmiseClientTo } from '../services/vault/testing.ts';
import { createAccountService } from '../services/api/accounts/accounts.service.ts';
import { createAccountStore } from '../services/api/accounts/accounts.store.ts';
import type { ApiDatabase } from '../services/api/db.ts';
import { httpsJson, startPlatform, type RunningPlatform } from './platform-harness.ts';

type Obj = Record<string, any>;
type Client = {
  tokens: { create(data: object): Promise<Obj> };
  charges: { create(data: object): Promise<Obj>; retrieve(id: string): Promise<Obj>; capture(id: string, data?: object): Promise<Obj>; expire(id: string): Promise<Obj> };
};
const omise = createRequire(import.meta.url)('omise') as (config: { publicKey?: string; secretKey?: string; host: string; vaultHost: string }) => Client;

const VISA = '4242424242424242';
const VALIDATION_FAILS = '4111111111140003'; // 3-D Secure validation failure (§10.4)
const ENROLLMENT_FAILS = '4111111111150002'; // 3-D Secure enrollment failure (§10.4)
const RETURN_URI = 'https://shop.example/return?order=7';

type Page = { status: number; headers: Record<string, string | string[] | undefined>; body: string };

async function refusal(promise: Promise<unknown>): Promise<Obj> {
  try {
    await promise;
  } catch (error) {
    assert.equal((error as Obj)?.object, 'error', `expected an Omise error object, got ${JSON.stringify(error)}`);
    return error as Obj;
  }
  assert.fail('expected the request to be refused');
}

const formValueOf = (html: string) => /<input type="hidden" name="form_value" value="([A-Za-z0-9_-]+)">/.exec(html)?.[1];

describe('3-D Secure, expiry and reconciliation on the platform', () => {
  let platform: RunningPlatform;
  let restore: (() => void) | undefined;
  let client: Client;
  let demo: { accountId: string; publicKey: string; secretKey: string; urls: { api: string } };
  let ownerDb: Kysely<ApiDatabase>;

  /** What a browser does with authorize_uri: HTTPS to the api host, trusting the platform's CA. */
  function browse(uri: string, init: { method?: string; form?: Record<string, string> } = {}): Promise<Page> {
    const url = new URL(uri);
    const payload = init.form ? new URLSearchParams(init.form).toString() : undefined;
    return new Promise((resolve, reject) => {
      const req = request({
        host: '127.0.0.1', servername: url.hostname, port: Number(url.port), path: `${url.pathname}${url.search}`, method: init.method ?? 'GET',
        ca: platform.caPem, agent: false,
        headers: payload ? { 'content-type': 'application/x-www-form-urlencoded', 'content-length': Buffer.byteLength(payload) } : {},
      }, (res) => {
        let body = '';
        res.on('data', (chunk: Buffer) => { body += chunk.toString(); });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
      });
      req.on('error', reject);
      req.setTimeout(15_000, () => req.destroy(new Error('request timed out')));
      req.end(payload);
    });
  }

  /** The page, then the button the payer presses, with the form's own hidden value. */
  async function pressButton(uri: string, result: 'success' | 'failure'): Promise<Page> {
    const page = await browse(uri);
    assert.equal(page.status, 200, page.body);
    const formValue = formValueOf(page.body);
    assert.ok(formValue, 'the form carries its random value');
    return browse(uri, { method: 'POST', form: { form_value: formValue, result } });
  }

  const token = (number = VISA) =>
    client.tokens.create({ card: { name: 'Somchai Prasert', number, expiration_month: 12, expiration_year: 2040, security_code: '123' } });
  const threeDsCharge = async (number = VISA, data: object = {}) =>
    client.charges.create({ amount: 100000, currency: 'thb', card: (await token(number)).id, return_uri: RETURN_URI, authentication: '3DS', ...data });

  async function eventually<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 45_000): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const value = await probe();
      if (value !== undefined) return value;
      if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}`);
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
  }

  before(async () => {
    platform = await startPlatform();
    demo = JSON.parse(await readFile(join(platform.dataDir, 'demo.json'), 'utf8'));
    restore = routeOmiseClientTo({ localhost: platform.ports.vault, '127.0.0.1': platform.ports.api }, platform.caPem);
    client = omise({ publicKey: demo.publicKey, secretKey: demo.secretKey, host: '127.0.0.1', vaultHost: 'localhost' });
    // The owner role, to move time: the runtime role cannot rewrite created_at (test-only).
    const config = JSON.parse(await readFile(join(platform.dataDir, 'services', 'api', 'config.json'), 'utf8')) as { databaseUrl: string };
    const credentials = JSON.parse(await readFile(join(platform.dataDir, 'services', 'api', 'credentials.json'), 'utf8')) as { migratorPassword: string };
    const ownerUrl = new URL(config.databaseUrl);
    ownerUrl.username = 'api_migrator';
    ownerUrl.password = credentials.migratorPassword;
    ownerDb = openDatabase<ApiDatabase>(ownerUrl.toString(), { max: 2 });
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
    await ownerDb?.destroy();
    await platform?.stop();
  });

  test('3DS card → pending with authorize_uri; the page authenticates; the charge is successful and the payer goes to return_uri', async () => {
    const created = await threeDsCharge();
    assert.deepEqual([created.status, created.authorized, created.paid, created.capturable, created.authenticated_by, created.return_uri],
      ['pending', false, false, false, null, RETURN_URI]);
    const uri = new URL(created.authorize_uri);
    assert.equal(`${uri.origin}${uri.pathname}`, `${demo.urls.api}/payments/${created.id}/authorize`, 'on the api host');
    assert.match(uri.searchParams.get('key') ?? '', /^[A-Za-z0-9_-]{43}$/);

    const page = await browse(created.authorize_uri);
    assert.equal(page.status, 200);
    assert.match(String(page.headers['content-type']), /^text\/html/);
    assert.match(String(page.headers['content-security-policy']), /default-src 'none'.*form-action 'self' https:\/\/shop\.example/);
    assert.match(page.body, /Demo merchant/);
    assert.match(page.body, /THB 1,000\.00/);
    assert.doesNotMatch(page.body, /<script/i);

    const posted = await browse(created.authorize_uri, { method: 'POST', form: { form_value: formValueOf(page.body)!, result: 'success' } });
    assert.equal(posted.status, 302);
    assert.equal(posted.headers.location, RETURN_URI);

    const settled = await client.charges.retrieve(created.id);
    assert.deepEqual([settled.status, settled.authorized, settled.paid, settled.captured_amount, settled.authenticated_by, settled.authorize_uri],
      ['successful', true, true, 100000, '3DS', created.authorize_uri]);
    const events = await httpsJson(platform, platform.ports.api, '/events?limit=100&order=reverse_chronological', { auth: demo.secretKey });
    assert.ok((events.body.data as Obj[]).some((e) => e.key === 'charge.complete' && e.data.id === created.id && e.data.status === 'successful'),
      'charge.complete is an event');

    // A replayed POST and a second look: a clear 4xx page, nothing changes.
    const replay = await browse(created.authorize_uri, { method: 'POST', form: { form_value: formValueOf(page.body)!, result: 'failure' } });
    assert.equal(replay.status, 409);
    assert.match(replay.body, /Already completed/);
    assert.equal((await browse(created.authorize_uri)).status, 409);
    assert.equal((await client.charges.retrieve(created.id)).status, 'successful');
    // A wrong key, or the key under another charge's id: not found.
    assert.equal((await browse(created.authorize_uri.replace(/key=[^&]+/, `key=${'A'.repeat(43)}`))).status, 404);
  });

  test('the validation-failure card fails at the page; "Fail authentication" fails any card; capture false authorizes', async () => {
    const failing = await threeDsCharge(VALIDATION_FAILS);
    assert.equal(failing.status, 'pending');
    assert.equal((await pressButton(failing.authorize_uri, 'success')).status, 302);
    const failed = await client.charges.retrieve(failing.id);
    assert.deepEqual([failed.status, failed.failure_code, failed.failure_message, failed.paid, failed.authenticated_by],
      ['failed', 'payment_rejected', 'payment rejected', false, null]);

    const refused = await threeDsCharge(VISA);
    assert.equal((await pressButton(refused.authorize_uri, 'failure')).status, 302);
    assert.deepEqual([(await client.charges.retrieve(refused.id)).status, (await client.charges.retrieve(refused.id)).failure_code], ['failed', 'payment_rejected']);

    const held = await threeDsCharge(VISA, { capture: false, return_uri: undefined });
    const result = await pressButton(held.authorize_uri, 'success');
    assert.equal(result.status, 200, 'no return_uri: a result page');
    assert.match(result.body, /authorized/);
    const authorized = await client.charges.retrieve(held.id);
    assert.deepEqual([authorized.status, authorized.authorized, authorized.capturable, authorized.authenticated_by], ['pending', true, true, '3DS']);
    assert.equal((await client.charges.capture(held.id)).status, 'successful');
  });

  test('the enrollment-failure card fails at creation; PASSKEY is refused', async () => {
    const created = await threeDsCharge(ENROLLMENT_FAILS);
    assert.deepEqual([created.status, created.failure_code, created.authorize_uri], ['failed', 'payment_rejected', null]);
    const passkey = await refusal(client.charges.create({ amount: 100000, currency: 'thb', card: (await token()).id, authentication: 'PASSKEY' }));
    assert.equal(passkey.code, 'feature_not_supported');
  });

  test("another merchant cannot see or expire a 3-D Secure charge", async () => {
    const mine = await threeDsCharge();
    const apiDb = openDatabase<ApiDatabase>(JSON.parse(await readFile(join(platform.dataDir, 'services', 'api', 'config.json'), 'utf8')).databaseUrl, { max: 1 });
    try {
      const accounts = createAccountService({ db: apiDb, store: createAccountStore(apiDb), audit: createAudit({ db: apiDb, service: 'api' }) });
      const other = await accounts.createAccount({ email: 'other-3ds@merchant.test', name: 'Other merchant' }, { type: 'system', id: 'api-3ds-test' });
      const theirs = omise({ secretKey: other.secretKey, publicKey: other.publicKey, host: '127.0.0.1', vaultHost: 'localhost' });
      assert.equal((await refusal(theirs.charges.retrieve(mine.id))).code, 'not_found');
      assert.equal((await refusal(theirs.charges.expire(mine.id))).code, 'not_found');
    } finally {
      await apiDb.destroy();
    }
    assert.equal((await client.charges.retrieve(mine.id)).status, 'pending');
  });

  test('jobs: an abandoned 3DS charge expires at expires_at; unanswered charges are reconciled with the vault', async () => {
    // Abandoned: created 8 days ago as far as the api knows.
    const abandoned = await threeDsCharge();
    await ownerDb.updateTable('charges').set({ created_at: sql<Date>`created_at - interval '8 days'` } as never).where('id', '=', abandoned.id).execute();
    // Answered at the vault, answer lost here: the vault's authorization is found again, not made again.
    const lost = await client.charges.create({ amount: 54321, currency: 'thb', card: (await token()).id });
    const { authorization_id: authorizationId } = await ownerDb.selectFrom('charges').select('authorization_id').where('id', '=', lost.id).executeTakeFirstOrThrow();
    await ownerDb.updateTable('charges').set({ exchange: 'requested', updated_at: new Date(Date.now() - 3_600_000) }).where('id', '=', lost.id).execute();
    assert.equal((await refusal(client.charges.retrieve(lost.id))).code, 'not_found', 'unanswered charges are hidden');
    // Never reached the vault: failed once the bound has passed.
    const orphan = newId('charge', false);
    await ownerDb.insertInto('charges').values({
      id: orphan, account_id: demo.accountId, livemode: false, amount: 7000, currency: 'THB', metadata: '{}', capture: true,
      token_id: (await token()).id, fee_rate_bp: 365, vat_rate_bp: 700, updated_at: new Date(Date.now() - 3_600_000),
    }).execute();

    const expired = await eventually('the expiry job', async () => {
      const charge = await client.charges.retrieve(abandoned.id);
      return charge.status === 'expired' ? charge : undefined;
    });
    assert.deepEqual([expired.expired, expired.authorized, expired.paid], [true, false, false]);
    assert.ok(expired.expired_at);
    assert.equal((await browse(abandoned.authorize_uri)).status, 410, 'the page expired with the charge');

    const found = await eventually('the reconciliation of the lost answer', async () => {
      try {
        return await client.charges.retrieve(lost.id);
      } catch {
        return undefined;
      }
    });
    assert.deepEqual([found.status, found.captured_amount, found.card?.last_digits], ['successful', 54321, '4242']);
    const again = await ownerDb.selectFrom('charges').select('authorization_id').where('id', '=', lost.id).executeTakeFirstOrThrow();
    assert.equal(again.authorization_id, authorizationId, 'the same authorization: nothing was charged twice');

    const failed = await eventually('the reconciliation of the orphan', async () => {
      try {
        return await client.charges.retrieve(orphan);
      } catch {
        return undefined;
      }
    });
    assert.deepEqual([failed.status, failed.failure_code, failed.authorized, failed.paid], ['failed', 'failed_processing', false, false]);
  });
});
