// One lint policy for every folder; each folder's eslint.config.js adds only what is its own.
// ESLint looks a config up from each linted file's folder, so tool configs stay with their code.
import js from '@eslint/js';
import globals from 'globals';
import tseslint from 'typescript-eslint';

const shellFree = {
  name: 'child_process',
  importNames: ['exec', 'execSync'],
  message: 'Hooks and helpers run with execFile/spawn (no shell): shell strings are an injection risk.',
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
    { ignores: ['**/out/**', '**/dist/**', '**/node_modules/**', '**/results/**', '**/screenshots/**'] },
    js.configs.recommended,
    ...tseslint.configs.recommendedTypeChecked,
    {
      languageOptions: {
        parserOptions: { projectService: true, tsconfigRootDir },
      },
      rules: {
        '@typescript-eslint/no-floating-promises': 'error',
        '@typescript-eslint/no-misused-promises': ['error', { checksVoidReturn: { arguments: false, attributes: false } }],
        '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
        '@typescript-eslint/consistent-type-imports': 'error',
        '@typescript-eslint/restrict-template-expressions': ['error', { allowNumber: true, allowBoolean: true }],
        '@typescript-eslint/only-throw-error': 'error',
        'no-restricted-imports': ['error', { paths: [shellFree, nodeShellFree] }],
        eqeqeq: ['error', 'smart'],
      },
    },
    {
      files: ['**/*.js', '**/*.mjs'],
      ...tseslint.configs.disableTypeChecked,
      languageOptions: { ...tseslint.configs.disableTypeChecked.languageOptions, globals: globals.node },
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
