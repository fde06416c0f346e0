// The payments client over a recorded stand-in for the mTLS client: the paths and queries it sends
// (the mode taken from the id), and how the api's answers reach the pages: refusals the user can act
// on keep their words, a 404 is "no such … in this account", anything else is a 502, and a refund
// without a clear answer says it may still have been made.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isHttpError } from '#lib/http/index.ts';
import { paymentsApiOver } from './payments-api.ts';

const ACCOUNT = 'acct_test_0000000000000000001';
const CHARGE = 'chrg_test_0000000000000000001';

function clientAnswering(status: number | Error, body: unknown = {}) {
  const sent: Array<{ method: string; path: string; body: unknown; requestId?: string }> = [];
  return {
    sent,
    async request(method: string, path: string, payload?: unknown, options?: { requestId?: string }) {
      sent.push({ method, path, body: payload, requestId: options?.requestId });
      if (status instanceof Error) throw status;
      return { status, body, headers: {} };
    },
  };
}

async function refusal(promise: Promise<unknown>): Promise<{ status: number; code: string; message: string }> {
  try {
    await promise;
  } catch (error) {
    assert.ok(isHttpError(error), String(error));
    return { status: error.statusCode, code: error.code, message: error.message };
  }
  throw new Error('expected a refusal');
}

test('paths and queries: the account, the mode from the id (or the page), newest first', async () => {
  const client = clientAnswering(200, { object: 'list', data: [], total: 0, limit: 20, offset: 0 });
  const api = paymentsApiOver(client as never);
  await api.listCharges(ACCOUNT, { livemode: true, limit: 50, offset: 100, to: new Date('2026-04-01T00:00:00Z') }, { requestId: 'req_1' });
  await api.charge(ACCOUNT, CHARGE);
  await api.charge(ACCOUNT, 'chrg_0000000000000000001');
  await api.refunds(ACCOUNT, CHARGE);
  await api.listCustomers(ACCOUNT, { livemode: false, limit: 20, offset: 0 });
  await api.customer(ACCOUNT, 'cust_test_0000000000000000001');
  await api.refund(ACCOUNT, CHARGE, { amount: 500, actorId: 'user_0000000000000000001', requestId: 'req_2' });
  const base = `/internal/v1/accounts/${ACCOUNT}`;
  assert.deepEqual(client.sent.map((s) => `${s.method} ${s.path}`), [
    `GET ${base}/charges?livemode=true&limit=50&offset=100&order=reverse_chronological&to=2026-04-01T00%3A00%3A00.000Z`,
    `GET ${base}/charges/${CHARGE}?livemode=false`,
    `GET ${base}/charges/chrg_0000000000000000001?livemode=true`,
    `GET ${base}/charges/${CHARGE}/refunds?livemode=false&limit=100&order=reverse_chronological`,
    `GET ${base}/customers?livemode=false&limit=20&offset=0&order=reverse_chronological`,
    `GET ${base}/customers/cust_test_0000000000000000001?livemode=false`,
    `POST ${base}/charges/${CHARGE}/refunds`,
  ]);
  assert.deepEqual(client.sent.at(-1)!.body, { actor_id: 'user_0000000000000000001', amount: 500, livemode: false });
  assert.deepEqual([client.sent[0]!.requestId, client.sent.at(-1)!.requestId], ['req_1', 'req_2']);
});

test('answers: refusals keep their words, 404s name the kind, everything else is a 502', async () => {
  const words = 'charge can\'t be refunded: the amount is more than the 100 left to refund';
  const refused = await refusal(paymentsApiOver(clientAnswering(400, { object: 'error', code: 'failed_refund', message: words }) as never)
    .refund(ACCOUNT, CHARGE, { amount: 500, actorId: 'user_0000000000000000001' }));
  assert.deepEqual(refused, { status: 400, code: 'failed_refund', message: words });
  const missing = await refusal(paymentsApiOver(clientAnswering(404, { object: 'error', code: 'not_found', message: `charge ${CHARGE} was not found` }) as never).charge(ACCOUNT, CHARGE));
  assert.deepEqual(missing, { status: 404, code: 'not_found', message: 'There is no such charge in this account.' });
  const noCustomer = await refusal(paymentsApiOver(clientAnswering(404) as never).customer(ACCOUNT, 'cust_test_0000000000000000001'));
  assert.equal(noCustomer.message, 'There is no such customer in this account.');
  for (const client of [clientAnswering(403, { object: 'error', code: 'forbidden', message: 'not allowed' }), clientAnswering(500), clientAnswering(new Error('ECONNREFUSED')),
    clientAnswering(400, { code: 'made_up_code', message: 'x' }), clientAnswering(200, null)]) {
    const answer = await refusal(paymentsApiOver(client as never).listCharges(ACCOUNT, { livemode: false, limit: 20, offset: 0 }));
    assert.deepEqual([answer.status, answer.code], [502, 'bad_gateway']);
    assert.match(answer.message, /could not be reached/);
  }
  for (const client of [clientAnswering(503), clientAnswering(new Error('socket hang up'))]) {
    const answer = await refusal(paymentsApiOver(client as never).refund(ACCOUNT, CHARGE, { amount: 5, actorId: 'user_0000000000000000001' }));
    assert.equal(answer.status, 502);
    assert.match(answer.message, /did not confirm the refund\. It may still be made/);
  }
});
