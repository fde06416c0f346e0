// Process entry for the api service (the merchant-facing API host).
import { bootService } from '#lib/runtime/index.ts';
import { buildApi } from './server.ts';

await bootService('api', async ({ config, logger, identities }) => buildApi({ config, logger, identities }));
