// The merchant a public-key request acts for. Test and live never mix: the mode comes from the key.
import type { FastifyRequest } from 'fastify';
import { httpError } from '#lib/http/index.ts';

export type Merchant = { accountId: string; livemode: boolean; keyId: string };

declare module 'fastify' {
  interface FastifyRequest {
    merchant: Merchant | null;
  }
}

export function merchantOf(request: FastifyRequest): Merchant {
  if (!request.merchant) throw httpError(401, 'authentication_failure', 'authentication failed');
  return request.merchant;
}
