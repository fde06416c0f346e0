// Process entry for the kms service (the encryption module: holds the key-encryption keys).
import { bootService } from '#lib/runtime/index.ts';
import { buildKms } from './server.ts';

await bootService('kms', async ({ config, logger, identities }) => buildKms({ config, logger, identities }));
