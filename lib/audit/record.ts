// What a service hands to record() (AuditRecord), and what is stored and hashed (AuditEntry):
// the same fields with explicit nulls, plus the format version, the service and the time, which the
// library sets. Validation order: the client's User-Agent bounded (user-agent.ts), guard (so a card
// number in any field is refused as such, before a schema message could echo a path built from it),
// then schema, then metadata bounds.
import { Type, type Static } from 'typebox';
import { Compile } from 'typebox/compile';
import { canonicalBytes } from './canonical.ts';
import { auditError } from './errors.ts';
import { assertWritable, childPath } from './guard.ts';
import { USER_AGENT_MAX_LENGTH, withAuditableUserAgent } from './user-agent.ts';

export const ENTRY_VERSION = 1;
export const ACTION_PATTERN = '^[a-z][a-z0-9_]*(\\.[a-z0-9_]+)+$';
export const METADATA_MAX_BYTES = 4096;
const METADATA_MAX_DEPTH = 4;
const KEY_PATTERN = '^[A-Za-z][A-Za-z0-9_.-]{0,63}$';
const KEY_REGEX = new RegExp(KEY_PATTERN);

const Id = Type.String({ minLength: 1, maxLength: 200 });

export const AuditActorSchema = Type.Object({
  type: Type.Union([
    Type.Literal('user'), Type.Literal('api_key'), Type.Literal('service'), Type.Literal('staff'), Type.Literal('system'),
  ]),
  id: Id,
  display: Type.Optional(Type.String({ maxLength: 200 })),
  sessionId: Type.Optional(Id),
}, { additionalProperties: false });

export const AuditTargetSchema = Type.Object({
  type: Type.String({ pattern: '^[a-z][a-z0-9_]{0,63}$' }),
  id: Id,
}, { additionalProperties: false });

export const AuditRecordSchema = Type.Object({
  actor: AuditActorSchema,
  action: Type.String({ pattern: ACTION_PATTERN, maxLength: 100 }),
  targets: Type.Array(AuditTargetSchema, { maxItems: 20 }),
  /** Merchant account id, or null for a platform event. */
  tenant: Type.Union([Type.String({ pattern: '^[A-Za-z0-9][A-Za-z0-9_.:-]{0,127}$' }), Type.Null()]),
  outcome: Type.Object({
    result: Type.Union([Type.Literal('success'), Type.Literal('failure')]),
    reason: Type.Optional(Type.String({ maxLength: 500 })),
  }, { additionalProperties: false }),
  origin: Type.Optional(Type.Object({
    ip: Type.Optional(Type.String({ pattern: '^[0-9A-Fa-f:.]{2,45}(%[A-Za-z0-9_.-]{1,32})?$' })), // IPv4, IPv6 (+ zone)
    /** Bounded by the library (user-agent.ts) before this check, never refused for its length. */
    userAgent: Type.Optional(Type.String({ maxLength: USER_AGENT_MAX_LENGTH })),
    certIdentity: Type.Optional(Type.String({ maxLength: 512 })),
  }, { additionalProperties: false })),
  requestId: Type.Optional(Type.String({ minLength: 1, maxLength: 128 })),
  /** Small JSON object (at most 4 KiB canonical). Keys are identifiers; values are plain JSON. */
  metadata: Type.Optional(Type.Record(Type.String({ pattern: KEY_PATTERN }), Type.Unknown(), { additionalProperties: false })),
}, { additionalProperties: false });

export type AuditRecord = Static<typeof AuditRecordSchema>;
export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };

export type AuditEntry = {
  v: typeof ENTRY_VERSION;
  service: string;
  /** ISO 8601 UTC, set by the library when record() is called. */
  time: string;
  actor: { type: AuditRecord['actor']['type']; id: string; display: string | null; sessionId: string | null };
  action: string;
  targets: Array<{ type: string; id: string }>;
  tenant: string | null;
  outcome: { result: 'success' | 'failure'; reason: string | null };
  origin: { ip: string | null; userAgent: string | null; certIdentity: string | null };
  requestId: string | null;
  metadata: { [key: string]: JsonValue };
};

const validator = Compile(AuditRecordSchema);
// Clearer words for the schema keywords whose default messages read oddly.
const SCHEMA_RULES: Record<string, string> = { boolean: 'is not an allowed field', const: 'is not an allowed value' };

function invalid(path: string, rule: string): never {
  throw auditError('audit_invalid', path, `audit entry invalid: ${path || 'entry'} ${rule}`);
}

function schemaPath(instancePath: string): string {
  return instancePath.split('/').slice(1)
    .map((part) => part.replaceAll('~1', '/').replaceAll('~0', '~'))
    .reduce<string>((path, part) => childPath(path, /^\d+$/.test(part) ? Number(part) : part), '');
}

// Copies metadata into plain JSON data: drops properties whose value is undefined (as JSON would),
// refuses anything jsonb would change or refuse (NUL, lone surrogates, non-finite numbers, class instances).
function copyJson(value: unknown, path: string, depth: number): JsonValue {
  if (value === null || typeof value === 'boolean') return value;
  if (typeof value === 'number') return Number.isFinite(value) ? value : invalid(path, 'must be a finite number');
  if (typeof value === 'string') {
    if (value.includes('\u0000') || !value.isWellFormed()) invalid(path, 'must be well-formed text without NUL');
    return value;
  }
  if (depth >= METADATA_MAX_DEPTH) invalid(path, `is nested deeper than ${METADATA_MAX_DEPTH} levels`);
  if (Array.isArray(value)) return value.map((item, i) => copyJson(item, childPath(path, i), depth + 1));
  if (typeof value === 'object' && Object.getPrototypeOf(value) === Object.prototype) {
    const entries: Array<[string, JsonValue]> = [];
    for (const [key, child] of Object.entries(value)) {
      if (!KEY_REGEX.test(key)) invalid(childPath(path, key), 'is not an allowed key name');
      if (child !== undefined) entries.push([key, copyJson(child, childPath(path, key), depth + 1)]);
    }
    return Object.fromEntries(entries);
  }
  return invalid(path, 'must be plain JSON data');
}

function checkText(values: Array<[string, string | undefined]>): void {
  for (const [path, text] of values) {
    if (text !== undefined && (text.includes('\u0000') || !text.isWellFormed())) invalid(path, 'must be well-formed text without NUL');
  }
}

/** Guards, validates and normalizes a record into the entry that will be stored and hashed. */
export function prepareEntry(given: unknown, service: string, now: Date): AuditEntry {
  // The client's User-Agent is cut or withheld, not refused: it is the client's text, not the service's.
  const input = withAuditableUserAgent(given);
  assertWritable(input);
  if (!validator.Check(input)) {
    const first = validator.Errors(input)[0];
    invalid(schemaPath(first?.instancePath ?? ''), SCHEMA_RULES[first?.keyword ?? ''] ?? first?.message ?? 'does not match the audit record schema');
  }
  const record = input;
  checkText([
    ['actor.id', record.actor.id], ['actor.display', record.actor.display], ['actor.sessionId', record.actor.sessionId],
    ['outcome.reason', record.outcome.reason], ['origin.userAgent', record.origin?.userAgent],
    ['origin.certIdentity', record.origin?.certIdentity], ['requestId', record.requestId],
    ...record.targets.map((t, i): [string, string] => [`targets[${i}].id`, t.id]),
  ]);
  const metadata = copyJson(record.metadata ?? {}, 'metadata', 0) as AuditEntry['metadata'];
  if (canonicalBytes(metadata).length > METADATA_MAX_BYTES) invalid('metadata', `is larger than ${METADATA_MAX_BYTES} bytes`);
  return {
    v: ENTRY_VERSION,
    service,
    time: now.toISOString(),
    actor: {
      type: record.actor.type,
      id: record.actor.id,
      display: record.actor.display ?? null,
      sessionId: record.actor.sessionId ?? null,
    },
    action: record.action,
    targets: record.targets.map((t) => ({ type: t.type, id: t.id })),
    tenant: record.tenant,
    outcome: { result: record.outcome.result, reason: record.outcome.reason ?? null },
    origin: {
      ip: record.origin?.ip ?? null,
      userAgent: record.origin?.userAgent ?? null,
      certIdentity: record.origin?.certIdentity ?? null,
    },
    requestId: record.requestId ?? null,
    metadata,
  };
}
