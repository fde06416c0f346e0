import type { FastifyInstance } from 'fastify';
import { httpError } from '#lib/http/index.ts';
import { merchantOf } from '../auth/secret-key.auth.ts';
import type { AccountService } from './accounts.service.ts';

const SUPPORTED_CURRENCIES = ['thb', 'jpy', 'sgd', 'myr', 'usd', 'eur', 'gbp', 'aud', 'cad', 'chf', 'cny', 'dkk', 'hkd'];

export async function accountRoutes(app: FastifyInstance, opts: { accounts: AccountService }) {
  app.get('/account', async (request) => {
    const merchant = merchantOf(request);
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
      webhook_uri: null,
      metadata_export_keys: {},
      created_at: account.created_at.toISOString().replace(/\.\d{3}Z$/, 'Z'),
    };
  });
}
