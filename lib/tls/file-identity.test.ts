import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, mkdtempSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { X509Certificate } from 'node:crypto';
import { createFileIdentity } from './file-identity.ts';
import type { Identity, IdentityMaterial } from './identity-material.ts';
import type { CertificateAuthority } from './pki.ts';
import { createTestCa, issueTestIdentity } from './testing.ts';

let ca: CertificateAuthority;
let dir: string;
let paths: { keyPath: string; certPath: string; caPath: string };
const identities: Identity[] = [];

before(async () => {
  ca = await createTestCa();
});
after(() => {
  for (const identity of identities) identity.stop();
});

async function freshDir(material: IdentityMaterial) {
  dir = mkdtempSync(join(tmpdir(), 'strongroom-tls-'));
  paths = { keyPath: join(dir, 'tls.key'), certPath: join(dir, 'tls.crt'), caPath: join(dir, 'ca.crt') };
  writeFileSync(paths.keyPath, material.keyPem, { mode: 0o600 });
  writeFileSync(paths.certPath, material.certPem);
  writeFileSync(paths.caPath, material.caPem);
}

async function open(onError: (e: unknown) => void = () => undefined): Promise<Identity> {
  const identity = createFileIdentity({ ...paths, pollIntervalMs: 50, onError });
  identities.push(identity);
  // fs.watchFile takes its first stat asynchronously: a file changed before that is never seen as changed.
  await sleep(500);
  return identity;
}

const serial = (m: IdentityMaterial) => new X509Certificate(m.certPem).serialNumber;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
/** Polls until `done()` (file polling is slow on a loaded machine); the assertions after it decide. */
async function settle(done: () => boolean, timeoutMs = 10_000) {
  const deadline = Date.now() + timeoutMs;
  while (!done() && Date.now() < deadline) await sleep(50);
}

test('loads operator files and reloads when they change', async () => {
  const first = await issueTestIdentity(ca, 'api');
  await freshDir(first);
  const identity = await open();
  assert.equal(serial(identity.current()), serial(first));
  assert.equal(identity.current().notAfter.getTime(), new X509Certificate(first.certPem).validToDate.getTime());

  const changed = new Promise<IdentityMaterial>((resolve) => identity.onChange(resolve));
  const second = await issueTestIdentity(ca, 'api');
  writeFileSync(paths.keyPath, second.keyPem);
  writeFileSync(paths.certPath, second.certPem);
  const material = await changed;
  assert.equal(serial(material), serial(second));
  assert.equal(serial(identity.current()), serial(second));
  rmSync(dir, { recursive: true, force: true });
});

test('keeps the old identity while the key and certificate do not match, swaps once they do', async () => {
  const first = await issueTestIdentity(ca, 'api');
  await freshDir(first);
  const errors: unknown[] = [];
  const identity = await open((e) => errors.push(e));
  let changes = 0;
  identity.onChange(() => changes++);

  const second = await issueTestIdentity(ca, 'api');
  writeFileSync(paths.certPath, second.certPem);
  await settle(() => errors.length > 0);
  assert.equal(serial(identity.current()), serial(first), 'half-rotated files are not used');
  assert.equal(changes, 0);
  assert.match(String(errors[0]), /keeping the current identity: private key does not match/);

  writeFileSync(paths.keyPath, second.keyPem);
  await settle(() => changes > 0);
  assert.equal(serial(identity.current()), serial(second));
  assert.equal(changes, 1);
  rmSync(dir, { recursive: true, force: true });
});

test('keeps the old identity when files become unreadable, or the certificate comes from another CA', async () => {
  const first = await issueTestIdentity(ca, 'api');
  await freshDir(first);
  const errors: unknown[] = [];
  const identity = await open((e) => errors.push(e));

  unlinkSync(paths.certPath);
  await settle(() => /ENOENT/.test(String(errors.at(-1))));
  assert.equal(serial(identity.current()), serial(first));
  assert.match(String(errors.at(-1)), /ENOENT/);

  const foreign = await issueTestIdentity(await createTestCa('Other CA'), 'api');
  writeFileSync(paths.keyPath, foreign.keyPem);
  writeFileSync(paths.certPath, foreign.certPem);
  await settle(() => /not issued by the CA bundle/.test(String(errors.at(-1))));
  assert.equal(serial(identity.current()), serial(first));
  assert.match(String(errors.at(-1)), /not issued by the CA bundle/);
  chmodSync(dir, 0o700);
  rmSync(dir, { recursive: true, force: true });
});

test('refuses to start from invalid files', async () => {
  const good = await issueTestIdentity(ca, 'api');
  const other = await issueTestIdentity(ca, 'api');
  await freshDir({ ...good, keyPem: other.keyPem });
  assert.throws(() => createFileIdentity(paths), /private key does not match/);
  writeFileSync(paths.keyPath, good.keyPem);
  writeFileSync(paths.caPath, 'not a pem');
  assert.throws(() => createFileIdentity(paths), /CA PEM contains no certificate/);
  rmSync(dir, { recursive: true, force: true });
  assert.throws(() => createFileIdentity(paths), /ENOENT/);
});

test('a public certificate from another CA loads with requireIssuedByCa: false', async () => {
  const publicCa = await createTestCa('Public CA');
  const publicCert = await issueTestIdentity(publicCa, 'api', { usage: 'server' });
  await freshDir({ ...publicCert, caPem: ca.certPem });
  assert.throws(() => createFileIdentity(paths), /requireIssuedByCa: false/);
  const identity = createFileIdentity({ ...paths, requireIssuedByCa: false });
  identities.push(identity);
  assert.equal(serial(identity.current()), serial(publicCert));
  rmSync(dir, { recursive: true, force: true });
});

test('stop() ends reloading', async () => {
  const first = await issueTestIdentity(ca, 'api');
  await freshDir(first);
  const identity = await open();
  let changes = 0;
  identity.onChange(() => changes++);
  identity.stop();
  const second = await issueTestIdentity(ca, 'api');
  writeFileSync(paths.keyPath, second.keyPem);
  writeFileSync(paths.certPath, second.certPem);
  await sleep(500);
  assert.equal(changes, 0);
  assert.equal(serial(identity.current()), serial(first));
  rmSync(dir, { recursive: true, force: true });
});
