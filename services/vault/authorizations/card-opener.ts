// Opens a card's sealed PAN and security code for the one moment an authorization needs them. The DEK
// comes from the registry (memory or the KMS); any tampering (ciphertext, nonce, tag, AAD, wrapped DEK)
// makes decryptField throw, loudly, and nothing is released. Callers zeroise what they get. Callers in a
// transaction pass it, so an uncached DEK is looked up on their own connection.
import type { Transaction } from '#lib/db/index.ts';
import type { VaultDatabase } from '../db.ts';
import { decryptField } from '../cards/pan-cipher.ts';
import type { SealedCard, SealedCode } from '../cards/cards.store.ts';
import type { DataKeyRegistry } from '../data-keys/data-key-registry.ts';

export async function openPan(dataKeys: DataKeyRegistry, card: SealedCard, tx?: Transaction<VaultDatabase>): Promise<Buffer> {
  const key = await dataKeys.forDecryption(card.account_id, card.dek_id, tx);
  try {
    return decryptField(key, { nonce: card.pan_nonce, ciphertext: card.pan_ciphertext },
      { recordId: card.id, merchantId: card.account_id, dekId: card.dek_id, purpose: 'pan' });
  } finally {
    key.fill(0);
  }
}

export async function openSecurityCode(dataKeys: DataKeyRegistry, card: SealedCard, code: SealedCode, tx?: Transaction<VaultDatabase>): Promise<Buffer> {
  const key = await dataKeys.forDecryption(card.account_id, code.dek_id, tx);
  try {
    return decryptField(key, { nonce: code.nonce, ciphertext: code.ciphertext },
      { recordId: card.id, merchantId: card.account_id, dekId: code.dek_id, purpose: 'cvv' });
  } finally {
    key.fill(0);
  }
}
