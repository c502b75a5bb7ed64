/**
 * A sandboxed preload can require nothing but `electron`: build it with the project's own Vite
 * config (to a temp dir) and check the bundle's requires, exports and size.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { build, type UserConfig } from 'vite';
import viteConfig from '../vite.config';

describe('preload bundle', () => {
  it('is CommonJS, requires only electron, and exposes the API', async () => {
    const outDir = await mkdtemp(path.join(os.tmpdir(), 'nut-preload-'));
    try {
      const factory = viteConfig as unknown as (env: {
        mode: string;
        command: 'build';
      }) => UserConfig;
      const config = factory({ mode: 'preload', command: 'build' });
      await build({
        ...config,
        configFile: false,
        logLevel: 'silent',
        build: { ...config.build, outDir, emptyOutDir: true, sourcemap: false },
      });
      const code = await readFile(path.join(outDir, 'preload.cjs'), 'utf8');
      const requires = [...code.matchAll(/require\(\s*["']([^"']+)["']\s*\)/g)].map((m) => m[1]);
      expect([...new Set(requires)]).toEqual(['electron']);
      expect(code).not.toMatch(/^\s*import\s/m);
      expect(code).toContain('exposeInMainWorld');
      expect(code).toContain('"nutSentinel"');
      // The allow-list is in (from shared/ipc-channels.ts), the contract's zod schemas are not.
      expect(code).toContain('"fsd:forget-credential"');
      expect(code).not.toMatch(/\$?Zod[A-Z]\w+|zod\.dev|invalid_type/);
      expect(code.length).toBeLessThan(50_000);
    } finally {
      await rm(outDir, { recursive: true, force: true });
    }
  });
});
