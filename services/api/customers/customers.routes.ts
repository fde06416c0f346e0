import type { FastifyInstance } from 'fastify';
import { merchantOf } from '../auth/secret-key.auth.ts';
import { CreateCustomerBody, CustomerParams } from './customers.schemas.ts';
import type { CustomerService } from './customers.service.ts';

export async function customerRoutes(app: FastifyInstance, opts: { customers: CustomerService }) {
  app.post<{ Body: CreateCustomerBody }>('/customers', { schema: { body: CreateCustomerBody } }, async (request) =>
    opts.customers.create(merchantOf(request), request.body ?? {}, {
      ip: request.ip, userAgent: request.headers['user-agent'], requestId: request.id,
    }));
  app.get<{ Params: { id: string } }>('/customers/:id', { schema: { params: CustomerParams } }, async (request) =>
    opts.customers.retrieve(merchantOf(request), request.params.id));
}
