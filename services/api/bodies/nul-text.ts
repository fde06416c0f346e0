// Text PostgreSQL cannot store: a NUL character (U+0000) in a text column fails the query, which the
// client would see as a 500. Any string (or key) of a body holding one is refused first, with a 400
// `bad_request` naming the field. Metadata is read again, with its other bounds, by metadata/metadata.ts.
import type { FastifyInstance } from 'fastify';
import { httpError } from '#lib/http/index.ts';

const MAX_FIELD = 64;

const fieldName = (path: string): string => {
  const printable = path.replace(/[^\x20-\x7e]/g, '?');
  return printable.length > MAX_FIELD ? `${printable.slice(0, MAX_FIELD)}…` : printable;
};

/** The first field (or key) of `body` holding a NUL character, as a sentence; or null. Pure, no recursion. */
export function nulProblem(body: unknown): string | null {
  const stack: Array<[unknown, string]> = [[body, '']];
  while (stack.length > 0) {
    const [value, path] = stack.pop()!;
    if (typeof value === 'string') {
      if (value.includes('\u0000')) return `${fieldName(path || 'body')} holds a NUL character, which cannot be stored`;
    } else if (Array.isArray(value)) {
      for (let i = value.length - 1; i >= 0; i--) stack.push([value[i], `${path}[${i}]`]);
    } else if (value !== null && typeof value === 'object') {
      for (const [key, child] of Object.entries(value).reverse()) {
        if (key.includes('\u0000')) return `a key in ${fieldName(path || 'body')} holds a NUL character, which cannot be stored`;
        stack.push([child, path === '' ? key : `${path}.${key}`]);
      }
    }
  }
  return null;
}

/** Every route in `app`'s scope: a body holding a NUL character anywhere is a 400 `bad_request`. */
export function refuseNulText(app: FastifyInstance): void {
  app.addHook('preValidation', async (request) => {
    const problem = request.body === undefined ? null : nulProblem(request.body);
    if (problem !== null) throw httpError(400, 'bad_request', problem);
  });
}
