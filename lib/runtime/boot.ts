// Process entry shared by every service: config → logger → identities → build → listen → signals.
import type { Logger } from 'pino';
import { readServiceConfig, type ServiceConfig, type ServiceName } from '#lib/config/index.ts';
import { createLogger } from '#lib/log/index.ts';
import { loadIdentities, type ServiceIdentities } from './identities.ts';

export type BootContext = { config: Readonly<ServiceConfig>; logger: Logger; identities: ServiceIdentities };
export type RunningService = { listen(): Promise<void>; close(): Promise<void> };

export async function bootService(name: ServiceName, build: (context: BootContext) => Promise<RunningService>) {
  const config = readServiceConfig(name);
  const logger = createLogger({ service: name, file: config.logFile, level: config.logLevel });
  process.on('uncaughtException', (error) => {
    logger.fatal({ err: error }, 'uncaught exception; exiting for the supervisor to restart');
    process.exit(1);
  });
  process.on('unhandledRejection', (error) => {
    logger.fatal({ err: error }, 'unhandled rejection; exiting for the supervisor to restart');
    process.exit(1);
  });
  const identities = await loadIdentities(config, logger);
  const service = await build({ config, logger, identities });
  await service.listen();
  let closing = false;
  const shutdown = async (signal: string) => {
    if (closing) return;
    closing = true;
    logger.info({ signal }, 'shutting down');
    const force = setTimeout(() => process.exit(1), 8_000);
    force.unref();
    try {
      await service.close();
      identities.stop();
    } finally {
      process.exit(0);
    }
  };
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
  process.on('SIGINT', () => void shutdown('SIGINT'));
  // The supervisor going away (even by kill -9) must not leave orphans serving requests.
  process.on('disconnect', () => void shutdown('supervisor-gone'));
  logger.info({ public: config.public, internal: config.internal }, 'listening');
  process.send?.({ type: 'ready' });
}
