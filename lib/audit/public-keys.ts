// The checkpoint public keys a verifier trusts, by (key id, version). The file format (README.md):
//   { "keys": [ { "keyId": "audit-checkpoint", "version": 1, "pem": "-----BEGIN PUBLIC KEY-----\n…" },
//               { "keyId": "audit-checkpoint", "version": 2, "jwk": { "kty": "OKP", "crv": "Ed25519", "x": "…" } } ] }
// Only Ed25519 public keys are accepted: a private key in this file is refused, never used.
import { createPublicKey, type JsonWebKey, type KeyObject } from 'node:crypto';
import { readFile } from 'node:fs/promises';

export type PublicKeyLookup = (keyId: string, version: number) => KeyObject | undefined;
export type PublicKeyEntry = { keyId: string; version: number; key: KeyObject };

const slot = (keyId: string, version: number) => JSON.stringify([keyId, version]);

/** A lookup over the given keys; two keys for one (keyId, version) are refused. */
export function publicKeyLookup(entries: Iterable<PublicKeyEntry>): PublicKeyLookup {
  const keys = new Map<string, KeyObject>();
  for (const { keyId, version, key } of entries) {
    if (typeof keyId !== 'string' || keyId === '' || !Number.isSafeInteger(version) || version < 1) {
      throw new Error('audit public keys: each key needs a keyId and a version >= 1');
    }
    if (key.type !== 'public' || key.asymmetricKeyType !== 'ed25519') throw new Error(`audit public keys: ${keyId} v${version} is not an Ed25519 public key`);
    if (keys.has(slot(keyId, version))) throw new Error(`audit public keys: ${keyId} v${version} is listed twice`);
    keys.set(slot(keyId, version), key);
  }
  return (keyId, version) => keys.get(slot(keyId, version));
}

function keyOf(raw: { pem?: unknown; jwk?: unknown }, where: string): KeyObject {
  if ((raw.pem === undefined) === (raw.jwk === undefined)) throw new Error(`audit public keys: ${where} needs exactly one of "pem" or "jwk"`);
  // createPublicKey would happily derive a public key from a private one; a private key has no business here.
  if (raw.pem !== undefined) {
    if (typeof raw.pem !== 'string' || !raw.pem.includes('-----BEGIN PUBLIC KEY-----')) throw new Error(`audit public keys: ${where}.pem is not a PEM public key`);
    return createPublicKey({ key: raw.pem, format: 'pem' });
  }
  const jwk = raw.jwk as JsonWebKey | null;
  if (typeof jwk !== 'object' || jwk === null || jwk.kty !== 'OKP' || jwk.crv !== 'Ed25519' || typeof jwk.x !== 'string' || 'd' in jwk) {
    throw new Error(`audit public keys: ${where}.jwk is not an Ed25519 public JWK`);
  }
  return createPublicKey({ key: jwk, format: 'jwk' });
}

/** Parses the key file's text (see the format above). Errors name the entry, never echo key material. */
export function parsePublicKeyFile(text: string): PublicKeyLookup {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new Error('audit public keys: the file is not JSON');
  }
  const list = (parsed as { keys?: unknown } | null)?.keys;
  if (!Array.isArray(list) || list.length === 0) throw new Error('audit public keys: expected { "keys": [ … ] } with at least one key');
  const entries = list.map((raw: unknown, i): PublicKeyEntry => {
    const where = `keys[${i}]`;
    if (typeof raw !== 'object' || raw === null) throw new Error(`audit public keys: ${where} is not an object`);
    const { keyId, version } = raw as { keyId?: unknown; version?: unknown };
    if (typeof keyId !== 'string' || keyId === '') throw new Error(`audit public keys: ${where}.keyId is required`);
    if (typeof version !== 'number' || !Number.isSafeInteger(version) || version < 1) throw new Error(`audit public keys: ${where}.version must be an integer >= 1`);
    let key: KeyObject;
    try {
      key = keyOf(raw, where);
    } catch (error) {
      const message = error instanceof Error && error.message.startsWith('audit public keys:') ? error.message : `audit public keys: ${where} cannot be read as a key`;
      throw new Error(message, { cause: error });
    }
    return { keyId, version, key };
  });
  return publicKeyLookup(entries);
}

export async function loadPublicKeyFile(path: string): Promise<PublicKeyLookup> {
  return parsePublicKeyFile(await readFile(path, 'utf8'));
}
