export { newId, idPattern, isTestId, randomBase36, ID_PREFIXES, type IdKind } from './ids.ts';
export { newApiKey, hashApiKey, keyFromAuthorization, API_KEY_PATTERN, type KeyKind } from './keys.ts';
export * from './kms.ts';
