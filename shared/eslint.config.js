import { baseConfig, electronImportBan, restrictedImportPaths } from './eslint.base.js';

export default [
  ...baseConfig(new URL('..', import.meta.url).pathname),
  {
    files: ['**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: [...restrictedImportPaths, electronImportBan],
          patterns: [{ group: ['node:*', '../main/*', '../renderer/*'], message: 'shared/ runs on both sides: no Node, no main, no renderer imports.' }],
        },
      ],
    },
  },
];
