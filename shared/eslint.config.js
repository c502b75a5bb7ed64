import {
  baseConfig,
  electronImportBan,
  importGraphConfig,
  restrictedImportPaths,
} from './eslint.base.js';

const root = new URL('..', import.meta.url).pathname;

export default [
  ...baseConfig(root),
  ...importGraphConfig(root),
  {
    files: ['**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: [...restrictedImportPaths, electronImportBan],
          patterns: [
            {
              group: ['node:*', '../main/*', '../renderer/*'],
              message: 'shared/ runs on both sides: no Node, no main, no renderer imports.',
            },
          ],
        },
      ],
    },
  },
];
