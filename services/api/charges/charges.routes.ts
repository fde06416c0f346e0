// Charges and their refunds on the API host (secret key), as the official omise client calls them
// (node_modules/omise/lib/resources/Charge.js, docs/omise-compat.md §8.1). Declines are 200 charges
// with status "failed"; errors are Omise error objects.
import type { FastifyInstance } from 'fastify';
import { merchantOf } from '../auth/secret-key.auth.ts';
import { requestOrigin as originOf } from '../auth/request-origin.ts';
import type { RefundService } from '../refunds/refunds.service.ts';
import { CaptureBody, ChargeParams, CreateChargeBody, CreateRefundBody, RefundParams, UpdateChargeBody } from './charges.schemas.ts';
import type { ChargeService } from './charges.service.ts';
import { acceptEmptyJsonBody } from './empty-json-body.ts';

type Id = { Params: { id: string } };

export async function chargeRoutes(app: FastifyInstance, opts: { charges: ChargeService; refunds: RefundService }) {
  const { charges, refunds } = opts;
  acceptEmptyJsonBody(app);

  app.post<{ Body: CreateChargeBody }>('/charges', { schema: { body: CreateChargeBody }, config: { keepServerErrors: true } }, async (request) =>
    charges.create(merchantOf(request), request.body, originOf(request)));
  app.get('/charges', async (request) => charges.list(merchantOf(request), request.query));
  app.get<Id>('/charges/:id', { schema: { params: ChargeParams } }, async (request) =>
    charges.retrieve(merchantOf(request), request.params.id));
  app.patch<Id & { Body: UpdateChargeBody }>('/charges/:id', { schema: { params: ChargeParams, body: UpdateChargeBody } }, async (request) =>
    charges.update(merchantOf(request), request.params.id, request.body, originOf(request)));
  app.post<Id & { Body: CaptureBody }>('/charges/:id/capture', { schema: { params: ChargeParams, body: CaptureBody } }, async (request) =>
    charges.capture(merchantOf(request), request.params.id, request.body, originOf(request)));
  // Reverse and expire take no parameters: whatever body comes is ignored.
  app.post<Id>('/charges/:id/reverse', { schema: { params: ChargeParams } }, async (request) =>
    charges.reverse(merchantOf(request), request.params.id, originOf(request)));
  app.post<Id>('/charges/:id/expire', { schema: { params: ChargeParams } }, async (request) =>
    charges.expire(merchantOf(request), request.params.id, originOf(request)));

  app.post<Id & { Body: CreateRefundBody }>('/charges/:id/refunds', { schema: { params: ChargeParams, body: CreateRefundBody }, config: { keepServerErrors: true } }, async (request) =>
    refunds.create(merchantOf(request), request.params.id, request.body, originOf(request)));
  app.get<Id>('/charges/:id/refunds', { schema: { params: ChargeParams } }, async (request) =>
    refunds.list(merchantOf(request), request.params.id, request.query));
  app.get<{ Params: { id: string; refundId: string } }>('/charges/:id/refunds/:refundId', { schema: { params: RefundParams } }, async (request) =>
    refunds.retrieve(merchantOf(request), request.params.id, request.params.refundId));
}
