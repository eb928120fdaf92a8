import js from '@eslint/js';
import tseslint from 'typescript-eslint';

/**
 * What workflow code (workflows/**) may import at run time. Workflow code is replayed in Temporal's sandbox, so
 * anything with I/O, Node built-ins or non-determinism breaks replay. Type-only imports are always allowed: they
 * vanish at compile time. test/lint/workflow-imports.test.ts resolves every import of every workflow file against
 * this list (and checks that each pure module only imports pure modules), so the list is the one source of truth.
 */
export const WORKFLOW_IMPORTS = {
  /** Packages a workflow file may import directly. */
  packages: ['@temporalio/workflow'],
  /** Repository modules that are pure: deterministic, no I/O, no Node built-ins, no clock or randomness. */
  pureModules: [
    'domain/constants.ts',
    'domain/cost-model.ts',
    'domain/handler-contract.ts',
    'domain/lambda-attempt.ts',
    'domain/lambda-report.ts',
    'domain/object-ref-marker.ts',
    'domain/operator-controls.ts',
    'domain/attempt-log.ts',
    'domain/placement-policy.ts',
    'domain/search-attributes.ts',
    // Data, not code: the one declaration of the search attributes' names and types.
    'domain/search-attributes.json',
    'domain/task-id.ts',
    'domain/task-model.ts',
    'domain/task-status.ts',
    'pipelines/*.ts',
  ],
  /** Exceptions to the patterns above. validate.ts runs asl-validator (ajv, `vm`): it belongs in the API. */
  impureModules: ['pipelines/validate.ts'],
  /** Packages that pure modules may use: deterministic libraries that bundle into the workflow sandbox. */
  purePackages: ['@temporalio/workflow', '@temporalio/common', 'jsonata', '@noble/hashes/*'],
};

const escape = (s) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
/** `domain/task-model.ts` → `(?:\.\./)+domain/task-model`; a `*.ts` pattern → any module of that folder but the exceptions. */
function relativeSpecifier(pattern) {
  const stem = pattern.replace(/\.ts$/, '');
  if (!stem.endsWith('/*')) return `(?:\\.\\./)+${escape(stem)}`;
  const folder = stem.slice(0, -2);
  const except = WORKFLOW_IMPORTS.impureModules
    .filter((m) => m.startsWith(`${folder}/`))
    .map((m) => escape(m.slice(folder.length + 1).replace(/\.ts$/, '')));
  const notExcept = except.length ? `(?!(?:${except.join('|')})$)` : '';
  return `(?:\\.\\./)+${escape(folder)}(?:/${notExcept}[A-Za-z0-9_.-]+|/index)?`;
}
const allowedWorkflowImport = [
  ...WORKFLOW_IMPORTS.packages.map(escape),
  // Other workflow files, which this rule checks in turn.
  '\\./[A-Za-z0-9_./-]+',
  ...WORKFLOW_IMPORTS.pureModules.map(relativeSpecifier),
].join('|');

export default tseslint.config(
  {
    ignores: [
      'dist/**',
      'data/**',
      'node_modules/**',
      'dashboard/dist/**',
      'coverage/**',
      '**/*.js',
      '**/*.mjs',
      // The launchers are JavaScript checked by tsc (scripts/tsconfig.json), and linted like the TypeScript.
      '!scripts/**/*.js',
      '!scripts/**/*.mjs',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts'],
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/consistent-type-imports': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      // Public APIs only: a package's lib/ internals change without notice between releases.
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              regex: '^@temporalio/[^/]+/lib(/|$)',
              message: "Import from the package's entry point; its lib/ internals are not public API.",
            },
          ],
        },
      ],
    },
  },
  {
    // The launchers (npm start, the balancer, the builds): CommonJS modules and one ES module, run by node as they are.
    files: ['scripts/**/*.js', 'scripts/**/*.mjs'],
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      // tsc (checkJs) knows node's globals and every module's names; ESLint's own check knows neither.
      'no-undef': 'off',
      // CommonJS: require is how these files import.
      '@typescript-eslint/no-require-imports': 'off',
    },
  },
  {
    // Workflow code is replayed; anything non-deterministic or with I/O breaks replay.
    files: ['workflows/**/*.ts'],
    rules: {
      '@typescript-eslint/no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              regex: `^(?!(?:${allowedWorkflowImport})$).*`,
              allowTypeImports: true,
              message:
                'Workflow code may import only @temporalio/workflow, the pure modules named in WORKFLOW_IMPORTS ' +
                '(eslint.config.mjs), other workflow files, and types (import type).',
            },
          ],
        },
      ],
      'no-restricted-globals': ['error', 'process', 'setTimeout', 'setInterval', 'Buffer', 'require'],
    },
  },
  {
    // The ASL library runs inside workflows too (validate.ts alone is for the API process).
    files: ['pipelines/**/*.ts'],
    ignores: ['pipelines/validate.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              regex: '^(?!jsonata$|@noble/hashes(/.*)?$|\\.{1,2}/|.*domain/).*',
              message:
                'The pipelines library runs in the workflow sandbox: pure imports only (jsonata, @noble/hashes).',
            },
          ],
        },
      ],
      'no-restricted-globals': ['error', 'process', 'setTimeout', 'setInterval', 'Buffer', 'require'],
    },
  },
);
