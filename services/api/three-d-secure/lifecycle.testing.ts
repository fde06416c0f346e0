// Test support for the 3-D Secure flow and the charge lifecycle jobs: a real database (the api's
// migrations), a stand-in vault that answers from a queue and records every call, the real charge
// service announcing into a list, a settable clock, and direct inserts of charges in any state.
import { auditMigrations, createAudit } from '#lib/audit/index.ts';
import { newId } from '#lib/contracts/index.ts';
import { loadSqlMigrations, sql, type Insertable } from '#lib/db/index.ts';
import { createTestDatabase, type TestDatabase } from '#lib/db/testing.ts';
import { createTestLogger } from '#lib/http/testing.ts';
import type { ApiDatabase } from '../db.ts';
import type { Merchant } from '../auth/secret-key.auth.ts';
import type { Change } from '../changes/changes.ts';
import { createCustomerStore } from '../customers/customers.store.ts';
import { createRefundStore } from '../refunds/refunds.store.ts';
import { createChargeStore, type ChargeRow } from '../charges/charges.store.ts';
import { createChargeService } from '../charges/charges.service.ts';
import { createChargeLifecycle } from '../charges/charge-lifecycle.ts';
import type { VaultAnswer, VaultAuthorization, VaultClient } from '../vault/vault-client.ts';
import { createThreeDSecure } from './three-d-secure.ts';

export const PUBLIC_URL = 'https://api.strongroom.test:8444';

export type VaultCall = { call: string; args: unknown[] };
type Answer = VaultAnswer<VaultAuthorization> | Error;

export function refusal(status: number, code: string, message = 'refused'): Answer {
  return { ok: false, status, body: { object: 'error', code, message } };
}

export function authorization(chargeId: string, change: Partial<VaultAuthorization> = {}): Answer {
  return { ok: true, status: 200, body: {
    object: 'authorization', id: newId('authorization', false), charge_id: chargeId, livemode: false, status: 'approved', charge_status: 'successful',
    amount: 100000, currency: 'THB', authorized_amount: 100000, captured_amount: 100000, refunded_amount: 0, failure_code: null, failure_message: null,
    card: null, ...change,
  } };
}

/** What the vault answers while 3-D Secure is pending. */
export const awaiting = (chargeId: string) => authorization(chargeId, {
  status: 'authentication_required', charge_status: 'pending', authorized_amount: 0, captured_amount: 0, authentication_uri: null,
});
export const declined = (chargeId: string) => authorization(chargeId, {
  status: 'declined', charge_status: 'failed', authorized_amount: 0, captured_amount: 0, failure_code: 'payment_rejected', failure_message: 'payment rejected',
});

export function fakeVault() {
  const answers: Answer[] = [];
  const calls: VaultCall[] = [];
  const next = (call: string) => async (...args: unknown[]): Promise<VaultAnswer<VaultAuthorization>> => {
    calls.push({ call, args });
    const answer = answers.shift();
    if (!answer) throw new Error(`unexpected vault call ${call}`);
    if (answer instanceof Error) throw answer;
    return answer;
  };
  const client = {
    authorize: next('authorize'), authenticate: next('authenticate'), getAuthorization: next('getAuthorization'),
    capture: next('capture'), reverse: next('reverse'), refund: next('refund'),
  } satisfies Pick<VaultClient, 'authorize' | 'authenticate' | 'getAuthorization' | 'capture' | 'reverse' | 'refund'>;
  return { answers, calls, client };
}

export async function openLifecycleDatabase(): Promise<TestDatabase<ApiDatabase>> {
  return createTestDatabase<ApiDatabase>([await auditMigrations(), await loadSqlMigrations('api', new URL('../migrations/', import.meta.url))]);
}

/** Everything wired as server.ts wires it, on `database`, for a new merchant. */
export async function lifecycleHarness(database: TestDatabase<ApiDatabase>) {
  const accountId = newId('account');
  await database.db.insertInto('accounts').values({ id: accountId, email: 'm@example.com', name: 'Ben & Jerry <Shop>' }).execute();
  const merchant: Merchant = { accountId, livemode: false, keyId: newId('key', false) };
  const vault = fakeVault();
  const announced: Change[] = [];
  const clock = { now: new Date() };
  const now = () => clock.now;
  const log = createTestLogger('api');
  const audit = createAudit({ db: database.db, service: 'api' });
  const chargeStore = createChargeStore(database.db);
  const threeDSecure = createThreeDSecure({ db: database.db, vault: vault.client, audit, charges: chargeStore, publicUrl: PUBLIC_URL, now });
  const charges = createChargeService({
    db: database.db, charges: chargeStore, refunds: createRefundStore(database.db), customers: createCustomerStore(database.db), vault: vault.client, audit,
    changes: { record: async (_tx, change) => { announced.push(change); } }, now, authenticationPages: threeDSecure.pages,
  });
  const payer = threeDSecure.connect(charges.announce);
  const lifecycle = createChargeLifecycle({
    db: database.db, charges: chargeStore, vault: vault.client, pages: threeDSecure.pages, outcome: payer.outcome, audit,
    announce: charges.announce, logger: log.logger, now,
  });
  return { merchant, vault, announced, clock, charges, pages: payer.service, lifecycle, log, chargeStore };
}

/** A charge row as the api would hold it (answered, pending, waiting for the payer unless `change` says otherwise). */
export async function insertCharge(database: TestDatabase<ApiDatabase>, merchant: Merchant, change: Partial<Insertable<ApiDatabase['charges']>> = {}): Promise<ChargeRow> {
  return database.db.insertInto('charges').values({
    id: newId('charge', false), account_id: merchant.accountId, livemode: false, exchange: 'answered', status: 'pending',
    amount: 100000, currency: 'THB', metadata: '{}', capture: true, authorization_type: null, token_id: 'tokn_test_0000000000000000001',
    authorization_id: newId('authorization', false), fee_rate_bp: 365, vat_rate_bp: 700, ...change,
  }).returningAll().executeTakeFirstOrThrow();
}

/** The audit entries written for `accountId`, oldest first. */
export async function auditOf(database: TestDatabase<ApiDatabase>, accountId: string) {
  return (await sql<{ action: string; actor: string; actor_type: string; result: string; reason: string | null; ip: string | null }>`
    SELECT entry ->> 'action' AS action, entry -> 'actor' ->> 'id' AS actor, entry -> 'actor' ->> 'type' AS actor_type,
      entry -> 'outcome' ->> 'result' AS result, entry -> 'outcome' ->> 'reason' AS reason, entry -> 'origin' ->> 'ip' AS ip
    FROM audit_outbox WHERE entry ->> 'tenant' = ${accountId} ORDER BY id`.execute(database.db)).rows;
}

/** The jobs scan every account: each test starts with no charges at all (as the owner; the runtime role cannot delete). */
export async function clearCharges(database: TestDatabase<ApiDatabase>): Promise<void> {
  await database.ownerDb.deleteFrom('three_d_secure_pages').execute();
  await database.ownerDb.deleteFrom('refunds').execute();
  await database.ownerDb.deleteFrom('charges').execute();
}
