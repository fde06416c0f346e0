// Canonical encoding of a JSON value for hashing: keys sorted by UTF-16 code units, no whitespace,
// explicit nulls, ECMAScript number and string forms, UTF-8 bytes. It is the JSON Canonicalization
// Scheme (RFC 8785) restricted to plain data, so any language can recompute an audit hash.
// Anything that is not plain JSON data throws: a value that cannot survive a jsonb round trip
// unchanged must never be hashed, or the stored row could not be verified later.

const MAX_DEPTH = 64;

export function canonicalJson(value: unknown): string {
  return encode(value, 0);
}

export function canonicalBytes(value: unknown): Buffer {
  return Buffer.from(canonicalJson(value), 'utf8');
}

function encode(value: unknown, depth: number): string {
  if (value === null) return 'null';
  switch (typeof value) {
    case 'boolean':
      return value ? 'true' : 'false';
    case 'number':
      if (!Number.isFinite(value)) throw new TypeError('canonical: numbers must be finite');
      return JSON.stringify(value); // shortest round-trip form; -0 becomes 0, as in JSON
    case 'string':
      // JSON.stringify escapes lone surrogates (\udXXX), so distinct strings stay distinct.
      return JSON.stringify(value);
    case 'object':
      if (depth >= MAX_DEPTH) throw new TypeError('canonical: value nested too deeply (or cyclic)');
      return Array.isArray(value) ? encodeArray(value, depth) : encodeObject(value, depth);
    default:
      throw new TypeError(`canonical: cannot encode a ${typeof value}`);
  }
}

function encodeArray(items: unknown[], depth: number): string {
  const parts: string[] = [];
  // An index loop, not map(): holes in sparse arrays must throw, not vanish.
  for (let i = 0; i < items.length; i++) parts.push(encode(items[i], depth + 1));
  return `[${parts.join(',')}]`;
}

function encodeObject(value: object, depth: number): string {
  const proto = Object.getPrototypeOf(value);
  if (proto !== Object.prototype && proto !== null) {
    throw new TypeError('canonical: only plain objects can be encoded (no Date, Buffer, Map, class instances)');
  }
  const record = value as Record<string, unknown>;
  const keys = Object.keys(record).sort(); // default sort compares UTF-16 code units, as RFC 8785 asks
  const parts = keys.map((key) => `${JSON.stringify(key)}:${encode(record[key], depth + 1)}`);
  return `{${parts.join(',')}}`;
}
