import {
  baseConfig,
  electronImportBan,
  importGraphConfig,
  ipcBan,
  restrictedImportPaths,
} from '../shared/eslint.base.js';
import { mainLayerZones } from './eslint.layers.js';

const root = new URL('..', import.meta.url).pathname;

export default [
  ...baseConfig(root),
  ...importGraphConfig(root, mainLayerZones()),
  {
    // Everything outside main/electron is the Electron-free core.
    files: ['**/*.ts'],
    ignores: ['electron/**'],
    rules: {
      'no-restricted-imports': ['error', { paths: [...restrictedImportPaths, electronImportBan] }],
    },
  },
  {
    files: ['electron/**/*.ts'],
    ignores: ['electron/ipc-registrar.ts', 'electron/preload.ts'],
    rules: { 'no-restricted-imports': ['error', { paths: [...restrictedImportPaths, ipcBan] }] },
  },
];
