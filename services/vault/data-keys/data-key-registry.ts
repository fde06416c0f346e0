// One DEK stream per merchant: each merchant's DEKs are wrapped under its own KEK at the KMS
// (`card-data.<account>`), so destroying that KEK crypto-shreds every card of that merchant, backups
// included. The services are made on first use; each keeps its own bounds, cache and zeroisation.
import type { Transaction } from '#lib/db/index.ts';
import type { VaultDatabase } from '../db.ts';
import { CARD_DATA_KEY, createDataKeyService, type DataKey, type DataKeyService, type DataKeyServiceOptions } from './data-keys.service.ts';

export const ACCOUNT_ID = /^acct_(test_)?[0-9a-z]{19}$/;

/** The KMS key (KEK) of a merchant's card data. */
export function cardDataKeyOf(accountId: string): string {
  if (!ACCOUNT_ID.test(accountId)) throw new RangeError('not an account id');
  return `${CARD_DATA_KEY}.${accountId}`;
}

export function createDataKeyRegistry(options: Omit<DataKeyServiceOptions, 'keyId'>) {
  const services = new Map<string, DataKeyService>();
  let closed = false;

  function forAccount(accountId: string): DataKeyService {
    if (closed) throw new Error('the data-key registry is closed');
    let service = services.get(accountId);
    if (!service) {
      service = createDataKeyService({ ...options, keyId: cardDataKeyOf(accountId) });
      services.set(accountId, service);
    }
    return service;
  }

  return {
    forAccount,
    /** The DEK for `uses` new records of `accountId` (see DataKeyService.forEncryption). */
    forEncryption: (accountId: string, tx?: Transaction<VaultDatabase>, uses = 1): Promise<DataKey> => forAccount(accountId).forEncryption(tx, uses),
    /** The plaintext of DEK `dekId` of `accountId`'s cards (a private copy: zeroise it when done); `tx`: the caller's, if in one. */
    forDecryption: (accountId: string, dekId: string, tx?: Transaction<VaultDatabase>): Promise<Buffer> => forAccount(accountId).forDecryption(dekId, tx),
    /** Forgets a merchant's keys in memory (after its KEK was destroyed). */
    drop(accountId: string) {
      services.get(accountId)?.close();
      services.delete(accountId);
    },
    keysInMemory: () => [...services.values()].reduce((sum, service) => sum + service.keysInMemory(), 0),
    close() {
      closed = true;
      for (const service of services.values()) service.close();
      services.clear();
    },
  };
}

export type DataKeyRegistry = ReturnType<typeof createDataKeyRegistry>;
