import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createPublicKey, X509Certificate } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { createRenewingIdentity, type IssueFunction } from './renewing-identity.ts';
import { localIssuer } from './local-issuer.ts';
import { createCertificateAuthority, type CertificateAuthority } from './pki.ts';
import type { IdentityMaterial } from './identity-material.ts';
import { createTestCa } from './testing.ts';

let ca: CertificateAuthority;
before(async () => {
  ca = await createTestCa();
});

const serial = (m: IdentityMaterial) => new X509Certificate(m.certPem).serialNumber;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function nextChange(identity: { onChange(cb: (m: IdentityMaterial) => void): () => void }, timeoutMs: number) {
  return new Promise<IdentityMaterial>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('no renewal in time')), timeoutMs);
    const off = identity.onChange((material) => {
      clearTimeout(timer);
      off();
      resolve(material);
    });
  });
}

test('renews a 3-second certificate automatically at 2/3 of its lifetime, with a fresh key each time', async () => {
  const issued: string[] = [];
  const issue: IssueFunction = async (publicKeyPem) => {
    issued.push(publicKeyPem);
    return localIssuer(ca, { name: 'vault', validitySeconds: 3 })(publicKeyPem);
  };
  const identity = await createRenewingIdentity({ name: 'vault-internal', expectedIdentity: 'vault', issue, onError: (e) => assert.fail(String(e)) });
  try {
    const first = identity.current();
    const started = Date.now();
    const second = await nextChange(identity, 5_000);
    const elapsed = Date.now() - started;
    // 2/3 of ~3 s (X.509 has 1 s resolution, so 1.3–2.7 s).
    assert.ok(elapsed > 1_000 && elapsed < 3_000, `renewed after ${elapsed} ms`);
    assert.notEqual(serial(second), serial(first));
    assert.notEqual(second.keyPem, first.keyPem, 'a new key pair for every certificate');
    assert.equal(identity.current(), second);
    assert.ok(second.notAfter > first.notAfter);
    assert.equal(issued.length, 2);
    assert.equal(createPublicKey(second.keyPem).export({ type: 'spki', format: 'pem' }), issued[1]);
    const third = await nextChange(identity, 5_000);
    assert.notEqual(serial(third), serial(second), 'keeps renewing');
  } finally {
    identity.stop();
  }
});

test('retries with backoff after failures and recovers, reporting each failure', async () => {
  let calls = 0;
  const errors: unknown[] = [];
  const good = localIssuer(ca, { name: 'api', validitySeconds: 3 });
  const issue: IssueFunction = async (publicKeyPem) => {
    calls++;
    if (calls === 2 || calls === 3) throw new Error(`issuer unavailable (${calls})`);
    return good(publicKeyPem);
  };
  const identity = await createRenewingIdentity({ name: 'api', issue, onError: (e) => errors.push(e), retry: { initialMs: 100, maxMs: 400 } });
  try {
    const first = identity.current();
    const renewed = await nextChange(identity, 6_000);
    assert.notEqual(serial(renewed), serial(first));
    assert.equal(calls, 4);
    assert.deepEqual(errors.map((e) => (e as Error).message), ['issuer unavailable (2)', 'issuer unavailable (3)']);
  } finally {
    identity.stop();
  }
});

test('keeps the current identity while renewal fails', async () => {
  let fail = false;
  const good = localIssuer(ca, { name: 'api', validitySeconds: 3 });
  const errors: unknown[] = [];
  const identity = await createRenewingIdentity({
    name: 'api',
    issue: async (pem) => {
      if (fail) throw new Error('down');
      return good(pem);
    },
    onError: (e) => errors.push(e),
    retry: { initialMs: 100, maxMs: 200 },
  });
  try {
    const first = identity.current();
    fail = true;
    await sleep(2_500);
    assert.ok(errors.length >= 1);
    assert.equal(identity.current(), first);
  } finally {
    identity.stop();
  }
});

test('rejects an issued certificate that does not fit: wrong key, wrong identity, wrong CA', async () => {
  const otherCa = await createTestCa('Other CA');
  const good = localIssuer(ca, { name: 'api', validitySeconds: 60 });
  await assert.rejects(
    createRenewingIdentity({ name: 'api', issue: async () => good((await import('./pki.ts')).generateKeyPair().publicKeyPem) }),
    /does not match/,
  );
  await assert.rejects(
    createRenewingIdentity({ name: 'api', expectedIdentity: 'kms', issue: good }),
    /carries identity api, expected kms/,
  );
  await assert.rejects(
    createRenewingIdentity({ name: 'api', issue: async (pem) => ({ ...(await good(pem)), caPem: otherCa.certPem }) }),
    /not issued by the CA bundle/,
  );
  await assert.rejects(createRenewingIdentity({ name: 'api', issue: async () => Promise.reject(new Error('no issuer')) }), /no issuer/);
});

test('validates its options', async () => {
  const issue = localIssuer(ca, { name: 'api', validitySeconds: 60 });
  await assert.rejects(createRenewingIdentity({ name: 'API', issue }), /invalid identity name/);
  await assert.rejects(createRenewingIdentity({ name: 'api', issue, renewFraction: 1 }), RangeError);
  await assert.rejects(createRenewingIdentity({ name: 'api', issue, renewFraction: 0 }), RangeError);
});

test('stop() ends renewals and notifications', async () => {
  let calls = 0;
  const good = localIssuer(ca, { name: 'api', validitySeconds: 3 });
  const identity = await createRenewingIdentity({ name: 'api', issue: async (pem) => (calls++, good(pem)), onError: (e) => assert.fail(String(e)) });
  let changes = 0;
  identity.onChange(() => changes++);
  identity.stop();
  await sleep(2_000);
  assert.equal(calls, 1);
  assert.equal(changes, 0);
});

test('a throwing listener does not stop renewal or the other listeners', async () => {
  const errors: unknown[] = [];
  const identity = await createRenewingIdentity({
    name: 'api',
    issue: localIssuer(ca, { name: 'api', validitySeconds: 3 }),
    onError: (e) => errors.push(e),
  });
  try {
    identity.onChange(() => {
      throw new Error('listener bug');
    });
    await nextChange(identity, 4_000);
    assert.equal((errors[0] as Error).message, 'listener bug');
  } finally {
    identity.stop();
  }
});

test('timers are unref()ed: an unstopped identity does not keep the process alive', () => {
  const script = `
    import { createCertificateAuthority, createRenewingIdentity, localIssuer } from ${JSON.stringify(new URL('./index.ts', import.meta.url).href)};
    const ca = await createCertificateAuthority({ commonName: 'CA', validityDays: 1 });
    await createRenewingIdentity({ name: 'api', issue: localIssuer(ca, { name: 'api', validitySeconds: 3600 }) });
    console.log('created');
  `;
  // The renewal timer would fire in 40 minutes: a process that exits on its own within the timeout
  // (execFileSync throws ETIMEDOUT otherwise) was not kept alive by it, however loaded the machine is.
  const out = execFileSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8', timeout: 60_000 });
  assert.equal(out.trim(), 'created');
});

test('a renewal due beyond the 2^31-1 ms timer limit waits (a 90-day certificate renewed at a third of its life)', async () => {
  const longCa = await createCertificateAuthority({ commonName: 'long-lived test CA', validityDays: 365 });
  let issued = 0;
  const issue = localIssuer(longCa, { name: 'api', validitySeconds: 90 * 86_400 });
  const identity = await createRenewingIdentity({
    name: 'api-public', renewFraction: 1 / 3, onError: (e) => assert.fail(String(e)),
    issue: async (publicKeyPem) => {
      issued++;
      return issue(publicKeyPem);
    },
  });
  try {
    // An overflowing timer fires after 1 ms and renews in a tight loop.
    await sleep(300);
    assert.equal(issued, 1, 'renewed before its time');
  } finally {
    identity.stop();
  }
});
