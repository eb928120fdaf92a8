// Workflow code imports only what replays deterministically: @temporalio/workflow, the pure modules named in
// WORKFLOW_IMPORTS (eslint.config.mjs), other workflow files, and types. ESLint's pattern is a quick check on the
// import text; this test parses every import of every workflow file, resolves relative ones to the file they name,
// and checks the file against the list, and then checks that every pure module imports only pure modules.
// It also holds the whole repository to public SDK APIs: no import of `@temporalio/<package>/lib/...`.
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { builtinModules } from 'node:module';
import path from 'node:path';
import ts from 'typescript';

const ROOT = path.resolve(__dirname, '..', '..');

interface AllowList {
  packages: string[];
  pureModules: string[];
  impureModules: string[];
  purePackages: string[];
}

/** The list as eslint.config.mjs declares it (an ES module, so read by a node of its own). */
function loadAllowList(): AllowList {
  const script =
    "const m = await import('./eslint.config.mjs'); process.stdout.write(JSON.stringify(m.WORKFLOW_IMPORTS));";
  return JSON.parse(
    execFileSync(process.execPath, ['--input-type=module', '-e', script], { cwd: ROOT, encoding: 'utf8' }),
  );
}

export interface ImportRef {
  specifier: string;
  typeOnly: boolean;
  line: number;
}

/** Every module a source file names: import and export-from declarations, import-equals, require() and import(). */
export function importsOf(fileName: string, source: string): ImportRef[] {
  const file = ts.createSourceFile(fileName, source, ts.ScriptTarget.ES2022, true, ts.ScriptKind.TS);
  const refs: ImportRef[] = [];
  const add = (node: ts.Node, specifier: ts.Expression | undefined, typeOnly: boolean) => {
    if (!specifier || !ts.isStringLiteralLike(specifier)) return;
    refs.push({
      specifier: specifier.text,
      typeOnly,
      line: file.getLineAndCharacterOfPosition(node.getStart()).line + 1,
    });
  };
  const visit = (node: ts.Node) => {
    if (ts.isImportDeclaration(node)) {
      const clause = node.importClause;
      // `import { type A, type B } from 'x'` is erased like `import type`; a bare `import 'x'` runs x.
      const namedAllTypes =
        !!clause &&
        !clause.name &&
        !!clause.namedBindings &&
        ts.isNamedImports(clause.namedBindings) &&
        clause.namedBindings.elements.length > 0 &&
        clause.namedBindings.elements.every((e) => e.isTypeOnly);
      add(node, node.moduleSpecifier, !!clause && (clause.isTypeOnly || namedAllTypes));
    } else if (ts.isExportDeclaration(node)) {
      const allTypes =
        node.isTypeOnly ||
        (!!node.exportClause &&
          ts.isNamedExports(node.exportClause) &&
          node.exportClause.elements.length > 0 &&
          node.exportClause.elements.every((e) => e.isTypeOnly));
      add(node, node.moduleSpecifier, allTypes);
    } else if (ts.isImportEqualsDeclaration(node) && ts.isExternalModuleReference(node.moduleReference)) {
      add(node, node.moduleReference.expression, node.isTypeOnly);
    } else if (ts.isCallExpression(node)) {
      const callee = node.expression;
      const isRequire = ts.isIdentifier(callee) && callee.text === 'require';
      if (isRequire || callee.kind === ts.SyntaxKind.ImportKeyword) add(node, node.arguments[0], false);
    } else if (ts.isImportTypeNode(node)) {
      // `typeof import('x')` in a type position: erased.
      const arg = node.argument;
      if (ts.isLiteralTypeNode(arg)) add(node, arg.literal as ts.Expression, true);
    }
    ts.forEachChild(node, visit);
  };
  visit(file);
  return refs;
}

/** The repository file a relative specifier names, as TypeScript resolves it here (x.ts, then x/index.ts). */
export function resolveRelative(fromFile: string, specifier: string): string | undefined {
  const base = path.resolve(path.dirname(fromFile), specifier);
  for (const candidate of [base, `${base}.ts`, path.join(base, 'index.ts')]) {
    if (existsSync(candidate) && statSync(candidate).isFile())
      return path.relative(ROOT, candidate).split(path.sep).join('/');
  }
  return undefined;
}

const matches = (pattern: string, file: string) =>
  pattern.endsWith('/*.ts')
    ? path.posix.dirname(file) === pattern.slice(0, -'/*.ts'.length) && file.endsWith('.ts')
    : pattern === file;

const packageMatches = (pattern: string, specifier: string) =>
  pattern.endsWith('/*') ? specifier.startsWith(pattern.slice(0, -1)) : pattern === specifier;

const isBuiltin = (specifier: string) =>
  specifier.startsWith('node:') || builtinModules.includes(specifier.split('/')[0] ?? specifier);

export interface Violation {
  file: string;
  line: number;
  specifier: string;
  why: string;
}

/** Checks one workflow file's imports against the list; `source` defaults to the file on disk. */
export function checkWorkflowFile(allow: AllowList, file: string, source?: string): Violation[] {
  const absolute = path.join(ROOT, file);
  const text = source ?? readFileSync(absolute, 'utf8');
  const problems: Violation[] = [];
  for (const ref of importsOf(file, text)) {
    if (ref.typeOnly) continue;
    const at = { file, line: ref.line, specifier: ref.specifier };
    if (!ref.specifier.startsWith('.')) {
      if (!allow.packages.includes(ref.specifier)) {
        problems.push({ ...at, why: `the package is not one of ${allow.packages.join(', ')}` });
      }
      continue;
    }
    const target = resolveRelative(absolute, ref.specifier);
    if (!target) problems.push({ ...at, why: 'it resolves to no file' });
    else if (target.startsWith('workflows/')) continue;
    else if (!isPure(allow, target)) problems.push({ ...at, why: `${target} is not a named pure module` });
  }
  return problems;
}

function isPure(allow: AllowList, file: string): boolean {
  return allow.pureModules.some((p) => matches(p, file)) && !allow.impureModules.some((p) => matches(p, file));
}

/** A pure module may import only pure modules and pure packages, never a Node built-in. */
export function checkPureModule(allow: AllowList, file: string): Violation[] {
  const absolute = path.join(ROOT, file);
  const problems: Violation[] = [];
  for (const ref of importsOf(file, readFileSync(absolute, 'utf8'))) {
    if (ref.typeOnly) continue;
    const at = { file, line: ref.line, specifier: ref.specifier };
    if (!ref.specifier.startsWith('.')) {
      if (isBuiltin(ref.specifier)) problems.push({ ...at, why: 'a pure module uses no Node built-in' });
      else if (!allow.purePackages.some((p) => packageMatches(p, ref.specifier))) {
        problems.push({ ...at, why: `the package is not one of ${allow.purePackages.join(', ')}` });
      }
      continue;
    }
    const target = resolveRelative(absolute, ref.specifier);
    if (!target || !isPure(allow, target)) {
      problems.push({ ...at, why: `${target ?? 'nothing'} is not a named pure module` });
    }
  }
  return problems;
}

function filesUnder(dir: string, accept: (name: string) => boolean): string[] {
  const out: string[] = [];
  const walk = (current: string) => {
    for (const entry of readdirSync(current, { withFileTypes: true })) {
      if (['node_modules', 'dist', 'data', '.git', '.test-stack', 'coverage'].includes(entry.name)) continue;
      const full = path.join(current, entry.name);
      if (entry.isDirectory()) walk(full);
      else if (accept(entry.name)) out.push(path.relative(ROOT, full).split(path.sep).join('/'));
    }
  };
  walk(path.join(ROOT, dir));
  return out.sort();
}

describe('workflow imports', () => {
  const allow = loadAllowList();
  const workflowFiles = filesUnder('workflows', (n) => n.endsWith('.ts'));

  test('the list names the workflow package and existing pure modules', () => {
    expect(allow.packages).toEqual(['@temporalio/workflow']);
    for (const pattern of allow.pureModules.filter((p) => !p.includes('*'))) {
      expect({ pattern, exists: existsSync(path.join(ROOT, pattern)) }).toEqual({ pattern, exists: true });
    }
    expect(workflowFiles.length).toBeGreaterThan(0);
  });

  test('every workflow file imports only @temporalio/workflow, pure modules, workflow files and types', () => {
    const problems = workflowFiles.flatMap((file) => checkWorkflowFile(allow, file));
    expect(problems).toEqual([]);
  });

  test('every pure module a workflow can reach imports only pure modules and packages', () => {
    const pure = filesUnder('.', (n) => n.endsWith('.ts')).filter((f) => isPure(allow, f));
    expect(pure).toEqual(expect.arrayContaining(['domain/task-model.ts', 'pipelines/index.ts']));
    const problems = pure.flatMap((file) => checkPureModule(allow, file));
    expect(problems).toEqual([]);
  });

  test('the check catches what it must: a built-in, an impure module, another package, a side-effect import', () => {
    const source = [
      "import { readFileSync } from 'node:fs';",
      "import { validateDefinition } from '../pipelines/validate';",
      "import { loadConfig } from '../domain/config';",
      "import '../activities';",
      "import { Client } from '@temporalio/client';",
      "export { createActivities } from '../activities';",
      "const lazy = () => import('../live/task-projection');",
      // Allowed: types of anything, the workflow package, pure modules, other workflow files.
      "import type { Client as C } from '@temporalio/client';",
      "import { type TaskActivities } from '../activities/types';",
      "import { proxyActivities } from '@temporalio/workflow';",
      "import { jsonText } from '../pipelines/json';",
      "import { evaluateIntrinsic } from '../pipelines';",
      "import { TASK_STATUS_KEY } from '../domain/search-attributes';",
      "import { statusQuery } from './signals';",
      'type T = typeof import("../api/app");',
    ].join('\n');
    const problems = checkWorkflowFile(allow, 'workflows/example.ts', source);
    expect(problems.map((p) => [p.line, p.specifier])).toEqual([
      [1, 'node:fs'],
      [2, '../pipelines/validate'],
      [3, '../domain/config'],
      [4, '../activities'],
      [5, '@temporalio/client'],
      [6, '../activities'],
      [7, '../live/task-projection'],
    ]);
  });
});

describe('public SDK APIs only', () => {
  test('no source file imports @temporalio/<package>/lib/...', () => {
    const sources = filesUnder('.', (n) => /\.(ts|js|mjs|cjs)$/.test(n) && !n.endsWith('.d.ts'));
    const offenders = sources.flatMap((file) => {
      let refs: ImportRef[];
      try {
        refs = importsOf(file, readFileSync(path.join(ROOT, file), 'utf8'));
      } catch {
        return [];
      }
      return refs
        .filter((r) => /^@temporalio\/[^/]+\/lib(\/|$)/.test(r.specifier))
        .map((r) => `${file}:${r.line} ${r.specifier}`);
    });
    expect(offenders).toEqual([]);
  });
});
