export { scrubPan } from './scrub-pan.ts';
export { isLuhnValid } from './luhn.ts';
export { createLogger } from './logger.ts';
export type { Logger, LoggerOptions } from './logger.ts';
export { REDACT_PATHS, REDACT_CENSOR } from './redact-paths.ts';
