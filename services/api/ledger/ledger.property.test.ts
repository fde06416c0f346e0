// The ledger against a real database, driven through the real charge and refund services (with a
// stand-in vault that keeps authorizations like the real one): for random sequences of charges,
// partial captures, reversals and refunds, every entry balances, the balance equals the sum of the
// transactions list and an independent model of net − refunds, each paid charge and refund names its
// entry, and replaying every change books nothing twice. The negative controls show the database
// itself refuses an entry that does not balance, and any rewrite of the ledger.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { auditMigrations, createAudit } from '#lib/audit/index.ts';
import { newId } from '#lib/contracts/index.ts';
import { loadSqlMigrations, sql } from '#lib/db/index.ts';
import { createTestDatabase, type TestDatabase } from '#lib/db/testing.ts';
import { isHttpError } from '#lib/http/index.ts';
import type { ApiDatabase } from '../db.ts';
import type { Merchant } from '../auth/secret-key.auth.ts';
import { createChanges } from '../changes/changes.ts';
import { createCustomerStore } from '../customers/customers.store.ts';
import { createChargeStore } from '../charges/charges.store.ts';
import { createChargeService } from '../charges/charges.service.ts';
import { presentRefund } from '../charges/charge-view.ts';
import { computeFees, DEFAULT_CARD_FEES } from '../charges/fees.ts';
import { createRefundStore } from '../refunds/refunds.store.ts';
import { createRefundService } from '../refunds/refunds.service.ts';
import { createLedgerStore } from './ledger.store.ts';
import { createLedgerListener } from './ledger.listener.ts';
import { createLedgerService } from './ledger.service.ts';
import { createStandInVault } from './stand-in-vault.testing.ts';

const SETTLEMENT_MS = 60 * 60 * 1000;
const origin = { ip: '127.0.0.1', userAgent: 'test', requestId: 'req_test_ledger' };
let database: TestDatabase<ApiDatabase>;

before(async () => {
  database = await createTestDatabase<ApiDatabase>([await auditMigrations(), await loadSqlMigrations('api', new URL('../migrations/', import.meta.url))]);
});
after(async () => database?.close());

async function newMerchant(): Promise<Merchant> {
  const accountId = newId('account');
  await database.db.insertInto('accounts').values({ id: accountId, email: 'ledger@example.com', name: 'Ledger' }).execute();
  return { accountId, livemode: false, keyId: newId('key', false) };
}

function platform() {
  const { db } = database;
  const audit = createAudit({ db, service: 'api' });
  const changes = createChanges();
  const store = createLedgerStore(db);
  changes.on(createLedgerListener({ store, settlementDelayMs: SETTLEMENT_MS }));
  const chargeStore = createChargeStore(db);
  const refundStore = createRefundStore(db);
  const vault = createStandInVault();
  const charges = createChargeService({ db, charges: chargeStore, refunds: refundStore, customers: createCustomerStore(db), vault, audit, changes });
  const refunds = createRefundService({ db, charges: chargeStore, refunds: refundStore, vault, audit, findCharge: charges.mustFind, changes });
  const findAccount = async (id: string) => db.selectFrom('accounts').selectAll().where('id', '=', id).executeTakeFirst();
  const ledger = createLedgerService({ store, findAccount });
  // The same ledger read two settlement periods later: every credit has become transferable.
  const later = createLedgerService({ store, findAccount, now: () => new Date(Date.now() + 2 * SETTLEMENT_MS) });
  return { changes, store, charges, refunds, chargeStore, refundStore, ledger, later };
}

type Op =
  | { kind: 'charge'; currency: 'THB' | 'USD'; amount: number; capture: boolean }
  | { kind: 'capture'; pick: number; permille: number | null }
  | { kind: 'refund'; pick: number; permille: number }
  | { kind: 'overRefund'; pick: number }
  | { kind: 'reverse'; pick: number };

// Weighted towards money movements. Each follow-up picks among the charges it applies to (so it must
// succeed), except `overRefund`, which asks for one unit more than is left and must be refused.
const op: fc.Arbitrary<Op> = fc.oneof(
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('charge' as const), currency: fc.constantFrom('THB' as const, 'USD' as const), amount: fc.integer({ min: 2000, max: 10_000_000 }), capture: fc.boolean() }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('capture' as const), pick: fc.nat(), permille: fc.option(fc.integer({ min: 1, max: 1000 }), { nil: null }) }) },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('refund' as const), pick: fc.nat(), permille: fc.integer({ min: 1, max: 1000 }) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('overRefund' as const), pick: fc.nat() }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('reverse' as const), pick: fc.nat() }) },
);

type Model = { id: string; currency: string; authorized: number; captured: number; refunded: number; reversed: boolean };
const pickFrom = <T>(items: T[], pick: number): T | undefined => items[pick % Math.max(items.length, 1)];

async function refused(run: () => Promise<unknown>) {
  await assert.rejects(run(), (error: unknown) => isHttpError(error) && error.statusCode === 400);
}

async function allTransactions(ledger: ReturnType<typeof platform>['ledger'], merchant: Merchant) {
  const out = [];
  for (let offset = 0; ; offset += 100) {
    const page = await ledger.list(merchant, { limit: '100', offset: String(offset) });
    out.push(...page.data);
    if (out.length >= page.total) return out;
  }
}

const signedSum = (rows: { amount: number; direction: string; currency: string }[], currency: string) =>
  rows.filter((row) => row.currency === currency).reduce((sum, row) => sum + (row.direction === 'credit' ? row.amount : -row.amount), 0);

test('property: every entry balances; balance = Σ transactions = Σ net − Σ refunds; replays book nothing', async () => {
  const { changes, charges, refunds, chargeStore, refundStore, ledger, later } = platform();
  await fc.assert(fc.asyncProperty(fc.array(op, { minLength: 1, maxLength: 16 }), async (ops) => {
    const merchant = await newMerchant();
    const model: Model[] = [];
    const expected: Record<string, number> = { THB: 0, USD: 0 };
    const net = (amount: number) => computeFees(amount, DEFAULT_CARD_FEES).net;
    for (const step of ops) {
      if (step.kind === 'charge') {
        const charge = await charges.create(merchant, { amount: step.amount, currency: step.currency, card: newId('token', false), capture: step.capture }, origin);
        model.push({ id: charge.id, currency: step.currency, authorized: step.amount, captured: step.capture ? step.amount : 0, refunded: 0, reversed: false });
        if (step.capture) expected[step.currency]! += net(step.amount);
        continue;
      }
      const open = model.filter((charge) => charge.captured === 0 && !charge.reversed);
      const refundable = model.filter((charge) => charge.captured > charge.refunded);
      if (step.kind === 'capture') {
        const target = pickFrom(open, step.pick);
        if (!target) continue;
        const amount = step.permille === null ? undefined : Math.max(1, Math.floor((target.authorized * step.permille) / 1000));
        await charges.capture(merchant, target.id, { capture_amount: amount }, origin);
        target.captured = amount ?? target.authorized;
        expected[target.currency]! += net(target.captured);
      } else if (step.kind === 'refund') {
        const target = pickFrom(refundable, step.pick);
        if (!target) continue;
        const amount = Math.max(1, Math.floor(((target.captured - target.refunded) * step.permille) / 1000));
        await refunds.create(merchant, target.id, { amount }, origin);
        target.refunded += amount;
        expected[target.currency]! -= amount;
      } else if (step.kind === 'overRefund') {
        const target = pickFrom(model, step.pick);
        if (target) await refused(() => refunds.create(merchant, target.id, { amount: target.captured - target.refunded + 1 }, origin));
      } else {
        const target = pickFrom(open, step.pick);
        if (!target) continue;
        await charges.reverse(merchant, target.id, origin);
        target.reversed = true;
      }
    }

    // Every entry of this merchant has ≥ 2 one-sided lines whose debits equal its credits.
    const unbalanced = await sql<{ entry_id: string }>`
      SELECT l.entry_id FROM ledger_lines l JOIN ledger_entries e ON e.id = l.entry_id WHERE e.account_id = ${merchant.accountId}
      GROUP BY l.entry_id HAVING count(*) < 2 OR sum(l.debit) <> sum(l.credit)`.execute(database.db);
    assert.deepEqual(unbalanced.rows, []);

    const transactions = await allTransactions(ledger, merchant);
    const paid = model.filter((charge) => charge.captured > 0);
    assert.equal(transactions.length, paid.length + (await database.db.selectFrom('refunds').select('id')
      .where('account_id', '=', merchant.accountId).where('exchange', '=', 'answered').execute()).length, 'one transaction per capture and per refund');
    for (const currency of ['THB', 'USD']) {
      const now = await ledger.balance(merchant, { currency });
      const settled = await later.balance(merchant, { currency });
      assert.equal(now.total, expected[currency], `${currency}: balance = Σ net − Σ refunds`);
      assert.equal(signedSum(transactions, currency), now.total, `${currency}: balance = Σ transactions`);
      // Credits wait one settlement period; refunds count at once.
      assert.equal(now.transferable, 0);
      assert.equal(now.on_hold, Math.max(now.total, 0));
      assert.deepEqual([settled.total, settled.transferable, settled.on_hold, settled.reserve], [now.total, Math.max(now.total, 0), 0, 0]);
    }

    // Each paid charge names its credit (the net), each refund its debit.
    for (const charge of paid) {
      const view = await charges.retrieve(merchant, charge.id);
      const credit = await ledger.retrieve(merchant, view.transaction!);
      assert.deepEqual([credit.direction, credit.amount, credit.key, credit.origin, credit.currency], ['credit', view.net, 'charge.captured.net', charge.id, charge.currency]);
      for (const refund of view.refunds.data) {
        const debit = await ledger.retrieve(merchant, refund.transaction!);
        assert.deepEqual([debit.direction, debit.amount, debit.key, debit.origin], ['debit', refund.amount, 'refund', refund.id]);
      }
    }

    // Replaying every change (a retried request, a redelivered event) books nothing more.
    await database.db.transaction().execute(async (tx) => {
      for (const charge of paid) {
        const row = await chargeStore.find(merchant.accountId, false, charge.id, tx);
        for (const key of ['charge.create', 'charge.capture', 'charge.complete'] as const) await charges.announce(tx, merchant, key, row!);
        for (const refund of (await refundStore.forCharges(merchant.accountId, false, [charge.id])).get(charge.id) ?? []) {
          await changes.record(tx, { merchant, key: 'refund.create', data: presentRefund(refund), at: new Date() });
        }
      }
    });
    assert.equal((await allTransactions(ledger, merchant)).length, transactions.length, 'no entry posted twice');
    for (const currency of ['THB', 'USD']) assert.equal((await ledger.balance(merchant, { currency })).total, expected[currency]);
  }), { numRuns: 40 });
});

type RawLine = [account: 'merchant_balance' | 'acquirer_receivable' | 'fees' | 'vat', debit: number, credit: number];

/** Writes an entry and its lines straight into the tables as the runtime role, in one transaction. */
async function writeEntry(merchant: Merchant, entry: { direction: 'credit' | 'debit'; amount: number; lineCount: number }, lines: RawLine[]) {
  const id = newId('transaction', false);
  await database.db.transaction().execute(async (tx) => {
    await tx.insertInto('ledger_entries').values({
      id, account_id: merchant.accountId, livemode: false, currency: 'THB', kind: 'refund', origin: newId('refund', false),
      direction: entry.direction, amount: entry.amount, line_count: entry.lineCount, transferable_at: new Date(),
    }).execute();
    if (lines.length > 0) {
      await tx.insertInto('ledger_lines').values(lines.map(([account, debit, credit], index) => ({ entry_id: id, line: index + 1, ledger_account: account, debit, credit }))).execute();
    }
  });
  return id;
}

async function refusedWith(promise: Promise<unknown>, code: string, message: RegExp) {
  await assert.rejects(promise, (error: { code?: string; message?: string }) => {
    assert.equal(error.code, code, String(error.message));
    assert.match(String(error.message), message);
    return true;
  });
}

test('negative control: the database refuses, at commit, an entry that does not balance or is incomplete', async () => {
  const merchant = await newMerchant();
  const count = async () => Number((await database.db.selectFrom('ledger_entries').select((eb) => eb.fn.countAll<number>().as('n'))
    .where('account_id', '=', merchant.accountId).executeTakeFirstOrThrow()).n);

  // Positive control: the same writes, balanced, commit.
  const good = await writeEntry(merchant, { direction: 'debit', amount: 100, lineCount: 2 }, [['merchant_balance', 100, 0], ['acquirer_receivable', 0, 100]]);
  assert.equal(await count(), 1);

  await refusedWith(writeEntry(merchant, { direction: 'debit', amount: 100, lineCount: 2 }, [['merchant_balance', 100, 0], ['acquirer_receivable', 0, 99]]), '23514', /does not balance: debits 100, credits 99/);
  await refusedWith(writeEntry(merchant, { direction: 'debit', amount: 100, lineCount: 2 }, [['merchant_balance', 100, 0]]), '23514', /has 1 lines, expected 2/);
  await refusedWith(writeEntry(merchant, { direction: 'debit', amount: 100, lineCount: 2 }, []), '23514', /has 0 lines, expected 2/);
  await refusedWith(writeEntry(merchant, { direction: 'credit', amount: 100, lineCount: 2 }, [['merchant_balance', 100, 0], ['acquirer_receivable', 0, 100]]), '23514', /moves merchant_balance by -100/);
  await refusedWith(writeEntry(merchant, { direction: 'debit', amount: 100, lineCount: 1 }, [['merchant_balance', 100, 0]]), '23514', /line_count_check/);
  assert.equal(await count(), 1, 'nothing of the refused entries was kept');

  // Lines added later to a committed entry, even balanced ones, are refused.
  await refusedWith(database.db.transaction().execute((tx) => tx.insertInto('ledger_lines').values([
    { entry_id: good, line: 3, ledger_account: 'fees', debit: 5, credit: 0 }, { entry_id: good, line: 4, ledger_account: 'vat', debit: 0, credit: 5 },
  ]).execute()), '23514', /has 4 lines, expected 2/);

  // The store refuses an unbalanced entry before the database sees it.
  await assert.rejects(database.db.transaction().execute((tx) => createLedgerStore(database.db).post(tx, {
    id: newId('transaction', false), accountId: merchant.accountId, livemode: false, currency: 'THB', kind: 'refund', origin: newId('refund', false),
    createdAt: new Date(), transferableAt: new Date(),
  }, [{ account: 'merchant_balance', debit: 100, credit: 0 }, { account: 'acquirer_receivable', debit: 0, credit: 99 }])), /does not balance/);
  assert.equal(await count(), 1);
});

test('append-only: the runtime role cannot rewrite the ledger, and a trigger stops even the owner', async () => {
  const merchant = await newMerchant();
  const id = await writeEntry(merchant, { direction: 'debit', amount: 100, lineCount: 2 }, [['merchant_balance', 100, 0], ['acquirer_receivable', 0, 100]]);
  await refusedWith(database.db.updateTable('ledger_entries').set({ amount: 1 }).where('id', '=', id).execute(), '42501', /permission denied/);
  await refusedWith(database.db.deleteFrom('ledger_lines').where('entry_id', '=', id).execute(), '42501', /permission denied/);
  await refusedWith(database.ownerDb.updateTable('ledger_lines').set({ debit: 1 }).where('entry_id', '=', id).execute(), '42501', /append-only: UPDATE refused/);
  await refusedWith(database.ownerDb.deleteFrom('ledger_entries').where('id', '=', id).execute(), '42501', /append-only: DELETE refused/);
  await refusedWith(sql`TRUNCATE ledger_lines, ledger_entries`.execute(database.ownerDb), '42501', /append-only: TRUNCATE refused/);
});

test('posting is once per (origin, kind): the same movement again is a no-op, another amount an error', async () => {
  const merchant = await newMerchant();
  const store = createLedgerStore(database.db);
  const refund = newId('refund', false);
  const entry = (amount: number, origin = refund) => ({
    id: newId('transaction', false), accountId: merchant.accountId, livemode: false, currency: 'THB', kind: 'refund' as const, origin,
    createdAt: new Date(), transferableAt: new Date(), lines: [
      { account: 'merchant_balance' as const, debit: amount, credit: 0 }, { account: 'acquirer_receivable' as const, debit: 0, credit: amount },
    ],
  });
  const first = entry(500);
  const posted = await database.db.transaction().execute((tx) => store.post(tx, first, first.lines));
  assert.deepEqual(posted, { id: first.id, posted: true });
  const again = entry(500);
  assert.deepEqual(await database.db.transaction().execute((tx) => store.post(tx, again, again.lines)), { id: first.id, posted: false });
  const other = entry(501);
  await assert.rejects(database.db.transaction().execute((tx) => store.post(tx, other, other.lines)), /already posted with another amount/);
  assert.deepEqual((await database.db.selectFrom('ledger_entries').select('id').where('origin', '=', refund).execute()).map((row) => row.id), [first.id]);

  // Concurrent first posts of one movement: one wins, the others wait for it and book nothing.
  const raced = newId('refund', false);
  const racers = [entry(700, raced), entry(700, raced), entry(700, raced)];
  const results = await Promise.all(racers.map((racer) => database.db.transaction().execute((tx) => store.post(tx, racer, racer.lines))));
  assert.deepEqual(results.map((result) => result.posted).sort(), [false, false, true]);
  const rows = await database.db.selectFrom('ledger_entries').select('id').where('origin', '=', raced).execute();
  assert.deepEqual(rows.map((row) => row.id), results.filter((result) => result.posted).map((result) => result.id));
});
