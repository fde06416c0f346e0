// The ledger on the API host (secret key), as the official omise client calls it
// (node_modules/omise/lib/resources/{Balance,Transaction}.js, docs/omise-compat.md §8.1).
import type { FastifyInstance } from 'fastify';
import { Type } from 'typebox';
import { merchantOf } from '../auth/secret-key.auth.ts';
import type { LedgerService } from './ledger.service.ts';

/** The id is checked by the service (a malformed id is simply not found), not by the schema. */
const TransactionParams = Type.Object({ id: Type.String() });

export async function ledgerRoutes(app: FastifyInstance, opts: { ledger: LedgerService }) {
  const { ledger } = opts;
  app.get('/transactions', async (request) => ledger.list(merchantOf(request), request.query));
  app.get<{ Params: { id: string } }>('/transactions/:id', { schema: { params: TransactionParams } }, async (request) =>
    ledger.retrieve(merchantOf(request), request.params.id));
  app.get('/balance', async (request) => ledger.balance(merchantOf(request), request.query));
}
