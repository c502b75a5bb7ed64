import reactHooks from 'eslint-plugin-react-hooks';
import globals from 'globals';
import {
  baseConfig,
  electronImportBan,
  importGraphConfig,
  restrictedImportPaths,
} from '../shared/eslint.base.js';

const root = new URL('..', import.meta.url).pathname;

export default [
  ...baseConfig(root),
  ...importGraphConfig(root),
  {
    files: ['**/*.ts', '**/*.tsx'],
    languageOptions: { globals: globals.browser },
    plugins: { 'react-hooks': reactHooks },
    rules: {
      ...reactHooks.configs.recommended.rules,
      'no-restricted-imports': [
        'error',
        {
          paths: [...restrictedImportPaths, electronImportBan],
          patterns: [
            {
              group: ['../main/*', '../../main/*', 'node:*'],
              message: 'The renderer reaches the core only through src/api.ts.',
            },
          ],
        },
      ],
      'no-restricted-properties': [
        'error',
        {
          object: 'window',
          property: 'nutSentinel',
          message: 'Use the API from src/api.ts (it picks the preload or the bridge).',
        },
      ],
    },
  },
  {
    files: ['src/api.ts'],
    rules: { 'no-restricted-properties': 'off' },
  },
  {
    // The build config runs in Node, not in the page.
    files: ['vite.config.ts'],
    languageOptions: { globals: globals.node },
    rules: { 'no-restricted-imports': ['error', { paths: restrictedImportPaths }] },
  },
];
