// The CDE import boundary (ARCHITECTURE.md, "Code layout and the CDE import boundary"), the CDE's
// third-party inventory and the file size budgets, as data, plus the pure checker that applies them.
// test/architecture.test.ts reads the files and runs the checker; keeping the checker free of I/O lets
// the self-checks feed it in-memory fixtures.
import { isBuiltin } from 'node:module';
import { posix } from 'node:path';
import ts from 'typescript';

export const DOC = 'ARCHITECTURE.md, "Code layout and the CDE import boundary"';

// Who may import whom. "Itself" is the service's own folder. Third-party packages are limited only in
// the CDE (vault, kms) and in lib/contracts; node: builtins are allowed everywhere except where noted.
//   services/vault/**, services/kms/**  -> itself, lib/**, node: builtins, CDE_PACKAGES (+ CDE_TEST_PACKAGES in tests)
//   services/api/**, services/dashboard/** -> itself, lib/**  (packages are not restricted: not CDE)
//   lib/**                              -> lib/** only, never services/, bin/ or test/
//   lib/contracts/**                    -> lib/contracts/**, node: builtins, typebox (shapes shared across the boundary)
//   from outside lib/<x>/               -> lib/<x>/index.ts only (test code may also use lib/<x>/testing.ts)
//   bin/**, test/**                     -> anything (not scanned)
export const SERVICES = {
  vault: { cde: true },
  kms: { cde: true },
  api: { cde: false },
  dashboard: { cde: false },
} as const;
export type ServiceName = keyof typeof SERVICES;

/**
 * Third-party packages allowed in the CDE: services/vault and services/kms, and every lib/ file they load.
 * This list IS the CDE's inventory of third-party software components (PCI DSS v4.0 req. 6.3.2): adding a
 * package here is a reviewed change, with the reason it is needed in the CDE.
 */
export const CDE_PACKAGES: Readonly<Record<string, string>> = {
  fastify: 'HTTPS server for the public and internal (mTLS) listeners',
  '@fastify/helmet': 'security response headers',
  pino: 'structured logging (through #lib/log, which scrubs card data)',
  typebox: 'request and response schemas, shared contracts',
  kysely: 'typed SQL query builder',
  pg: 'PostgreSQL driver',
  undici: 'HTTP client for internal mTLS calls',
  '@peculiar/x509': 'X.509 certificates of the internal PKI',
  'reflect-metadata': 'Reflect metadata API that @peculiar/x509 (through tsyringe) needs loaded first',
  'graphene-pk11': 'PKCS#11 access to the HSM (KMS)',
  pkcs11js: 'native PKCS#11 binding under graphene-pk11',
  'shamir-secret-sharing': 'Shamir split of the KMS unseal key over GF(2^8) (independently audited, no dependencies)',
};

/** Packages allowed in CDE test code only (never loaded by a running vault or kms). */
export const CDE_TEST_PACKAGES: Readonly<Record<string, string>> = {
  'fast-check': 'property-based tests',
  'playwright-core': 'drives Debian Chromium for the hosted card fields browser test (never loaded by the vault)',
  omise: 'the official Opn Payments client, to prove the tokens API works with it unmodified',
};

export const CONTRACTS_PACKAGES: readonly string[] = ['typebox'];

/** Folders of the table: each one that exists must yield at least one scanned file. */
export const TABLE_FOLDERS = ['services/vault', 'services/kms', 'services/api', 'services/dashboard', 'lib'] as const;

/** File extensions the boundary scan reads (a .js file in the vault must not be a way around it). */
export const SCANNED_EXTENSIONS = ['.ts', '.mts', '.cts', '.js', '.mjs', '.cjs'] as const;

export const SIZE_BUDGET = { source: 600, test: 1000 } as const;
/** Named exceptions to the size budget (generated files only), with the reason. Keep it short. */
export const SIZE_EXCEPTIONS: Readonly<Record<string, { max: number; why: string }>> = {};

export type Source = { path: string; text: string };
export type Violation = { file: string; line: number; rule: string; message: string };
export type ImportsField = Record<string, unknown>;

type Ref = { specifier: string; line: number } | { specifier: null; line: number; form: string };
type Target =
  | { kind: 'builtin' }
  | { kind: 'package'; name: string }
  | { kind: 'file'; path: string }
  | { kind: 'unresolved'; reason: string };

export const isTestFile = (path: string) => /\.test\.[cm]?[jt]s$/.test(path);
/** Test code: test files and test harnesses (`testing.ts`), never loaded by a running service. */
export const isTestCode = (path: string) => isTestFile(path) || /(^|\/)([a-z0-9-]+\.)?testing\.[cm]?[jt]s$/.test(path);

function lineAt(text: string, pos: number): number {
  let line = 1;
  for (let i = 0; i < pos && i < text.length; i++) if (text.charCodeAt(i) === 10) line++;
  return line;
}

/**
 * Every module reference in a file. ts.preProcessFile lists static imports, `export … from`, type-only
 * imports, `import x = require()`, `import('literal')`, `require('literal')` and `import('x')` types. It
 * skips calls whose argument is not a literal, so those are found by walking the syntax tree.
 */
export function listReferences(path: string, text: string): Ref[] {
  const info = ts.preProcessFile(text, true, true);
  const refs: Ref[] = [...info.importedFiles, ...info.referencedFiles].map((f) => ({
    specifier: f.fileName,
    line: lineAt(text, f.pos),
  }));
  const kind = /\.[cm]?js$/.test(path) ? ts.ScriptKind.JS : ts.ScriptKind.TS;
  const file = ts.createSourceFile(path, text, ts.ScriptTarget.Latest, false, kind);
  const visit = (node: ts.Node): void => {
    if (ts.isCallExpression(node)) {
      const callee = node.expression;
      const form = callee.kind === ts.SyntaxKind.ImportKeyword ? 'import()'
        : ts.isIdentifier(callee) && callee.text === 'require' ? 'require()' : null;
      const arg = node.arguments[0];
      if (form && !(arg && ts.isStringLiteralLike(arg))) {
        refs.push({ specifier: null, form, line: lineAt(text, node.getStart(file)) });
      }
    }
    ts.forEachChild(node, visit);
  };
  visit(file);
  return refs;
}

function resolveSubpath(specifier: string, imports: ImportsField): string | null {
  const pick = (target: unknown): string | null => {
    if (typeof target === 'string') return target;
    if (target && typeof target === 'object') {
      const t = target as Record<string, unknown>;
      return pick(t.node ?? t.import ?? t.default);
    }
    return null;
  };
  for (const [key, target] of Object.entries(imports)) {
    const star = key.indexOf('*');
    if (star < 0) {
      if (key === specifier) return pick(target);
      continue;
    }
    const [head, tail] = [key.slice(0, star), key.slice(star + 1)];
    if (specifier.startsWith(head) && specifier.endsWith(tail) && specifier.length >= key.length - 1) {
      const middle = specifier.slice(head.length, specifier.length - tail.length);
      return pick(target)?.replaceAll('*', middle) ?? null;
    }
  }
  return null;
}

export function resolveReference(from: string, specifier: string, imports: ImportsField): Target {
  const repoPath = (p: string): Target => {
    const normal = posix.normalize(p);
    return normal.startsWith('../') || normal === '..'
      ? { kind: 'unresolved', reason: `'${specifier}' points outside the repository` }
      : { kind: 'file', path: normal };
  };
  if (specifier.startsWith('./') || specifier.startsWith('../')) {
    return repoPath(posix.join(posix.dirname(from), specifier));
  }
  if (specifier.startsWith('#')) {
    const target = resolveSubpath(specifier, imports);
    return target?.startsWith('./')
      ? repoPath(target)
      : { kind: 'unresolved', reason: `'${specifier}' is not mapped by package.json "imports"` };
  }
  if (specifier.startsWith('node:') || isBuiltin(specifier)) return { kind: 'builtin' };
  if (specifier.startsWith('/') || /^[a-z][a-z0-9+.-]*:/i.test(specifier)) {
    return { kind: 'unresolved', reason: `'${specifier}' is an absolute path or URL` };
  }
  const parts = specifier.split('/');
  return { kind: 'package', name: specifier.startsWith('@') ? parts.slice(0, 2).join('/') : (parts[0] ?? specifier) };
}

type Zone =
  | { kind: 'service'; name: ServiceName; root: string; cde: boolean }
  | { kind: 'unknown-service'; root: string }
  | { kind: 'lib'; root: string }
  | { kind: 'other' };

export function zoneOf(path: string): Zone {
  const [top, sub] = path.split('/');
  if (top === 'services') {
    const name = sub as ServiceName;
    return Object.hasOwn(SERVICES, name) && path.split('/').length > 2
      ? { kind: 'service', name, root: `services/${name}/`, cde: SERVICES[name].cde }
      : { kind: 'unknown-service', root: `services/${sub ?? ''}` };
  }
  if (top === 'lib') return { kind: 'lib', root: `lib/${sub ?? ''}/` };
  return { kind: 'other' };
}

/** The public entry of lib/<x> for an importer outside it: index.ts, and testing.ts for test code. */
function libEntryViolation(importer: string, target: string): string | null {
  const [top, lib, ...rest] = target.split('/');
  if (top !== 'lib' || lib === undefined || importer.startsWith(`lib/${lib}/`)) return null;
  const entry = rest.join('/');
  if (entry === 'index.ts' || (entry === 'testing.ts' && isTestCode(importer))) return null;
  return `'${target}' is inside lib/${lib}/; from outside it, import only lib/${lib}/index.ts`;
}

function packageAllowedInCde(name: string, importer: string): boolean {
  return Object.hasOwn(CDE_PACKAGES, name) || (isTestCode(importer) && Object.hasOwn(CDE_TEST_PACKAGES, name));
}

/** Checks the given files (repo-relative paths) against the rule table. Pure: no file-system access. */
export function checkBoundaries(files: readonly Source[], imports: ImportsField): Violation[] {
  const violations: Violation[] = [];
  const byPath = new Map(files.map((f) => [f.path, f]));
  const resolved = new Map<string, { target: Target; line: number; specifier: string }[]>();
  const add = (file: string, line: number, rule: string, message: string) =>
    violations.push({ file, line, rule, message: `${message} (${DOC})` });

  for (const { path, text } of [...files].sort((a, b) => a.path.localeCompare(b.path))) {
    const zone = zoneOf(path);
    const cdeLike = (zone.kind === 'service' && zone.cde) || zone.kind === 'lib';
    const contracts = path.startsWith('lib/contracts/');
    const list: { target: Target; line: number; specifier: string }[] = [];
    resolved.set(path, list);
    if (zone.kind === 'unknown-service') {
      add(path, 1, 'unknown-service', `'${zone.root}' is not a service of the rule table; add it to test/architecture-rules.ts and ARCHITECTURE.md`);
    }
    for (const ref of listReferences(path, text)) {
      if (ref.specifier === null) {
        if (cdeLike) add(path, ref.line, 'cde-dynamic', `non-literal ${ref.form} in CDE code: the boundary cannot be checked; use a literal specifier`);
        continue;
      }
      const target = resolveReference(path, ref.specifier, imports);
      list.push({ target, line: ref.line, specifier: ref.specifier });
      if (target.kind === 'unresolved') {
        add(path, ref.line, 'unresolved', target.reason);
      } else if (target.kind === 'file') {
        const t = target.path;
        if (zone.kind === 'service' && !t.startsWith(zone.root) && !t.startsWith('lib/')) {
          add(path, ref.line, zone.cde ? 'cde-first-party' : 'service-first-party',
            `services/${zone.name} may import only itself and lib/**, not '${t}'`);
        } else if (zone.kind === 'lib' && !t.startsWith('lib/')) {
          add(path, ref.line, 'lib-first-party', `lib/** may import only lib/**, not '${t}'`);
        } else if (contracts && !t.startsWith('lib/contracts/')) {
          add(path, ref.line, 'contracts-imports', `lib/contracts may import only itself, node: builtins and typebox, not '${t}'`);
        } else {
          const entry = libEntryViolation(path, t);
          if (entry) add(path, ref.line, 'lib-entry', entry);
        }
      } else if (target.kind === 'package') {
        if (zone.kind === 'service' && zone.cde && !packageAllowedInCde(target.name, path)) {
          add(path, ref.line, 'cde-package', `package '${target.name}' is not on the CDE allow-list (CDE_PACKAGES in test/architecture-rules.ts, PCI DSS 6.3.2 inventory)`);
        } else if (contracts && !CONTRACTS_PACKAGES.includes(target.name)) {
          add(path, ref.line, 'contracts-imports', `lib/contracts may import only itself, node: builtins and typebox, not '${target.name}'`);
        }
      }
    }
  }

  // Packages that reach a running vault or kms through lib/: the inventory must include them too.
  const reported = new Set<string>();
  for (const file of [...resolved.keys()].sort()) {
    const zone = zoneOf(file);
    if (zone.kind !== 'service' || !zone.cde || isTestCode(file)) continue;
    const seen = new Set<string>();
    const queue: { path: string; chain: string[]; originLine: number }[] = [];
    const follow = (from: string, chain: string[], originLine: number | null) => {
      for (const { target, line } of resolved.get(from) ?? []) {
        if (target.kind === 'file' && target.path.startsWith('lib/') && byPath.has(target.path) && !seen.has(target.path)) {
          seen.add(target.path);
          queue.push({ path: target.path, chain: [...chain, target.path], originLine: originLine ?? line });
        }
      }
    };
    follow(file, [], null);
    for (let item = queue.shift(); item; item = queue.shift()) {
      for (const { target, line } of resolved.get(item.path) ?? []) {
        if (target.kind !== 'package' || packageAllowedInCde(target.name, file)) continue;
        const key = `${zone.name}:${target.name}`;
        if (reported.has(key)) continue;
        reported.add(key);
        add(file, item.originLine, 'cde-package',
          `package '${target.name}' reaches services/${zone.name} through ${item.chain.join(' -> ')} (line ${line}) ` +
          'and is not on the CDE allow-list (CDE_PACKAGES in test/architecture-rules.ts, PCI DSS 6.3.2 inventory); ' +
          'add it there with a reason, or keep it out of what the CDE loads');
      }
      follow(item.path, item.chain, item.originLine);
    }
  }
  return violations;
}

export function lineCount(text: string): number {
  if (text.length === 0) return 0;
  return text.split('\n').length - (text.endsWith('\n') ? 1 : 0);
}

/** Size budget violations for repo-relative .ts files. */
export function checkSizes(files: readonly Source[]): string[] {
  const problems: string[] = [];
  for (const { path, text } of files) {
    const lines = lineCount(text);
    const budget = isTestFile(path) ? SIZE_BUDGET.test : SIZE_BUDGET.source;
    const exception = Object.hasOwn(SIZE_EXCEPTIONS, path) ? SIZE_EXCEPTIONS[path] : undefined;
    const max = exception?.max ?? budget;
    if (lines > max) {
      problems.push(`${path}: ${lines} lines, over the ${max}-line ${exception ? 'exception' : isTestFile(path) ? 'test budget (split it by the property it defends)' : 'source budget (split it by responsibility)'}`);
    }
  }
  return problems;
}
