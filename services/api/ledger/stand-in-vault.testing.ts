// A stand-in for the vault's authorization calls, for tests of what the api books: it keeps each
// authorization's amounts and refuses, like the vault, a second capture, a capture of a reversed
// authorization and a refund of more than is left. Every token is approved.
import { newId } from '#lib/contracts/index.ts';
import type { ChargeVault } from '../charges/charges.service.ts';
import type { AuthorizeRequest, VaultAnswer, VaultAuthorization } from '../vault/vault-client.ts';

export function createStandInVault(): ChargeVault {
  const held = new Map<string, VaultAuthorization>();
  const answer = (authorization: VaultAuthorization): VaultAnswer<VaultAuthorization> => ({ ok: true, status: 200, body: { ...authorization } });
  const refuse = (code: string, message: string): VaultAnswer<VaultAuthorization> => ({ ok: false, status: 400, body: { object: 'error', code, message } });
  const find = (id: string) => {
    const authorization = held.get(id);
    if (!authorization) throw new Error(`stand-in vault: no authorization ${id}`);
    return authorization;
  };

  return {
    async authorize(_accountId: string, request: AuthorizeRequest) {
      const authorization: VaultAuthorization = {
        object: 'authorization', id: newId('authorization', request.livemode), charge_id: request.charge_id, livemode: request.livemode,
        status: 'approved', charge_status: request.capture ? 'successful' : 'pending', amount: request.amount, currency: request.currency,
        authorized_amount: request.amount, captured_amount: request.capture ? request.amount : 0, refunded_amount: 0,
        failure_code: null, failure_message: null, card: null,
      };
      held.set(authorization.id, authorization);
      return answer(authorization);
    },
    async capture(_accountId: string, _livemode: boolean, id: string, amount?: number) {
      const authorization = find(id);
      if (authorization.status !== 'approved' || authorization.captured_amount > 0) return refuse('failed_capture', 'not capturable');
      if (amount !== undefined && amount > authorization.authorized_amount) return refuse('failed_capture', 'more than authorized');
      authorization.captured_amount = amount ?? authorization.authorized_amount;
      authorization.charge_status = 'successful';
      return answer(authorization);
    },
    async reverse(_accountId: string, _livemode: boolean, id: string) {
      const authorization = find(id);
      if (authorization.status !== 'approved' || authorization.captured_amount > 0) return refuse('failed_reverse', 'not reversible');
      authorization.status = 'reversed';
      authorization.charge_status = 'reversed';
      return answer(authorization);
    },
    async refund(_accountId: string, _livemode: boolean, id: string, amount: number) {
      const authorization = find(id);
      if (authorization.refunded_amount + amount > authorization.captured_amount) return refuse('failed_refund', 'more than is left');
      authorization.refunded_amount += amount;
      return answer(authorization);
    },
  };
}
