import { validateIdentityMaterial, type Identity } from './identity-material.ts';

/** A fixed, validated identity (CLIs, tests). Never changes; `onChange` listeners are never called. */
export function createStaticIdentity(pieces: { readonly keyPem: string; readonly certPem: string; readonly caPem: string }): Identity {
  const material = validateIdentityMaterial(pieces);
  return {
    current: () => material,
    onChange: () => () => undefined,
    stop: () => undefined,
  };
}
