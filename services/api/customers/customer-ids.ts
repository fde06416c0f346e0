// Path ids of customers and cards: a malformed id is not found, like an unknown one (as for charges),
// and a long one is not echoed back.
import { idPattern } from '#lib/contracts/index.ts';
import { httpError } from '#lib/http/index.ts';

const CUSTOMER_ID = idPattern('customer');
const CARD_ID = idPattern('card');

export function notFound(kind: 'customer' | 'card', id: string) {
  return httpError(404, 'not_found', id.length <= 64 ? `${kind} ${id} was not found` : `${kind} was not found`);
}

export function checkIds(customerId: string, cardId?: string): void {
  if (!CUSTOMER_ID.test(customerId)) throw notFound('customer', customerId);
  if (cardId !== undefined && !CARD_ID.test(cardId)) throw notFound('card', cardId);
}
