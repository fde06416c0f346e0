// The dashboard's sign-up creates merchant accounts here, over the internal mTLS listener (caller
// `dashboard` only). The account gets its key pairs as every account does, but only the
// account id and test public key go back: the secret keys are dropped unread (only hashes are stored), so
// they are never on the wire between services, in the dashboard or in its database. The owner creates
// or rolls a secret key on the dashboard's API keys page, where it is shown once.
import type { FastifyInstance } from 'fastify';
import { Type, type Static } from 'typebox';
import type { AccountService } from './accounts.service.ts';

const CreateAccountBody = Type.Object({
  email: Type.String({ minLength: 3, maxLength: 254, pattern: '^[^\\s@]+@[^\\s@]+$' }),
  name: Type.String({ minLength: 1, maxLength: 100 }),
}, { additionalProperties: false });
type CreateAccountBody = Static<typeof CreateAccountBody>;

export async function accountInternalRoutes(app: FastifyInstance, opts: { accounts: AccountService }) {
  app.post<{ Body: CreateAccountBody }>('/internal/v1/accounts', {
    config: { allowedCallers: ['dashboard'] },
    schema: { body: CreateAccountBody },
  }, async (request) => {
    const created = await opts.accounts.createAccount(
      { email: request.body.email, name: request.body.name },
      { type: 'service', id: request.caller ?? 'dashboard', display: 'dashboard sign-up' },
    );
    return { object: 'account', id: created.accountId, livemode: false, public_key: created.publicKey };
  });
}
