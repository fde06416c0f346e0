// GET /capability on the API host. The official client sends the PUBLIC key there (omise/lib/resources/
// Capability.js), and Omise accepts a secret key too (docs/omise-compat.md §8.6, §13 item 2), so this
// one route takes either, with the same lookup as the secret-key hook (auth/find-key.ts). It sits
// outside the secret-key scope of server.ts, so it authenticates here, before anything else. Nothing
// it answers is secret or names another object.
import type { FastifyInstance } from 'fastify';
import { keyFromAuthorization } from '#lib/contracts/index.ts';
import { httpError } from '#lib/http/index.ts';
import type { Kysely } from '#lib/db/index.ts';
import type { ApiDatabase } from '../db.ts';
import type { AccountService } from '../accounts/accounts.service.ts';
import { findKey } from '../auth/find-key.ts';
import { presentCapability } from './capability-view.ts';

export async function capabilityRoutes(app: FastifyInstance, opts: { db: Kysely<ApiDatabase>; findAccount: AccountService['findAccount'] }) {
  app.get('/capability', async (request) => {
    const caller = await findKey(opts.db, keyFromAuthorization(request.headers.authorization), request.ip, ['public', 'secret']);
    const account = await opts.findAccount(caller.accountId);
    if (!account) throw httpError(404, 'not_found', 'account was not found');
    return presentCapability(account);
  });
}
