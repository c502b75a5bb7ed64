// One lint policy for every folder; each folder's eslint.config.js adds only what is its own.
// ESLint looks a config up from each linted file's folder, so tool configs stay with their code.
import js from '@eslint/js';
import importX, { createNodeResolver } from 'eslint-plugin-import-x';
import globals from 'globals';
import tseslint from 'typescript-eslint';

const shellFree = {
  name: 'child_process',
  importNames: ['exec', 'execSync'],
  message:
    'Hooks and helpers run with execFile/spawn (no shell): shell strings are an injection risk.',
};
const nodeShellFree = { ...shellFree, name: 'node:child_process' };

export const electronImportBan = {
  name: 'electron',
  message: 'The core must run under plain Node: only main/electron/ may import electron.',
};

export const ipcBan = {
  name: 'electron',
  importNames: ['ipcMain', 'ipcRenderer'],
  message: 'Raw IPC lives only in main/electron/ipc-registrar.ts and main/electron/preload.ts.',
};

/** @param {string} tsconfigRootDir */
export function baseConfig(tsconfigRootDir) {
  return tseslint.config(
    {
      ignores: [
        '**/out/**',
        '**/dist/**',
        '**/node_modules/**',
        '**/results/**',
        '**/screenshots/**',
      ],
    },
    js.configs.recommended,
    ...tseslint.configs.recommendedTypeChecked,
    {
      languageOptions: {
        parserOptions: { projectService: true, tsconfigRootDir },
      },
      rules: {
        '@typescript-eslint/no-floating-promises': 'error',
        '@typescript-eslint/no-misused-promises': [
          'error',
          { checksVoidReturn: { arguments: false, attributes: false } },
        ],
        '@typescript-eslint/no-unused-vars': [
          'error',
          { argsIgnorePattern: '^_', varsIgnorePattern: '^_' },
        ],
        '@typescript-eslint/consistent-type-imports': 'error',
        '@typescript-eslint/restrict-template-expressions': [
          'error',
          { allowNumber: true, allowBoolean: true },
        ],
        '@typescript-eslint/only-throw-error': 'error',
        'no-restricted-imports': ['error', { paths: [shellFree, nodeShellFree] }],
        'no-restricted-syntax': [
          'error',
          {
            selector: "ImportDeclaration[source.value='zod'] > ImportSpecifier[imported.name='z']",
            message:
              "Use `import * as z from 'zod'`: bundlers drop the parts of zod a namespace import does not use, but `{ z }` keeps all of it (≈ 380 KiB more in the agent's bundle, ≈ 3 MB more RSS).",
          },
        ],
        eqeqeq: ['error', 'smart'],
      },
    },
    {
      files: ['**/*.js', '**/*.mjs'],
      ...tseslint.configs.disableTypeChecked,
      languageOptions: {
        ...tseslint.configs.disableTypeChecked.languageOptions,
        globals: globals.node,
      },
    },
    {
      // Tests may use loose typing for fixtures and non-null assertions on results they just checked.
      files: ['**/*.test.ts', '**/*.spec.ts', '**/testing/**/*.ts', '**/bench/**/*.ts'],
      rules: {
        '@typescript-eslint/no-non-null-assertion': 'off',
        '@typescript-eslint/no-unsafe-assignment': 'off',
        '@typescript-eslint/no-unsafe-member-access': 'off',
      },
    },
  );
}

export const restrictedImportPaths = [shellFree, nodeShellFree];

/** Test code: test files, testing/ helper folders, fixtures and benchmarks. Everything else is product code. */
export const TEST_CODE = [
  '**/*.test.ts',
  '**/*.test.tsx',
  '**/*.spec.ts',
  '**/*.e2e.ts',
  '**/*.dist-test.ts',
  '**/testing/**',
  '**/fixtures/**',
  '**/bench/**',
];

export const testHelperZone = {
  target: '**/*',
  from: ['**/testing/**'],
  message:
    'Product code never imports test helpers (testing/ folders): move what it needs into product code, and let the tests import it from there.',
};

/**
 * The import graph rules: no import cycles anywhere, and for product code (not {@link TEST_CODE})
 * no test helpers plus the given layering zones (`import-x/no-restricted-paths`, paths relative to
 * `rootDir`, the repository root). main/eslint.layers.js builds main/'s zones.
 * @param {string} rootDir
 * @param {{ target: string, from: string[], message: string }[]} zones
 */
export function importGraphConfig(rootDir, zones = []) {
  return [
    {
      files: ['**/*.ts', '**/*.tsx'],
      plugins: { 'import-x': importX },
      settings: {
        'import-x/resolver-next': [
          createNodeResolver({ extensions: ['.ts', '.tsx', '.js', '.mjs', '.json'] }),
        ],
        // Which files import-x reads to follow imports (its defaults are JavaScript only).
        'import-x/extensions': ['.ts', '.tsx', '.js', '.mjs'],
        'import-x/parsers': { '@typescript-eslint/parser': ['.ts', '.tsx'] },
      },
      rules: { 'import-x/no-cycle': ['error', { ignoreExternal: true }] },
    },
    {
      files: ['**/*.ts', '**/*.tsx'],
      ignores: TEST_CODE,
      rules: {
        'import-x/no-restricted-paths': [
          'error',
          { basePath: rootDir, zones: [testHelperZone, ...zones] },
        ],
      },
    },
  ];
}
