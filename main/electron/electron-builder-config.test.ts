/**
 * electron-builder.yml, checked by electron-builder's own loader and schema validator (the same
 * check `npm run dist` makes), plus the packaging decisions the shell depends on.
 */
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../..', import.meta.url));
const require = createRequire(import.meta.url);

interface BuilderConfig {
  /** getConfig normalises the list into one file set. */
  files: Array<{ filter: string[] }>;
  asarUnpack?: string[];
  electronFuses: Record<string, boolean>;
  linux: { asarUnpack?: string[] };
  win: { asarUnpack?: string[] };
  mac: { asarUnpack?: string[] };
  deb: { recommends: string[]; depends: string[] };
}

const { getConfig, validateConfiguration } = require('app-builder-lib/out/util/config/config') as {
  getConfig: (projectDir: string, configPath: string, fromOptions: null) => Promise<BuilderConfig>;
  validateConfiguration: (
    config: BuilderConfig,
    debugLogger: { isEnabled: boolean; add: () => void },
  ) => Promise<void>;
};
const quietLogger = { isEnabled: false, add: () => undefined };

describe('electron-builder.yml', () => {
  it('passes electron-builder’s schema (and a misspelt key would not)', async () => {
    const config = await getConfig(root, `${root}/electron-builder.yml`, null);
    await expect(validateConfiguration(config, quietLogger)).resolves.toBeUndefined();
    await expect(
      validateConfiguration(
        { ...config, linux: { ...config.linux, asarUnpak: ['x'] } } as BuilderConfig,
        quietLogger,
      ),
    ).rejects.toThrow(/does not match the API schema/);
  });

  it('keeps the file:// privileges fuse off (the renderer has its own scheme) and the other hardening fuses', async () => {
    const config = await getConfig(root, `${root}/electron-builder.yml`, null);
    expect(config.electronFuses).toMatchObject({
      grantFileProtocolExtraPrivileges: false,
      runAsNode: false,
      enableNodeCliInspectArguments: false,
      enableEmbeddedAsarIntegrityValidation: true,
      onlyLoadAppFromAsar: true,
    });
  });

  it('ships no node-notifier helper programs and unpacks only what Linux needs (the notify-send icon)', async () => {
    const config = await getConfig(root, `${root}/electron-builder.yml`, null);
    expect(config.files.flatMap((set) => set.filter)).toContain(
      '!node_modules/node-notifier/vendor/**',
    );
    expect(config.asarUnpack ?? []).toEqual([]);
    expect(config.linux.asarUnpack).toEqual(['assets/app/icon.png']);
    expect(config.win.asarUnpack ?? []).toEqual([]);
    expect(config.mac.asarUnpack ?? []).toEqual([]);
  });

  it('the deb recommends a tray host: GNOME’s AppIndicator extension, or a desktop with its own', async () => {
    const config = await getConfig(root, `${root}/electron-builder.yml`, null);
    expect(
      config.deb.recommends.some(
        (r) => r.split('|').map((s) => s.trim())[0] === 'gnome-shell-extension-appindicator',
      ),
    ).toBe(true);
    expect(config.deb.depends).toContain('libnotify-bin');
  });
});
