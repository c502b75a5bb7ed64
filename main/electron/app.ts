/**
 * Electron main-process entry (built to out/main/app.js, ESM). Everything happens in
 * shell.ts's phases; this file only supplies the real core factory.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { app } from 'electron';
import { createAppCore } from '../core/app-core';
import { startShell } from './shell';

try {
  startShell({ createCore: createAppCore, mainDir: path.dirname(fileURLToPath(import.meta.url)) });
} catch (error) {
  // Only before-ready problems land here (e.g. a malformed NUT_SENTINEL_DEV_URL).
  console.error(
    `NUT Sentinel could not start: ${error instanceof Error ? error.message : String(error)}`,
  );
  app.exit(1);
}
