import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

// Tests of the Node side (core, adapters, shared schemas), in two tiers:
// - unit: plain Node, no root, no NUT, no Chromium, no D-Bus (`npm run test:unit`, under a minute);
// - integration (`*.integration.test.ts`): real upsd/dummy-ups/upsmon (root), network namespaces,
//   mosquitto, notify-send on a session bus… (`npm run test:integration`).
// Integration tests start real upsd instances (main/testing/upsd-rig.ts), so files run in parallel
// forks but each rig picks its own free loopback port and temp dir.
const INTEGRATION = ['main/**/*.integration.test.ts'];

export default defineConfig({
  root: fileURLToPath(new URL('..', import.meta.url)),
  // Vite's cache goes under the temp dir, so an unprivileged user can run the unit tier on a
  // checkout it cannot write to.
  cacheDir: process.env.VITEST_CACHE_DIR,
  test: {
    environment: 'node',
    pool: 'forks',
    testTimeout: 30_000,
    hookTimeout: 60_000,
    maxWorkers: 2,
    projects: [
      {
        extends: true,
        test: {
          name: 'unit',
          // Renderer component tests (*.test.tsx) run here too, each on jsdom (its
          // `@vitest-environment jsdom` line) against the real core in-process.
          include: [
            'main/**/*.test.ts',
            'shared/**/*.test.ts',
            'renderer/src/**/*.test.ts',
            'renderer/src/**/*.test.tsx',
          ],
          exclude: INTEGRATION,
        },
      },
      { extends: true, test: { name: 'integration', include: INTEGRATION } },
    ],
  },
});
