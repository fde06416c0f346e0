// Process entry for the kms service (the encryption module: holds the key-encryption keys).
import { bootService } from '#lib/runtime/index.ts';
import { openBackend } from './backends/open-backend.ts';
import { readKmsSettings } from './kms-config.ts';
import { buildKms } from './server.ts';

await bootService('kms', async ({ config, logger, identities }) => {
  const settings = readKmsSettings(config.extra, config.production);
  const backend = await openBackend(settings);
  return buildKms({ config, settings, backend, logger, identities });
});
