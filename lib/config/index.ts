export { readPlatformSettings, productionProblems, SERVICES, CLUSTER_OF, DOCUMENTED_ENV, type PlatformSettings, type ServiceName } from './settings.ts';
export { readServiceConfig, CONFIG_FILE_ENV, type ServiceConfig, type ListenerConfig } from './service-config.ts';
