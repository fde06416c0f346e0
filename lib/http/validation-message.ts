// Turns ajv validation errors into one short, clear sentence: "<field> <problem>".

type ValidationIssue = {
  readonly instancePath?: string;
  readonly keyword?: string;
  readonly message?: string;
  readonly params?: Record<string, unknown>;
};

const MAX_FIELD = 64;

export function validationMessage(issues: readonly ValidationIssue[], context: string | undefined): string {
  const issue = issues[0];
  if (issue === undefined) return 'request is invalid';
  const params = issue.params ?? {};
  const segments = pointerSegments(issue.instancePath ?? '');
  switch (issue.keyword) {
    case 'required':
      return `${field([...segments, String(params.missingProperty)], context)} is required`;
    case 'additionalProperties':
      return `${field([...segments, String(params.additionalProperty)], context)} is not allowed`;
    case 'enum':
      return `${field(segments, context)} must be one of ${formatAllowed(params.allowedValues)}`;
    default:
      return `${field(segments, context)} ${issue.message ?? 'is invalid'}`;
  }
}

function pointerSegments(pointer: string): string[] {
  if (pointer === '') return [];
  return pointer
    .slice(1)
    .split('/')
    .map((s) => s.replaceAll('~1', '/').replaceAll('~0', '~'));
}

function field(segments: string[], context: string | undefined): string {
  if (segments.length === 0) return context ?? 'request';
  let name = '';
  for (const segment of segments) name += /^\d+$/.test(segment) ? `[${segment}]` : name === '' ? segment : `.${segment}`;
  // Field names can come from the client (additionalProperties); keep them short and printable.
  const printable = name.replace(/[^\x20-\x7e]/g, '?');
  return printable.length > MAX_FIELD ? `${printable.slice(0, MAX_FIELD)}…` : printable;
}

function formatAllowed(values: unknown): string {
  if (!Array.isArray(values)) return 'the allowed values';
  const shown = values.slice(0, 10).map((v) => JSON.stringify(v));
  return shown.join(', ') + (values.length > 10 ? ', …' : '');
}
