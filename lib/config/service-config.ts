// The config file the supervisor writes for one service process (0600, in the service's own folder).
// It carries only that service's credentials: the vault's database password never reaches api.
import { readFileSync } from 'node:fs';
import type { ServiceName } from './settings.ts';

export type ListenerConfig = { host: string; port: number };

export type ServiceConfig = {
  service: ServiceName;
  production: boolean;
  dataDir: string;
  logFile: string;
  logLevel: string;
  databaseUrl: string;
  public?: ListenerConfig;
  internal?: ListenerConfig;
  /** Internal base URLs of the peers this service may call (e.g. vault → kms). */
  peers: Partial<Record<ServiceName, string>>;
  /** Where certificates come from: `supervisor` (dev CA over IPC) or operator files. */
  tls:
    | { source: 'supervisor' }
    | { source: 'files'; internalKey: string; internalCert: string; internalCa: string; publicKey?: string; publicCert?: string };
  /** Service-specific settings (kept small; each service validates its own part). */
  extra: Record<string, unknown>;
};

export const CONFIG_FILE_ENV = 'STRONGROOM_SERVICE_CONFIG';

export function readServiceConfig(expected: ServiceName, env: NodeJS.ProcessEnv = process.env): Readonly<ServiceConfig> {
  const path = env[CONFIG_FILE_ENV];
  if (!path) throw new Error(`${CONFIG_FILE_ENV} is not set: start services through \`npm start\``);
  const config = JSON.parse(readFileSync(path, 'utf8')) as ServiceConfig;
  if (config.service !== expected) throw new Error(`config file is for ${config.service}, not ${expected}`);
  if (typeof config.databaseUrl !== 'string' || !config.databaseUrl.startsWith('postgres')) {
    throw new Error('config file lacks a PostgreSQL databaseUrl');
  }
  return Object.freeze(config);
}
