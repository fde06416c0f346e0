// The kms part of the service config (`extra`), written by the supervisor from STRONGROOM_KMS_* settings.
import { Type, type Static } from 'typebox';
import { Compile } from 'typebox/compile';

export const KmsSettingsSchema = Type.Object({
  backend: Type.Union([Type.Literal('local'), Type.Literal('pkcs11')]),
  pkcs11: Type.Optional(Type.Object({
    modulePath: Type.String({ minLength: 1 }),
    slot: Type.Optional(Type.Integer({ minimum: 0 })),
    tokenLabel: Type.Optional(Type.String({ minLength: 1, maxLength: 32 })),
    /** A file holding the user PIN (preferred), or the name of an environment variable holding it. */
    pinFile: Type.Optional(Type.String({ minLength: 1 })),
    pinEnv: Type.Optional(Type.String({ pattern: '^[A-Z][A-Z0-9_]{0,63}$' })),
  }, { additionalProperties: false })),
  /** Development only: keep the unseal shares in this file and unseal at start. Never set in production. */
  devSharesFile: Type.Optional(Type.String({ minLength: 1 })),
  rotationCheckSeconds: Type.Integer({ minimum: 1 }),
}, { additionalProperties: false });

export type KmsSettings = Static<typeof KmsSettingsSchema>;

const check = Compile(KmsSettingsSchema);

export function readKmsSettings(extra: unknown, production: boolean): KmsSettings {
  if (!check.Check(extra)) throw new Error('kms config: invalid `extra` section (backend, pkcs11, devSharesFile, rotationCheckSeconds)');
  const settings = extra as KmsSettings;
  if (production && settings.devSharesFile) throw new Error('kms config: stored unseal shares are a development default, refused in production');
  if (settings.backend === 'pkcs11' && !settings.pkcs11) throw new Error('kms config: the pkcs11 backend needs its module, slot or token, and PIN');
  return settings;
}
