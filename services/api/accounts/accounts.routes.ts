import type { FastifyInstance } from 'fastify';
import { Type, type Static } from 'typebox';
import { httpError } from '#lib/http/index.ts';
import { merchantOf, type Merchant } from '../auth/secret-key.auth.ts';
import { requestOrigin } from '../auth/request-origin.ts';
import { acceptEmptyJsonBody } from '../charges/empty-json-body.ts';
import type { WebhookEndpointService } from '../webhooks/webhook-endpoints.service.ts';
import type { AccountService } from './accounts.service.ts';

const SUPPORTED_CURRENCIES = ['thb', 'jpy', 'sgd', 'myr', 'usd', 'eur', 'gbp', 'aud', 'cad', 'chf', 'cny', 'dkk', 'hkd'];

/** PATCH /account sets the webhook endpoint of the key's mode (`null` or "" removes it); other Omise account settings are not supported. */
const UpdateAccountBody = Type.Object({
  webhook_uri: Type.Optional(Type.Union([Type.String({ maxLength: 2048 }), Type.Null()])),
}, { additionalProperties: false });
type UpdateAccountBody = Static<typeof UpdateAccountBody>;

export async function accountRoutes(app: FastifyInstance, opts: { accounts: AccountService; webhooks: Pick<WebhookEndpointService, 'uriOf' | 'set'> }) {
  acceptEmptyJsonBody(app);
  const present = async (merchant: Merchant) => {
    const account = await opts.accounts.findAccount(merchant.accountId);
    if (!account) throw httpError(404, 'not_found', 'account was not found');
    return {
      object: 'account',
      id: account.id,
      livemode: merchant.livemode,
      location: '/account',
      country: account.country,
      currency: account.currency,
      email: account.email,
      team: account.id,
      supported_currencies: SUPPORTED_CURRENCIES,
      api_version: '2019-05-29',
      auto_activate_recipients: false,
      chain_enabled: false,
      zero_interest_installments: false,
      chain_return_uri: null,
      webhook_uri: await opts.webhooks.uriOf(merchant),
      metadata_export_keys: {},
      created_at: account.created_at.toISOString().replace(/\.\d{3}Z$/, 'Z'),
    };
  };
  app.get('/account', async (request) => present(merchantOf(request)));
  // The new endpoint's signing secret is answered here only, once (`webhook_secret`, a Strongroom extension).
  app.patch<{ Body: UpdateAccountBody }>('/account', { schema: { body: UpdateAccountBody } }, async (request) => {
    const merchant = merchantOf(request);
    const uri = request.body?.webhook_uri;
    const change = uri === undefined ? null : await opts.webhooks.set(merchant, uri, requestOrigin(request));
    const account = await present(merchant);
    return change?.secret ? { ...account, webhook_secret: change.secret } : account;
  });
}
