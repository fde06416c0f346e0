// HTML form bodies (application/x-www-form-urlencoded): flat string fields, the last of a repeated
// name wins. Read through `formFields`, which refuses anything that is not a bounded string.
import type { FastifyInstance } from 'fastify';
import { httpError, registerFormBodies } from '#lib/http/index.ts';

export function registerFormParser(app: FastifyInstance): void {
  registerFormBodies(app, (text) => Object.fromEntries(new URLSearchParams(text)));
}

/** The named fields as strings ('' when absent); a 400 when one is not a string or is too long. */
export function formFields<K extends string>(body: unknown, limits: Record<K, number>): Record<K, string> {
  const source = body !== null && typeof body === 'object' ? (body as Record<string, unknown>) : {};
  const out = {} as Record<K, string>;
  for (const name of Object.keys(limits) as K[]) {
    const value = Object.hasOwn(source, name) ? source[name] : '';
    if (typeof value !== 'string') throw httpError(400, 'bad_request', `the form field ${name} is malformed`);
    if (value.length > limits[name]) throw httpError(400, 'bad_request', `the form field ${name} is too long`);
    out[name] = value;
  }
  return out;
}
