import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';
import { withNativeSqlite } from './packaging/agent-build';

// The history store's tests once more on the SQLite engine the self-contained agent uses
// (main/history/sqlite-native.ts over node:sqlite), with main/history/sqlite.ts switched exactly as
// the agent's build switches it. node:sqlite needs Node ≥ 22.13, so `npm run test:dist` runs this
// under the agent's own pinned node, not the node that runs the rest of the suite.
export default defineConfig({
  root: fileURLToPath(new URL('..', import.meta.url)),
  cacheDir: process.env.VITEST_CACHE_DIR,
  plugins: [
    {
      name: 'nut-sentinel-native-sqlite',
      enforce: 'pre',
      transform(code, id) {
        return /main[\\/]history[\\/]sqlite\.ts$/.test(id) ? withNativeSqlite(code, id) : undefined;
      },
    },
  ],
  test: {
    include: ['main/history/**/*.test.ts', 'main/channels/incidents.test.ts'],
    environment: 'node',
    pool: 'forks',
    testTimeout: 30_000,
    hookTimeout: 60_000,
    maxWorkers: 2,
  },
});
