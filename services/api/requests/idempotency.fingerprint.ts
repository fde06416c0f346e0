// What an Idempotency-Key stands for: the method, path, query and parsed body of the first request,
// in one canonical form (object keys sorted at every level) hashed with SHA-256. Field order and JSON
// spacing do not matter; any change of a value, a field, the method or the path does.
import { createHash } from 'node:crypto';
import { httpError } from '#lib/http/index.ts';

/** Deeper than any real body; a bound keeps the walk off the stack limit whatever a client sends. */
export const MAX_DEPTH = 64;

function write(value: unknown, depth: number, out: string[]): void {
  if (depth > MAX_DEPTH) throw httpError(400, 'bad_request', `request body is nested more than ${MAX_DEPTH} levels deep`);
  if (value === null || value === undefined) {
    out.push('null');
  } else if (typeof value === 'string' || typeof value === 'boolean') {
    out.push(JSON.stringify(value));
  } else if (typeof value === 'number') {
    out.push(Number.isFinite(value) ? JSON.stringify(value) : 'null');
  } else if (Array.isArray(value)) {
    out.push('[');
    value.forEach((item, index) => {
      if (index > 0) out.push(',');
      write(item, depth + 1, out);
    });
    out.push(']');
  } else if (typeof value === 'object') {
    const toJson = (value as { toJSON?: unknown }).toJSON;
    if (typeof toJson === 'function') return write(toJson.call(value), depth + 1, out);
    const record = value as Record<string, unknown>;
    // As JSON does: a property whose value is undefined is not there at all.
    const keys = Object.keys(record).filter((key) => record[key] !== undefined).sort();
    out.push('{');
    keys.forEach((key, index) => {
      out.push(`${index > 0 ? ',' : ''}${JSON.stringify(key)}:`);
      write(record[key], depth + 1, out);
    });
    out.push('}');
  } else {
    // bigint, symbol, function: no parser produces them; hash their text rather than fail.
    out.push(JSON.stringify(String(value)));
  }
}

/** JSON with object keys sorted at every level: equal for equal data, whatever order it came in. */
export function canonicalJson(value: unknown): string {
  const out: string[] = [];
  write(value, 0, out);
  return out.join('');
}

export type FingerprintedRequest = { method: string; path: string; query: unknown; body: unknown };

/** SHA-256 (hex) of the canonical form of the request. */
export function requestFingerprint(request: FingerprintedRequest): string {
  const canonical = canonicalJson({ method: request.method, path: request.path, query: request.query ?? {}, body: request.body ?? null });
  return createHash('sha256').update(canonical, 'utf8').digest('hex');
}
