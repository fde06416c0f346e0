// Test support for the dashboard's payments interface: the api's real account, charge, refund and
// customer services on a test database, with stand-ins for the vault (the ledger tests' stand-in for
// authorizations, answering with a masked card; saved cards kept per customer). Used beside the
// routes and by test/dashboard.payments.test.ts (the dashboard pages against these routes over mTLS).
import { newId } from '#lib/contracts/index.ts';
import type { Audit } from '#lib/audit/index.ts';
import type { Kysely } from '#lib/db/index.ts';
import type { ApiDatabase } from '../db.ts';
import type { Merchant } from '../auth/secret-key.auth.ts';
import { createAccountService } from '../accounts/accounts.service.ts';
import { createAccountStore } from '../accounts/accounts.store.ts';
import { createChargeService, type ChargeVault } from '../charges/charges.service.ts';
import { createChargeStore } from '../charges/charges.store.ts';
import { createCustomerService, type CustomerVault } from '../customers/customers.service.ts';
import { createCustomerStore } from '../customers/customers.store.ts';
import { createStandInVault } from '../ledger/stand-in-vault.testing.ts';
import { createRefundService } from '../refunds/refunds.service.ts';
import { createRefundStore } from '../refunds/refunds.store.ts';
import type { VaultCard } from '../vault/vault-client.ts';

export function maskedCard(livemode = false): VaultCard {
  return {
    object: 'card', id: newId('card', livemode), livemode, location: null, deleted: false, street1: null, street2: null, city: null,
    state: null, phone_number: null, postal_code: null, country: 'th', financing: 'credit', bank: 'Test Bank', brand: 'Visa',
    fingerprint: 'fp_test_stand_in', first_digits: null, last_digits: '4242', name: 'Somchai Prasert', expiration_month: 12,
    expiration_year: 2031, security_code_check: true, tokenization_method: null, created_at: new Date().toISOString(),
  };
}

/** Authorizations as the ledger's stand-in makes them, each with a masked card as the vault reports one. */
function chargeVault(): ChargeVault {
  const inner = createStandInVault();
  return {
    ...inner,
    async authorize(accountId, request) {
      const answer = await inner.authorize(accountId, request);
      return answer.ok ? { ...answer, body: { ...answer.body, card: maskedCard(request.livemode) } } : answer;
    },
  };
}

/** Saved cards per customer; attaching any token saves a masked card. */
function customerVault(): CustomerVault {
  const cards = new Map<string, VaultCard[]>();
  const ok = <T>(body: T) => ({ ok: true as const, status: 200, body });
  return {
    async attachCard(_accountId, livemode, customerId) {
      const card = maskedCard(livemode);
      cards.set(customerId, [...(cards.get(customerId) ?? []), card]);
      return ok(card);
    },
    async listCards(_accountId, _livemode, customerId) { return ok({ object: 'list' as const, data: cards.get(customerId) ?? [] }); },
    async deleteCard() { return { ok: false, status: 404, body: { object: 'error', code: 'not_found', message: 'card was not found' } }; },
    async eraseCustomer(_accountId, _livemode, customerId) { return ok({ customer: customerId, deleted_cards: 0 }); },
    async updateCard() { return { ok: false, status: 404, body: { object: 'error', code: 'not_found', message: 'card was not found' } }; },
  };
}

export function createPaymentsFixture(db: Kysely<ApiDatabase>, audit: Audit) {
  const accountStore = createAccountStore(db);
  const accounts = createAccountService({ db, store: accountStore, audit });
  const chargeStore = createChargeStore(db);
  const refundStore = createRefundStore(db);
  const vault = chargeVault();
  const customerStore = createCustomerStore(db);
  const customers = createCustomerService({ db, store: customerStore, audit, vault: customerVault() });
  const charges = createChargeService({ db, charges: chargeStore, refunds: refundStore, customers: customerStore, vault, audit });
  const refunds = createRefundService({ db, charges: chargeStore, refunds: refundStore, vault, audit, findCharge: charges.mustFind });
  const origin = { ip: '127.0.0.1', userAgent: 'test', requestId: 'req_test_fixture' };
  return {
    accounts, charges, refunds, customers, findAccount: accountStore.findAccount,
    /** A new merchant account; its test-mode key's view of it as a Merchant. */
    async merchant(): Promise<Merchant> {
      const created = await accounts.createAccount({ email: `m${newId('request').slice(4)}@example.test`, name: 'Shop' }, { type: 'system', id: 'test' });
      return { accountId: created.accountId, livemode: false, keyId: newId('key', false) };
    },
    /** A charge as a secret key makes it (captured unless `capture: false`). */
    charge: (merchant: Merchant, body: { amount: number; currency?: string; description?: string; capture?: boolean }) =>
      charges.create(merchant, { currency: 'thb', card: newId('token', merchant.livemode), ...body }, origin),
    customer: (merchant: Merchant, body: { email?: string; description?: string; card?: string }) => customers.create(merchant, body, origin),
  };
}
