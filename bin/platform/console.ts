// Turns a service's JSON log line into one readable console line (the JSON stays in logs/<service>.log).
const LEVELS: Record<number, string> = { 10: 'trace', 20: 'debug', 30: 'info', 40: 'WARN', 50: 'ERROR', 60: 'FATAL' };

export function formatChildLine(service: string, line: string): string {
  try {
    const entry = JSON.parse(line) as { level?: number | string; msg?: string; time?: string | number; err?: { message?: string } };
    const time = typeof entry.time === 'string' ? entry.time.slice(11, 19) : new Date().toISOString().slice(11, 19);
    // The service logger writes level labels ("warn"); numbers are pino's default.
    const level = typeof entry.level === 'string' ? (entry.level === 'info' ? 'info' : entry.level.toUpperCase()) : LEVELS[entry.level ?? 30] ?? 'info';
    const error = entry.err?.message ? ` (${entry.err.message})` : '';
    return `${time} ${service.padEnd(9)} ${level.padEnd(5)} ${entry.msg ?? ''}${error}`;
  } catch {
    return `${service.padEnd(9)} ${line}`;
  }
}
