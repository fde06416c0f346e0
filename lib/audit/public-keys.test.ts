import { test } from 'node:test';
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadPublicKeyFile, parsePublicKeyFile, publicKeyLookup } from './public-keys.ts';

const v1 = generateKeyPairSync('ed25519');
const v2 = generateKeyPairSync('ed25519');
const pem = (k = v1) => k.publicKey.export({ type: 'spki', format: 'pem' }) as string;
const jwk = (k = v2) => k.publicKey.export({ format: 'jwk' });
const same = (a: unknown, b: { publicKey: { equals(o: never): boolean } }) => a !== undefined && b.publicKey.equals(a as never);

test('a key file lists Ed25519 public keys by keyId and version, as PEM or JWK', async () => {
  const text = JSON.stringify({ keys: [{ keyId: 'audit-checkpoint', version: 1, pem: pem() }, { keyId: 'audit-checkpoint', version: 2, jwk: jwk() }] });
  const lookup = parsePublicKeyFile(text);
  assert.ok(same(lookup('audit-checkpoint', 1), v1));
  assert.ok(same(lookup('audit-checkpoint', 2), v2));
  assert.equal(lookup('audit-checkpoint', 3), undefined);
  assert.equal(lookup('other', 1), undefined);
  const dir = await mkdtemp(join(tmpdir(), 'audit-keys-'));
  try {
    await writeFile(join(dir, 'keys.json'), text);
    assert.ok(same((await loadPublicKeyFile(join(dir, 'keys.json')))('audit-checkpoint', 2), v2));
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('private keys, other algorithms, duplicates and malformed files are refused without echoing key material', () => {
  const privatePem = v1.privateKey.export({ type: 'pkcs8', format: 'pem' }) as string;
  const privateJwk = v1.privateKey.export({ format: 'jwk' });
  const rsaPem = generateKeyPairSync('rsa', { modulusLength: 1024 }).publicKey.export({ type: 'spki', format: 'pem' }) as string;
  const cases: Array<[unknown, RegExp]> = [
    [{ keys: [{ keyId: 'k', version: 1, pem: privatePem }] }, /keys\[0\]\.pem is not a PEM public key/],
    [{ keys: [{ keyId: 'k', version: 1, jwk: privateJwk }] }, /keys\[0\]\.jwk is not an Ed25519 public JWK/],
    [{ keys: [{ keyId: 'k', version: 1, pem: rsaPem }] }, /k v1 is not an Ed25519 public key/],
    [{ keys: [{ keyId: 'k', version: 1, pem: pem() }, { keyId: 'k', version: 1, jwk: jwk(v1) }] }, /k v1 is listed twice/],
    [{ keys: [{ keyId: 'k', version: 1, pem: pem(), jwk: jwk() }] }, /exactly one of "pem" or "jwk"/],
    [{ keys: [{ keyId: 'k', version: 1 }] }, /exactly one of "pem" or "jwk"/],
    [{ keys: [{ version: 1, pem: pem() }] }, /keys\[0\]\.keyId is required/],
    [{ keys: [{ keyId: 'k', version: 0, pem: pem() }] }, /keys\[0\]\.version must be an integer >= 1/],
    [{ keys: [{ keyId: 'k', version: 1, pem: '-----BEGIN PUBLIC KEY-----\nnot base64\n-----END PUBLIC KEY-----\n' }] }, /keys\[0\] cannot be read as a key/],
    [{ keys: [] }, /at least one key/],
    [[], /at least one key/],
  ];
  for (const [file, message] of cases) {
    assert.throws(() => parsePublicKeyFile(JSON.stringify(file)), (error: Error) => {
      assert.match(error.message, message);
      assert.doesNotMatch(error.message, /BEGIN|MII|"d"/, 'no key material in the message');
      return true;
    });
  }
  assert.throws(() => parsePublicKeyFile('{ not json'), /not JSON/);
  assert.throws(() => publicKeyLookup([{ keyId: 'k', version: 1, key: v1.privateKey }]), /not an Ed25519 public key/);
});
