// The vault for the hosted fields browser test: the REAL vault (services/vault/testing.ts test bed: a
// KMS process over mTLS, the vault's own database, its public listener with hostedFieldsRoutes and the
// real POST /tokens), and a merchant whose public key it knows. The browser talks to it over real TLS.
import { startVaultTestbed, type VaultTestbed } from '../testing.ts';

export type BrowserTestVault = {
  /** `https://host:port` of the vault's public listener (serves /hosted/v1/* and POST /tokens). */
  readonly origin: string;
  /** A test-mode public key the vault accepts for POST /tokens. */
  readonly publicKey: string;
  /** The running vault (its database, logs). */
  readonly bed: VaultTestbed;
  close(): Promise<void>;
};

export async function startVaultForBrowserTest(): Promise<BrowserTestVault> {
  const bed = await startVaultTestbed();
  const merchant = await bed.merchant();
  return { origin: bed.publicUrl, publicKey: merchant.publicKey, bed, close: () => bed.close() };
}
