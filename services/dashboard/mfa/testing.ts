// Test support for mfa/: a stand-in KMS (a local key-encryption key, the real wrapped-blob format,
// and a switch to make it unavailable), a software WebAuthn authenticator (ES256, "none"
// attestation, a signature counter the test controls), TOTP codes at any time, and the dashboard
// testbed wired with mfa/ and account/ exactly as server.ts wires them.
import { createCipheriv, createDecipheriv, createHash, generateKeyPairSync, randomBytes, sign, type KeyObject } from 'node:crypto';
import { HOTP, Secret } from 'otpauth';
import { formatWrapped, parseWrapped } from '#lib/contracts/index.ts';
import { KmsUnavailableError, type KmsClient } from '#lib/kms-client/index.ts';
import { startDashboardTestbed, STRONG_PASSWORD, type DashboardTestbed, type TestBrowser } from '../dashboard.testing.ts';
import type { DashboardSettings } from '../dashboard-settings.ts';
import type { DashboardParts } from '../server.ts';
import type { Mfa } from './mfa.ts';
import { mfaSeams } from './mfa.seams.ts';
import { stepAt } from './totp.ts';

export type FakeKms = Pick<KmsClient, 'dataKey' | 'decrypt'> & { available: boolean; calls: { dataKey: number; decrypt: number } };

export function fakeKms(): FakeKms {
  const kek = randomBytes(32);
  const kms: FakeKms = {
    available: true,
    calls: { dataKey: 0, decrypt: 0 },
    async dataKey(keyId) {
      if (!kms.available) throw new KmsUnavailableError('sealed', 'the KMS is sealed');
      kms.calls.dataKey++;
      const dek = randomBytes(32);
      const iv = randomBytes(12);
      const cipher = createCipheriv('aes-256-gcm', kek, iv).setAAD(Buffer.from(keyId));
      const body = Buffer.concat([iv, cipher.update(dek), cipher.final(), cipher.getAuthTag()]);
      return { key_id: keyId, version: 1, plaintext: dek.toString('base64'), wrapped: formatWrapped({ keyId, version: 1, ciphertext: body }) };
    },
    async decrypt(wrapped) {
      if (!kms.available) throw new KmsUnavailableError('sealed', 'the KMS is sealed');
      kms.calls.decrypt++;
      const blob = parseWrapped(wrapped);
      if (!blob) throw new Error('not a wrapped key');
      const decipher = createDecipheriv('aes-256-gcm', kek, blob.ciphertext.subarray(0, 12)).setAAD(Buffer.from(blob.keyId));
      decipher.setAuthTag(blob.ciphertext.subarray(-16));
      const dek = Buffer.concat([decipher.update(blob.ciphertext.subarray(12, -16)), decipher.final()]);
      return { key_id: blob.keyId, version: blob.version, plaintext: dek.toString('base64') };
    },
  };
  return kms;
}

/** The code an authenticator app shows for a base32 key at `time` (default now). */
export function totpCode(base32: string, time = new Date()): string {
  return HOTP.generate({ secret: Secret.fromBase32(base32), algorithm: 'SHA1', digits: 6, counter: stepAt(time) });
}

// ---------------------------------------------------------------- a software authenticator

type Cbor = number | string | Buffer | Map<number, unknown> | { [key: string]: Cbor };

function head(major: number, length: number): Buffer {
  if (length < 24) return Buffer.from([(major << 5) | length]);
  if (length < 256) return Buffer.from([(major << 5) | 24, length]);
  return Buffer.from([(major << 5) | 25, length >> 8, length & 0xff]);
}

/** Just enough CBOR (RFC 8949) for COSE keys and attestation objects. */
export function cbor(value: Cbor): Buffer {
  if (typeof value === 'number') return value >= 0 ? head(0, value) : head(1, -1 - value);
  if (typeof value === 'string') return Buffer.concat([head(3, Buffer.byteLength(value)), Buffer.from(value)]);
  if (Buffer.isBuffer(value)) return Buffer.concat([head(2, value.length), value]);
  const entries = value instanceof Map ? [...value.entries()] : Object.entries(value);
  return Buffer.concat([head(5, entries.length), ...entries.flatMap(([k, v]) => [cbor(k), cbor(v as Cbor)])]);
}

const b64url = (bytes: Buffer) => bytes.toString('base64url');

export type SoftAuthenticator = {
  credentialId: string;
  counter: number;
  /** A registration response for options from the server (optionally as another origin would send it). */
  register(options: { challenge: string; rp: { id?: string }; user: { id: string } }, origin: string): Record<string, unknown>;
  /** An assertion for options from the server; `userHandle` is sent (a discoverable credential). */
  assert(options: { challenge: string; rpId?: string }, origin: string, overrides?: { counter?: number; userVerified?: boolean }): Record<string, unknown>;
};

export function softAuthenticator(rpId: string): SoftAuthenticator {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const id = randomBytes(32);
  const jwk = (publicKey as KeyObject).export({ format: 'jwk' });
  const cose = cbor(new Map<number, unknown>([[1, 2], [3, -7], [-1, 1], [-2, Buffer.from(jwk.x!, 'base64url')], [-3, Buffer.from(jwk.y!, 'base64url')]]));
  const rpHash = createHash('sha256').update(rpId).digest();
  let userHandle = '';
  const counterBytes = (n: number) => { const b = Buffer.alloc(4); b.writeUInt32BE(n); return b; };
  const clientData = (type: string, challenge: string, origin: string) => Buffer.from(JSON.stringify({ type, challenge, origin, crossOrigin: false }));

  const auth: SoftAuthenticator = {
    credentialId: b64url(id),
    counter: 0,
    register(options, origin) {
      userHandle = options.user.id;
      const authData = Buffer.concat([rpHash, Buffer.from([0x45]), counterBytes(auth.counter), Buffer.alloc(16), Buffer.from([0, id.length]), id, cose]);
      return {
        id: b64url(id), rawId: b64url(id), type: 'public-key', clientExtensionResults: {}, authenticatorAttachment: 'platform',
        response: {
          clientDataJSON: b64url(clientData('webauthn.create', options.challenge, origin)),
          attestationObject: b64url(cbor({ fmt: 'none', attStmt: {}, authData })), transports: ['internal'],
        },
      };
    },
    assert(options, origin, overrides = {}) {
      const counter = overrides.counter ?? ++auth.counter;
      const flags = overrides.userVerified === false ? 0x01 : 0x05;
      const authData = Buffer.concat([rpHash, Buffer.from([flags]), counterBytes(counter)]);
      const data = clientData('webauthn.get', options.challenge, origin);
      const signature = sign('sha256', Buffer.concat([authData, createHash('sha256').update(data).digest()]), privateKey);
      return {
        id: b64url(id), rawId: b64url(id), type: 'public-key', clientExtensionResults: {}, authenticatorAttachment: 'platform',
        response: { clientDataJSON: b64url(data), authenticatorData: b64url(authData), signature: b64url(signature), userHandle },
      };
    },
  };
  return auth;
}

// ---------------------------------------------------------------- the wired testbed

/** `clock.offsetMs` moves mfa/'s time (TOTP steps, challenges, pending sign-ins, step-up age) against the real one. */
export type MfaTestbed = DashboardTestbed & { mfa: Mfa; kms: FakeKms; clock: { offsetMs: number }; now(): Date };

export async function startMfaTestbed(options: { settings?: Partial<DashboardSettings>; merchantApis?: DashboardParts['merchantApis'] } = {}): Promise<MfaTestbed> {
  const kms = fakeKms();
  const clock = { offsetMs: 0 };
  const now = () => new Date(Date.now() + clock.offsetMs);
  let mfa: Mfa | undefined;
  const testbed = await startDashboardTestbed({
    settings: options.settings,
    merchantApis: options.merchantApis,
    seams: (parts) => {
      const wired = mfaSeams({ db: parts.db, audit: parts.audit, mail: parts.mail, settings: parts.settings, kms, now });
      mfa = wired.mfa;
      return wired.seams;
    },
  });
  return { ...testbed, mfa: mfa!, kms, clock, now };
}

// ---------------------------------------------------------------- page steps a user takes

export const PASSWORD = STRONG_PASSWORD;

export function signIn(browser: TestBrowser, email: string, password = STRONG_PASSWORD, next = '/') {
  return browser.submit('/sign-in', '/sign-in', { email, password, next });
}

/** Step-up with the password (a user with no second factor), back to `next`. */
export async function stepUpWithPassword(browser: TestBrowser, next = '/security', password = STRONG_PASSWORD) {
  const query = `?next=${encodeURIComponent(next)}`;
  return browser.submit(`/step-up${query}`, `/step-up/password${query}`, { password });
}

/** From /security (with a fresh step-up): adds an authenticator app; returns its base32 key. */
export async function addTotp(browser: TestBrowser, now = () => new Date()): Promise<string> {
  const shown = await browser.submit('/security', '/security/totp', {});
  const key = shown.body.match(/id="totp-secret">([A-Z2-7]+)</)?.[1];
  if (!key) throw new Error(`no TOTP key on the page (${shown.status} ${shown.location ?? ''})`);
  const done = await browser.post('/security/totp/confirm', { _csrf: browser.csrf, code: totpCode(key, now()) });
  if (done.location !== '/security?notice=totp-added') throw new Error(`TOTP not confirmed: ${done.status}`);
  return key;
}

/** Runs a WebAuthn form: fetches its options as the page script does, answers with `answer`, posts the form. */
export async function webauthnForm(browser: TestBrowser, optionsPath: string, action: string, answer: (options: never) => Record<string, unknown>, extra: Record<string, string> = {}) {
  const options = await browser.post(optionsPath, { _csrf: browser.csrf });
  if (options.status !== 200) return options;
  return browser.post(action, { _csrf: browser.csrf, response: JSON.stringify(answer(JSON.parse(options.body) as never)), ...extra });
}

/** The live sessions of a user, as stored. */
export function liveSessions(bed: DashboardTestbed, userId: string) {
  return bed.db.selectFrom('sessions').select(['id', 'factor', 'mfa_verified_at']).where('user_id', '=', userId).where('ended_at', 'is', null).execute();
}
