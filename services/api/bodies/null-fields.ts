// Explicit `null` in a request body (decided in docs/omise-compat.md §6.2). Fastify's validator
// coerces types, so without this `"capture": null` would pass as `false` (an authorize-only charge),
// `"description": null` as "" and `"expiration_month": null` as 0. A field may be null only where its
// schema says so (`type` lists "null", or a branch of a union is null, or the field is untyped and read
// by hand, as amounts are); everywhere else null is refused before validation, naming the field.
import type { FastifyInstance } from 'fastify';
import { Type, type TUnsafe } from 'typebox';
import { httpError } from '#lib/http/index.ts';

type Schema = {
  type?: string | string[]; properties?: Record<string, Schema>; items?: Schema; anyOf?: Schema[]; oneOf?: Schema[];
};

const MAX_FIELD = 64;

/**
 * Optional text for which null means "no value" (the object shows `null`). A type list, not a union:
 * in a union the validator would coerce null to "" in the string branch before trying the null one.
 */
export function NullableText(options: { maxLength: number; format?: string }): TUnsafe<string | null> {
  return Type.Unsafe<string | null>({ type: ['string', 'null'], ...options });
}

/** Whether the validator leaves a null as it is for this schema (it never coerces one it accepts). */
export function acceptsNull(schema: Schema): boolean {
  const branches = schema.anyOf ?? schema.oneOf;
  if (branches !== undefined) return branches.some(acceptsNull);
  if (schema.type === undefined) return true;
  return [schema.type].flat().includes('null');
}

const expected = (schema: Schema): string => {
  const type = [schema.type].flat()[0];
  if (type === 'boolean') return 'true or false';
  if (type === 'integer' || type === 'number') return 'a number';
  if (type === 'object') return 'an object';
  if (type === 'array') return 'a list';
  return 'text';
};

const fieldName = (path: string): string => {
  const printable = path.replace(/[^\x20-\x7e]/g, '?');
  return printable.length > MAX_FIELD ? `${printable.slice(0, MAX_FIELD)}…` : printable;
};

/**
 * Why `body` may not go to the validator as it is: the first field (depth first) that is null where
 * its schema does not accept null, as a sentence; or null when there is none. Pure.
 */
export function nullProblem(body: unknown, schema: Schema, path = ''): string | null {
  if (Array.isArray(body) && schema.items !== undefined) {
    for (const [i, item] of body.entries()) {
      const problem = item === null && !acceptsNull(schema.items)
        ? `${fieldName(`${path}[${i}]`)} cannot be null: send ${expected(schema.items)}`
        : nullProblem(item, schema.items, `${path}[${i}]`);
      if (problem !== null) return problem;
    }
    return null;
  }
  if (body === null || typeof body !== 'object' || Array.isArray(body) || schema.properties === undefined) return null;
  for (const [key, value] of Object.entries(body)) {
    const field = Object.hasOwn(schema.properties, key) ? schema.properties[key] : undefined;
    if (field === undefined) continue; // unknown fields are the validator's to refuse
    const name = path === '' ? key : `${path}.${key}`;
    if (value === null && !acceptsNull(field)) return `${fieldName(name)} cannot be null: send ${expected(field)}, or leave it out for the default`;
    const problem = nullProblem(value, field, name);
    if (problem !== null) return problem;
  }
  return null;
}

/** Every route in `app`'s scope with a body schema: a null the schema does not accept is a 400 `bad_request`. */
export function refuseUnexpectedNulls(app: FastifyInstance): void {
  app.addHook('preValidation', async (request) => {
    const schema = request.routeOptions.schema?.body as Schema | undefined;
    if (schema === undefined || request.body === undefined) return;
    const problem = nullProblem(request.body, schema);
    if (problem !== null) throw httpError(400, 'bad_request', problem);
  });
}
