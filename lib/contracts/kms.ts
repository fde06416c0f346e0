// The KMS contract, imported by the kms (server) and its callers (vault; api for webhook secrets; every
// service for audit checkpoints): key names, the key policy (which service identity may do what to
// which key), the wrapped-blob format and the request/response schemas of the mTLS API.
import { Type, type Static } from 'typebox';

export type KeyPurpose = 'kek' | 'hmac' | 'signing';
export type KeyOperation = 'data-key' | 'decrypt' | 'rewrap' | 'hmac' | 'sign' | 'public-keys' | 'destroy';
/** Key administration: rotation, lifecycle, min decryption version. Operators only. */
export type AdminOperation = 'describe' | 'rotate' | 'set-state' | 'min-decrypt-version';

export type KeyFamily = {
  readonly purpose: KeyPurpose;
  /** `required`: `<family>.<tenant>` only; `optional`: both; `never`: the bare family name only. */
  readonly tenant: 'required' | 'optional' | 'never';
  /** Default crypto-period before scheduled rotation, in days; null = rotated on demand only. */
  readonly cryptoPeriodDays: number | null;
  /** Service identities allowed per operation ('*' = any verified internal identity). */
  readonly operations: Readonly<Partial<Record<KeyOperation, readonly string[]>>>;
};

/**
 * The key policy. Only `vault` may obtain or unwrap card-data keys or compute card fingerprints;
 * api and dashboard can do neither. Only `api` may obtain or unwrap the data keys sealing its
 * merchants' webhook signing secrets; only `dashboard` those sealing its users' TOTP secrets. Every
 * service signs its own audit checkpoints.
 */
export const KEY_FAMILIES = {
  'card-data': {
    purpose: 'kek', tenant: 'optional', cryptoPeriodDays: 365,
    operations: { 'data-key': ['vault'], decrypt: ['vault'], rewrap: ['vault'], destroy: ['vault', 'operator'] },
  },
  fingerprint: {
    // Rotating a fingerprint key changes every fingerprint: on demand only.
    purpose: 'hmac', tenant: 'required', cryptoPeriodDays: null,
    operations: { hmac: ['vault'], destroy: ['vault', 'operator'] },
  },
  // One KEK per merchant (`webhook-secret.<account>`): data keys that seal its endpoints' signing secrets.
  'webhook-secret': {
    purpose: 'kek', tenant: 'required', cryptoPeriodDays: 365,
    operations: { 'data-key': ['api'], decrypt: ['api'] },
  },
  // One KEK (`mfa-secret`): data keys that seal the dashboard users' TOTP secrets (services/dashboard/mfa).
  'mfa-secret': {
    purpose: 'kek', tenant: 'never', cryptoPeriodDays: 365,
    operations: { 'data-key': ['dashboard'], decrypt: ['dashboard'] },
  },
  'audit-checkpoint': {
    purpose: 'signing', tenant: 'never', cryptoPeriodDays: 365,
    operations: { sign: ['kms', 'vault', 'api', 'dashboard'], 'public-keys': ['*'] },
  },
} as const satisfies Record<string, KeyFamily>;

export type KeyFamilyName = keyof typeof KEY_FAMILIES;
export const ADMIN_CALLERS: readonly string[] = ['operator'];

const FAMILY_PART = '[a-z][a-z0-9-]{0,31}';
const TENANT_PART = '[A-Za-z0-9_]{1,64}';
export const KEY_ID_PATTERN = `^${FAMILY_PART}(\\.${TENANT_PART})?$`;
const KEY_ID = new RegExp(KEY_ID_PATTERN);

/** The family of a key id, or null when the id is malformed or names no family of the policy. */
export function familyOf(keyId: string): { name: KeyFamilyName; family: KeyFamily; tenant: string | null } | null {
  if (!KEY_ID.test(keyId)) return null;
  const dot = keyId.indexOf('.');
  const name = dot === -1 ? keyId : keyId.slice(0, dot);
  const tenant = dot === -1 ? null : keyId.slice(dot + 1);
  if (!Object.hasOwn(KEY_FAMILIES, name)) return null;
  const family: KeyFamily = KEY_FAMILIES[name as KeyFamilyName];
  if (family.tenant === 'required' && tenant === null) return null;
  if (family.tenant === 'never' && tenant !== null) return null;
  return { name: name as KeyFamilyName, family, tenant };
}

/** Whether `caller` may perform `operation` on `keyId`. Unknown keys and operations are refused. */
export function mayUseKey(caller: string | null, operation: KeyOperation, keyId: string): boolean {
  if (caller === null) return false;
  const found = familyOf(keyId);
  const allowed = found?.family.operations[operation];
  return allowed !== undefined && (allowed.includes('*') || allowed.includes(caller));
}

// ---------------------------------------------------------------------------------- wrapped blobs

/** A wrapped secret names its key and version, so it decrypts across rotations: `kms1:<keyId>:<version>:<base64url>`. */
export type WrappedBlob = { readonly keyId: string; readonly version: number; readonly ciphertext: Buffer };

const BLOB = /^kms1:([^:]{1,100}):([1-9][0-9]{0,8}):([A-Za-z0-9_-]{16,4096})$/;

export function formatWrapped(blob: WrappedBlob): string {
  return `kms1:${blob.keyId}:${blob.version}:${blob.ciphertext.toString('base64url')}`;
}

export function parseWrapped(text: string): WrappedBlob | null {
  const match = BLOB.exec(text);
  if (match === null || familyOf(match[1]!) === null) return null;
  return { keyId: match[1]!, version: Number(match[2]), ciphertext: Buffer.from(match[3]!, 'base64url') };
}

// ---------------------------------------------------------------------------------- API schemas

export const KeyIdParams = Type.Object({ keyId: Type.String({ pattern: KEY_ID_PATTERN, maxLength: 97 }) }, { additionalProperties: false });
export const KeyVersionParams = Type.Object({
  keyId: Type.String({ pattern: KEY_ID_PATTERN, maxLength: 97 }),
  version: Type.Integer({ minimum: 1, maximum: 999_999_999 }),
}, { additionalProperties: false });

const Base64 = (maxLength: number) => Type.String({ pattern: '^[A-Za-z0-9+/]*={0,2}$', maxLength });
export const WrappedBody = Type.Object({ wrapped: Type.String({ minLength: 1, maxLength: 6000 }) }, { additionalProperties: false });
export const DataBody = Type.Object({ data: Base64(16_384) }, { additionalProperties: false });
/** Up to HMAC_BATCH_MAX short messages (card numbers) MACed in one call: one round trip, one audit entry. */
export const HMAC_BATCH_MAX = 1000;
export const DataBatchBody = Type.Object({
  data: Type.Array(Base64(256), { minItems: 1, maxItems: HMAC_BATCH_MAX }),
}, { additionalProperties: false });
export const StateBody = Type.Object({
  state: Type.Union([Type.Literal('decrypt-only'), Type.Literal('retired'), Type.Literal('destroyed')]),
}, { additionalProperties: false });
export const MinVersionBody = Type.Object({ version: Type.Integer({ minimum: 1, maximum: 999_999_999 }) }, { additionalProperties: false });
export const ShareBody = Type.Object({ share: Type.String({ minLength: 1, maxLength: 2000 }) }, { additionalProperties: false });
export const InitBody = Type.Object({
  shares: Type.Integer({ minimum: 1, maximum: 16 }),
  threshold: Type.Integer({ minimum: 1, maximum: 16 }),
}, { additionalProperties: false });

export type DataKeyResponse = { key_id: string; version: number; plaintext: string; wrapped: string };
export type DecryptResponse = { key_id: string; version: number; plaintext: string };
export type RewrapResponse = { key_id: string; version: number; wrapped: string };
export type MacResponse = { key_id: string; version: number; mac: string };
/** `macs[i]` is the MAC of `data[i]`, all under the one version named. */
export type MacBatchResponse = { key_id: string; version: number; macs: string[] };
export type SignResponse = { key_id: string; version: number; signature: string };
export type PublicKeysResponse = { key_id: string; keys: { version: number; state: string; public_key_pem: string }[] };
export type SealStatusResponse = { sealed: boolean; initialized: boolean; backend: string; progress: number; threshold: number };

export type WrappedBodyType = Static<typeof WrappedBody>;
