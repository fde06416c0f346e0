// Customers and their cards on the API host (secret key), as the official omise client calls them
// (node_modules/omise/lib/resources/Customer.js and lib/apiResources.js, docs/omise-compat.md §8.1).
import type { FastifyInstance } from 'fastify';
import { merchantOf } from '../auth/secret-key.auth.ts';
import { requestOrigin as originOf } from '../auth/request-origin.ts';
import { acceptEmptyJsonBody } from '../charges/empty-json-body.ts';
import { CardParams, CreateCustomerBody, CustomerParams, UpdateCardBody, UpdateCustomerBody } from './customers.schemas.ts';
import type { CustomerService } from './customers.service.ts';

type Id = { Params: { id: string } };
type CardId = { Params: { id: string; cardId: string } };

export async function customerRoutes(app: FastifyInstance, opts: { customers: CustomerService }) {
  const { customers } = opts;
  // The client sends an empty JSON body on an update without data.
  acceptEmptyJsonBody(app);

  app.post<{ Body: CreateCustomerBody }>('/customers', { schema: { body: CreateCustomerBody } }, async (request) =>
    customers.create(merchantOf(request), request.body ?? {}, originOf(request), request.log));
  app.get('/customers', async (request) => customers.list(merchantOf(request), request.query));
  app.get<Id>('/customers/:id', { schema: { params: CustomerParams } }, async (request) =>
    customers.retrieve(merchantOf(request), request.params.id));
  app.patch<Id & { Body: UpdateCustomerBody }>('/customers/:id', { schema: { params: CustomerParams, body: UpdateCustomerBody } }, async (request) =>
    customers.update(merchantOf(request), request.params.id, request.body ?? {}, originOf(request), request.log));
  app.delete<Id>('/customers/:id', { schema: { params: CustomerParams } }, async (request) =>
    customers.destroy(merchantOf(request), request.params.id, originOf(request)));

  app.get<Id>('/customers/:id/cards', { schema: { params: CustomerParams } }, async (request) =>
    customers.cards.list(merchantOf(request), request.params.id, request.query));
  app.get<CardId>('/customers/:id/cards/:cardId', { schema: { params: CardParams } }, async (request) =>
    customers.cards.retrieve(merchantOf(request), request.params.id, request.params.cardId));
  app.patch<CardId & { Body: UpdateCardBody }>('/customers/:id/cards/:cardId', { schema: { params: CardParams, body: UpdateCardBody } }, async (request) =>
    customers.cards.update(merchantOf(request), request.params.id, request.params.cardId, request.body ?? {}, originOf(request)));
  app.delete<CardId>('/customers/:id/cards/:cardId', { schema: { params: CardParams } }, async (request) =>
    customers.cards.destroy(merchantOf(request), request.params.id, request.params.cardId, originOf(request)));
}
