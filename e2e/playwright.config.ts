import { defineConfig } from '@playwright/test';

// Two kinds of end-to-end tests:
// - `browser`: the real headless core + browser bridge, driven in Debian's Chromium against
//   real upsd rigs (this is how the UI is tested where no Electron binary exists);
// - `electron`: a `_electron` smoke test of the packaged shell, run wherever a binary exists.
const chromiumPath = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

export default defineConfig({
  testDir: '.',
  outputDir: './results',
  timeout: 90_000,
  expect: { timeout: 15_000 },
  fullyParallel: false,
  workers: 1,
  reporter: [['list']],
  use: {
    launchOptions: {
      executablePath: chromiumPath,
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--disable-background-networking',
        '--disable-component-update',
      ],
    },
    screenshot: 'only-on-failure',
    trace: 'off',
  },
  projects: [
    { name: 'browser', testMatch: /.*\.e2e\.ts$/ },
    { name: 'electron', testMatch: /electron-smoke\.spec\.ts$/ },
  ],
});
