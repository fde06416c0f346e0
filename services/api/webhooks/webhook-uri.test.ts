import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { LookupAddress } from 'node:dns';
import { isHttpError } from '#lib/http/index.ts';
import { isPublicAddress, NOT_PUBLIC_CODE, publicOnlyLookup } from './address-policy.ts';
import { MAX_WEBHOOK_URI_LENGTH, readWebhookUri, resolveHost, type WebhookUriRules } from './webhook-uri.ts';

// A resolver with fixed answers: no network in unit tests.
const DNS: Record<string, string[]> = {
  'hooks.example.com': ['93.184.215.14', '2606:2800:21f:cb07:6820:80da:af6b:8b2c'],
  'rebind.example.com': ['93.184.215.14', '10.0.0.7'],
  'metadata.example.com': ['169.254.169.254'],
  'v6local.example.com': ['fd12::1'],
  'empty.example.com': [],
};
const resolve = async (host: string) => {
  const found = DNS[host];
  if (!found) throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${host}`), { code: 'ENOTFOUND' });
  return found;
};
const live: WebhookUriRules = { livemode: true, allowPrivateTestHosts: true, resolve };
const testStrict: WebhookUriRules = { livemode: false, allowPrivateTestHosts: false, resolve };
const testOpen: WebhookUriRules = { livemode: false, allowPrivateTestHosts: true, resolve };

async function refusal(raw: string, rules: WebhookUriRules): Promise<string> {
  try {
    await readWebhookUri(raw, rules);
  } catch (error) {
    assert.ok(isHttpError(error), `not an http error: ${String(error)}`);
    assert.equal(error.statusCode, 400);
    assert.equal(error.code, 'bad_request');
    assert.ok(!error.message.includes('\n') && error.message.length < 200);
    return error.message;
  }
  assert.fail(`accepted ${JSON.stringify(raw.slice(0, 80))}`);
}

test('public https endpoints are accepted and normalized', async () => {
  assert.equal(await readWebhookUri('https://hooks.example.com/omise?shop=1', live), 'https://hooks.example.com/omise?shop=1');
  assert.equal(await readWebhookUri('https://HOOKS.Example.com:8443/x', live), 'https://hooks.example.com:8443/x');
  assert.equal(await readWebhookUri('https://93.184.215.14/hook', live), 'https://93.184.215.14/hook');
  assert.equal(await readWebhookUri('https://[2606:2800:21f:cb07:6820:80da:af6b:8b2c]/hook', live), 'https://[2606:2800:21f:cb07:6820:80da:af6b:8b2c]/hook');
});

test('malformed, non-https, credentialed, fragment, oversized and control-character URLs are refused in every mode', async () => {
  for (const rules of [live, testStrict, testOpen]) {
    assert.match(await refusal('http://hooks.example.com/', rules), /must use https/);
    assert.match(await refusal('ftp://hooks.example.com/', rules), /must use https/);
    assert.match(await refusal('data:text/plain,hello', rules), /must use https/);
    assert.match(await refusal('hooks.example.com/x', rules), /not a valid URL/);
    assert.match(await refusal('https://user:pass@hooks.example.com/', rules), /credentials/); // secretlint-disable-line -- a refused URL, not a credential
    assert.match(await refusal('https://user@hooks.example.com/', rules), /credentials/);
    assert.match(await refusal('https://hooks.example.com/#frag', rules), /fragment/);
    assert.match(await refusal('https://hooks.example.com/#', rules), /fragment/);
    assert.match(await refusal('https://hooks.exa\nmple.com/', rules), /control/);
    assert.match(await refusal('https://hooks.example.com/a b', rules), /spaces/);
    assert.match(await refusal(' https://hooks.example.com/', rules), /spaces/);
    assert.match(await refusal('https://hooks.example.com/\u0000', rules), /control/);
    assert.match(await refusal(`https://hooks.example.com/${'a'.repeat(MAX_WEBHOOK_URI_LENGTH)}`, rules), /at most 1024/);
    assert.match(await refusal('https://exa_mple.com/', rules), /invalid host/);
    assert.match(await refusal('https://-bad.example.com/', rules), /invalid host/);
    assert.match(await refusal('https://hooks.example.com./', rules), /invalid host/);
  }
});

test('live mode, and test mode unless allowed: private, loopback, link-local and internal hosts are refused (SSRF)', async () => {
  for (const rules of [live, testStrict]) {
    for (const raw of [
      'https://127.0.0.1/', 'https://127.1/', 'https://2130706433/', 'https://0x7f000001/', 'https://10.1.2.3/', 'https://192.168.1.1/',
      'https://172.16.0.1/', 'https://169.254.169.254/latest/meta-data', 'https://100.64.0.1/', 'https://0.0.0.0/', 'https://[::1]/',
      'https://[::ffff:127.0.0.1]/', 'https://[fe80::1]/', 'https://[fd00::1]/', 'https://metadata.example.com/', 'https://v6local.example.com/',
      'https://rebind.example.com/',
    ]) assert.match(await refusal(raw, rules), /public address/, raw);
    for (const raw of ['https://localhost/', 'https://api.localhost/', 'https://printer.local/', 'https://db.internal/', 'https://intranet/']) {
      assert.match(await refusal(raw, rules), /public host/, raw);
    }
    assert.match(await refusal('https://nowhere.example.com/', rules), /could not be resolved/);
    assert.match(await refusal('https://empty.example.com/', rules), /could not be resolved/);
  }
});

test('test mode with private test hosts allowed: a local receiver is accepted; live mode still refuses it', async () => {
  assert.equal(await readWebhookUri('https://127.0.0.1:9999/hook', testOpen), 'https://127.0.0.1:9999/hook');
  assert.equal(await readWebhookUri('https://localhost:9999/hook', testOpen), 'https://localhost:9999/hook');
  assert.match(await refusal('https://127.0.0.1:9999/hook', { ...testOpen, livemode: true }), /public address/);
  assert.match(await refusal('http://127.0.0.1:9999/hook', testOpen), /must use https/);
});

test('isPublicAddress: public unicast only', () => {
  for (const address of ['8.8.8.8', '1.1.1.1', '93.184.215.14', '172.32.0.1', '2606:4700::1111', '2a00:1450:4001::1']) assert.ok(isPublicAddress(address), address);
  for (const address of [
    '127.0.0.1', '10.0.0.1', '172.31.255.255', '192.168.0.1', '169.254.169.254', '100.64.0.1', '0.0.0.0', '224.0.0.1', '255.255.255.255',
    '192.0.2.1', '198.18.0.1', '::', '::1', '::ffff:8.8.8.8', '64:ff9b::808:808', '2002:808:808::1', '2001::1', '2001:db8::1', 'fc00::1',
    'fe80::1', 'fe80::1%eth0', 'ff02::1', 'not an address', '',
  ]) assert.equal(isPublicAddress(address), false, address);
});

test('publicOnlyLookup: refuses a host when any address is not public, answers the rest as dns.lookup does', async () => {
  const fake = (answers: LookupAddress[]) => (_host: string, _options: object, callback: (error: NodeJS.ErrnoException | null, addresses: LookupAddress[]) => void) =>
    callback(null, answers);
  const run = (answers: LookupAddress[], all: boolean) => new Promise<{ error: NodeJS.ErrnoException | null; address: unknown; family?: number }>((done) =>
    publicOnlyLookup(fake(answers))('hooks.example.com', { all }, (error, address, family) => done({ error, address, family })));

  const one = await run([{ address: '93.184.215.14', family: 4 }], false);
  assert.deepEqual([one.error, one.address, one.family], [null, '93.184.215.14', 4]);
  const both = await run([{ address: '93.184.215.14', family: 4 }, { address: '2606:4700::1111', family: 6 }], true);
  assert.equal(both.error, null);
  assert.equal((both.address as LookupAddress[]).length, 2);
  for (const answers of [[{ address: '93.184.215.14', family: 4 }, { address: '127.0.0.1', family: 4 }], [{ address: 'fd00::1', family: 6 }], []]) {
    const refused = await run(answers, true);
    assert.equal(refused.error?.code, NOT_PUBLIC_CODE, JSON.stringify(answers));
  }
});

test('the system resolver answers every address of a name, and refuses one that does not exist', async () => {
  assert.ok((await resolveHost('localhost')).every((address) => address === '127.0.0.1' || address === '::1'));
  await assert.rejects(resolveHost('no-such-host.invalid'));
});
