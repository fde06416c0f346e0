// Process entry for the vault service (the card data environment's tokenization host).
import { bootService } from '#lib/runtime/index.ts';
import { buildVault } from './server.ts';

await bootService('vault', async ({ config, logger, identities }) => buildVault({ config, logger, identities }));
