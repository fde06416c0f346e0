// Merchant metadata (`metadata` on charges, refunds and customers): free-form JSON, as Omise takes it
// (docs/omise-compat.md §6.2), within bounds, so that one request cannot store a value 2,000 levels
// deep or text PostgreSQL refuses (a NUL, an unpaired surrogate) and copy it into every event,
// webhook and list page after it. The schema below only says "an object" (for the validator and the
// OpenAPI document); readMetadata is the rule, called wherever a body's metadata is read.
import { Type } from 'typebox';
import { httpError } from '#lib/http/index.ts';

export const METADATA_LIMITS = {
  /** Levels of objects and lists, metadata itself being the first. */
  depth: 5,
  /** Keys in any one object. */
  keys: 50,
  /** Keys and list items counted at every level. */
  entries: 200,
  keyLength: 40,
  stringLength: 500,
  /** UTF-8 bytes of the metadata as JSON. */
  bytes: 8192,
} as const;

export type MetadataValue = null | boolean | number | string | MetadataValue[] | { [key: string]: MetadataValue };
export type Metadata = { [key: string]: MetadataValue };

/** For the validator and the OpenAPI document; the bounds are checked by readMetadata. */
export const MetadataSchema = Type.Record(Type.String({ maxLength: METADATA_LIMITS.keyLength }), Type.Unknown(), {
  maxProperties: METADATA_LIMITS.keys,
  description: `Free-form JSON: at most ${METADATA_LIMITS.depth} levels, ${METADATA_LIMITS.keys} keys per object, ${METADATA_LIMITS.entries} keys and items in all, `
    + `keys up to ${METADATA_LIMITS.keyLength} and text up to ${METADATA_LIMITS.stringLength} characters, ${METADATA_LIMITS.bytes} bytes as JSON.`,
});

const MAX_SHOWN_PATH = 64;

function refuse(problem: string): never {
  throw httpError(400, 'bad_request', problem);
}

// Keys come from the client: a path is shown only while it is short and printable.
function shown(path: string): string {
  const printable = path.replace(/[^\x20-\x7e]/g, '?');
  return printable.length > MAX_SHOWN_PATH ? `${printable.slice(0, MAX_SHOWN_PATH)}…` : printable;
}

const storable = (text: string) => !text.includes('\u0000') && text.isWellFormed();
const isPlainObject = (value: object) => [Object.prototype, null].includes(Object.getPrototypeOf(value) as object | null);

/**
 * The body's metadata as it will be stored: `{}` when absent, otherwise a plain copy of a JSON object
 * within METADATA_LIMITS. Anything else is a 400 `bad_request` naming the first problem.
 */
export function readMetadata(value: unknown): Metadata {
  if (value === undefined) return {};
  let entries = 0;
  const copy = (node: unknown, path: string, level: number): MetadataValue => {
    if (node === null || typeof node === 'boolean') return node;
    if (typeof node === 'number') return Number.isFinite(node) ? node : refuse(`${shown(path)} is not a finite number`);
    if (typeof node === 'string') {
      if (node.length > METADATA_LIMITS.stringLength) refuse(`${shown(path)} is longer than ${METADATA_LIMITS.stringLength} characters`);
      return storable(node) ? node : refuse(`${shown(path)} holds a NUL character or an unpaired surrogate`);
    }
    if (typeof node !== 'object') return refuse(`${shown(path)} is not JSON data`);
    if (level >= METADATA_LIMITS.depth) refuse(`metadata is nested more than ${METADATA_LIMITS.depth} levels deep (at ${shown(path)})`);
    if (Array.isArray(node)) {
      entries += node.length;
      if (entries > METADATA_LIMITS.entries) refuse(`metadata has more than ${METADATA_LIMITS.entries} keys and list items in all`);
      return node.map((item, i) => copy(item, `${path}[${i}]`, level + 1));
    }
    if (!isPlainObject(node)) return refuse(`${shown(path)} is not JSON data`);
    const keys = Object.keys(node);
    if (keys.length > METADATA_LIMITS.keys) refuse(`${shown(path)} has more than ${METADATA_LIMITS.keys} keys`);
    entries += keys.length;
    if (entries > METADATA_LIMITS.entries) refuse(`metadata has more than ${METADATA_LIMITS.entries} keys and list items in all`);
    const out: Metadata = {};
    for (const key of keys) {
      if (key.length > METADATA_LIMITS.keyLength) refuse(`metadata keys must be at most ${METADATA_LIMITS.keyLength} characters (in ${shown(path)})`);
      if (!storable(key)) refuse(`a metadata key in ${shown(path)} holds a NUL character or an unpaired surrogate`);
      // defineProperty: a key named __proto__ stays a key, as JSON.parse made it.
      Object.defineProperty(out, key, { value: copy((node as Record<string, unknown>)[key], `${path}.${key}`, level + 1), enumerable: true, writable: true, configurable: true });
    }
    return out;
  };
  if (value === null || typeof value !== 'object' || Array.isArray(value)) refuse('metadata must be an object');
  const metadata = copy(value, 'metadata', 0) as Metadata;
  const bytes = Buffer.byteLength(JSON.stringify(metadata));
  if (bytes > METADATA_LIMITS.bytes) refuse(`metadata is larger than ${METADATA_LIMITS.bytes} bytes as JSON`);
  return metadata;
}
