// Customers of a merchant. Card attachment arrives with the vault (issue: payments API).
import { newId } from '#lib/contracts/index.ts';
import { httpError } from '#lib/http/index.ts';
import type { Kysely } from '#lib/db/index.ts';
import type { Audit } from '#lib/audit/index.ts';
import type { ApiDatabase } from '../db.ts';
import type { Merchant } from '../auth/secret-key.auth.ts';
import type { CustomerStore } from './customers.store.ts';
import type { CreateCustomerBody } from './customers.schemas.ts';
import { CUSTOMER_AUDIT } from './customers.audit.ts';

type Row = NonNullable<Awaited<ReturnType<CustomerStore['find']>>>;
export type RequestOrigin = { ip: string; userAgent?: string; requestId: string };

export function presentCustomer(row: Row) {
  return {
    object: 'customer',
    id: row.id,
    livemode: row.livemode,
    location: `/customers/${row.id}`,
    deleted: row.deleted,
    metadata: row.metadata,
    cards: { object: 'list', data: [], limit: 20, offset: 0, total: 0, order: 'chronological', location: `/customers/${row.id}/cards` },
    default_card: row.default_card,
    description: row.description,
    email: row.email,
    created_at: row.created_at.toISOString().replace(/\.\d{3}Z$/, 'Z'),
  };
}

export function createCustomerService(deps: { db: Kysely<ApiDatabase>; store: CustomerStore; audit: Audit }) {
  const { db, store, audit } = deps;
  return {
    async create(merchant: Merchant, body: CreateCustomerBody, origin: RequestOrigin) {
      const id = newId('customer', merchant.livemode);
      const row = await db.transaction().execute(async (tx) => {
        const inserted = await store.insert(tx, {
          id, account_id: merchant.accountId, livemode: merchant.livemode,
          email: body.email ?? null, description: body.description ?? null, metadata: JSON.stringify(body.metadata ?? {}),
        });
        await audit.record(tx, {
          actor: { type: 'api_key', id: merchant.keyId }, action: CUSTOMER_AUDIT.created, tenant: merchant.accountId,
          targets: [{ type: 'customer', id }], outcome: { result: 'success' },
          origin: { ip: origin.ip, userAgent: origin.userAgent }, requestId: origin.requestId,
        });
        return inserted;
      });
      return presentCustomer(row);
    },
    async retrieve(merchant: Merchant, id: string) {
      const row = await store.find(merchant.accountId, merchant.livemode, id);
      if (!row) throw httpError(404, 'not_found', `customer ${id} was not found`);
      return presentCustomer(row);
    },
  };
}
export type CustomerService = ReturnType<typeof createCustomerService>;
