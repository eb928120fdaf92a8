import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/**', 'data/**', 'node_modules/**', 'dashboard/dist/**', 'coverage/**', '**/*.js', '**/*.mjs'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts'],
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/consistent-type-imports': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  {
    // Workflow code is replayed; anything non-deterministic or with I/O breaks replay.
    files: ['workflows/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              regex: '^(?!@temporalio/workflow$|@temporalio/common$|\\.{1,2}/|.*domain/).*',
              message: 'Workflow code may import only @temporalio/workflow, @temporalio/common and types.',
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
              message: 'The pipelines library runs in the workflow sandbox: pure imports only (jsonata, @noble/hashes).',
            },
          ],
        },
      ],
      'no-restricted-globals': ['error', 'process', 'setTimeout', 'setInterval', 'Buffer', 'require'],
    },
  },
);
