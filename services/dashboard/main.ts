// Process entry for the dashboard service (the merchant dashboard web application).
import { bootService } from '#lib/runtime/index.ts';
import { buildDashboard } from './server.ts';

await bootService('dashboard', async ({ config, logger, identities }) => buildDashboard({ config, logger, identities }));
