import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { pino, type DestinationStream, type Level, type Logger } from 'pino';
import { REDACT_CENSOR, REDACT_PATHS } from './redact-paths.ts';
import { scrubPan } from './scrub-pan.ts';

const LEVELS: ReadonlySet<string> = new Set(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']);

export type LoggerOptions = {
  /** Service name, present on every line as `service`. */
  readonly service: string;
  /** When given, lines are also appended to this file (parent directories are created). */
  readonly file?: string;
  /** A pino level name or 'silent' (default 'info'); plain strings from config are checked at runtime. */
  readonly level?: Level | 'silent' | (string & {});
  /** Write to stdout (default true). Tests and CLIs that own stdout turn it off. */
  readonly stdout?: boolean;
};

/**
 * JSON-lines pino logger. Two layers keep card data out of logs: path redaction for known-sensitive
 * fields, then `scrubPan` on every serialized line (`hooks.streamWrite`) as the last line of defence.
 */
export function createLogger(options: LoggerOptions): Logger {
  if (!/^[a-z0-9][a-z0-9-]{0,62}$/.test(options.service)) {
    throw new TypeError(`invalid service name for logger: ${JSON.stringify(options.service)}`);
  }
  const streams: { stream: DestinationStream }[] = [];
  if (options.stdout !== false) streams.push({ stream: pino.destination({ dest: 1, sync: true }) });
  if (options.file !== undefined) {
    mkdirSync(dirname(options.file), { recursive: true, mode: 0o750 });
    streams.push({ stream: pino.destination({ dest: options.file, append: true, sync: true, mode: 0o640 }) });
  }
  const level = options.level ?? 'info';
  if (!LEVELS.has(level)) throw new TypeError(`invalid log level: ${JSON.stringify(level)}`);
  return pino(
    {
      level,
      base: { service: options.service, pid: process.pid },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
      redact: { paths: [...REDACT_PATHS], censor: REDACT_CENSOR },
      hooks: { streamWrite: scrubPan },
    },
    // multistream needs every stream to accept the logger's level; 'trace' lets the logger's own level decide.
    pino.multistream(streams.map((s) => ({ ...s, level: 'trace' as const }))),
  );
}

export type { Logger };
