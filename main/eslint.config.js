import { baseConfig, electronImportBan, ipcBan, restrictedImportPaths } from '../shared/eslint.base.js';


export default [
  ...baseConfig(new URL('..', import.meta.url).pathname),
  {
    // Everything outside main/electron is the Electron-free core.
    files: ['**/*.ts'],
    ignores: ['electron/**'],
    rules: { 'no-restricted-imports': ['error', { paths: [...restrictedImportPaths, electronImportBan] }] },
  },
  {
    files: ['electron/**/*.ts'],
    ignores: ['electron/ipc-registrar.ts', 'electron/preload.ts'],
    rules: { 'no-restricted-imports': ['error', { paths: [...restrictedImportPaths, ipcBan] }] },
  },
];
