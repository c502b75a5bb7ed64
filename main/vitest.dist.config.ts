import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

// Tests of the release artifacts `npm run dist:agent` built into dist/agent (the self-contained
// agent, the Debian package): run by `npm run test:dist` after that build, never by test:unit.
export default defineConfig({
  root: fileURLToPath(new URL('..', import.meta.url)),
  test: {
    include: ['main/**/*.dist-test.ts'],
    environment: 'node',
    pool: 'forks',
    testTimeout: 60_000,
    hookTimeout: 60_000,
    maxWorkers: 1,
  },
});
