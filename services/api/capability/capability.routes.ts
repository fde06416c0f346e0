// GET /capability on the API host, with a public or a secret key (capability-caller.ts). It sits
// outside the secret-key scope of server.ts, so it authenticates here, before anything else.
import type { FastifyInstance } from 'fastify';
import { httpError } from '#lib/http/index.ts';
import type { Kysely } from '#lib/db/index.ts';
import type { ApiDatabase } from '../db.ts';
import type { AccountService } from '../accounts/accounts.service.ts';
import { capabilityCaller } from './capability-caller.ts';
import { presentCapability } from './capability-view.ts';

export async function capabilityRoutes(app: FastifyInstance, opts: { db: Kysely<ApiDatabase>; findAccount: AccountService['findAccount'] }) {
  app.get('/capability', async (request) => {
    const caller = await capabilityCaller(opts.db, request);
    const account = await opts.findAccount(caller.accountId);
    if (!account) throw httpError(404, 'not_found', 'account was not found');
    return presentCapability(account);
  });
}
