/**
 * The import rules fire: a deliberately wrong import in product code is an error (layering inside
 * main/, test helpers in product code, an import cycle), and main/eslint.config.js really applies
 * them. Fixtures are lint text (lintText with a virtual path) or files in a temp dir, never files
 * in the tree; the layering is checked without type information, so this stays fast.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ESLint, type Linter } from 'eslint';
import tseslint from 'typescript-eslint';
import { afterAll, describe, expect, it } from 'vitest';
import { importGraphConfig } from '../shared/eslint.base.js';
import { MAIN_LAYERS, mainLayerZones } from './eslint.layers.js';

const root = path.resolve(import.meta.dirname, '..');
const parserOnly: Linter.Config = {
  files: ['**/*.ts'],
  languageOptions: { parser: tseslint.parser },
};

/** The repository's import rules without type information; `cycles: false` skips following the whole import graph. */
function linter(cwd: string, zones = mainLayerZones(), { cycles = true } = {}): ESLint {
  const overrideConfig = [
    parserOnly,
    ...importGraphConfig(cwd, zones),
    ...(cycles ? [] : [{ rules: { 'import-x/no-cycle': 'off' } } satisfies Linter.Config]),
  ];
  return new ESLint({ cwd, overrideConfigFile: true, overrideConfig });
}

async function ruleMessages(
  eslint: ESLint,
  code: string,
  file: string,
): Promise<{ ruleId: string | null; message: string }[]> {
  const [result] = await eslint.lintText(code, { filePath: path.join(root, file) });
  return (result?.messages ?? []).map(({ ruleId, message }) => ({ ruleId, message }));
}

describe('layering inside main/', () => {
  const eslint = linter(root, mainLayerZones(), { cycles: false });

  it('refuses an import against the layers and names the allowed ones', async () => {
    const messages = await ruleMessages(
      eslint,
      "import { createAppCore } from '../core/app-core';\nexport const x = createAppCore;\n",
      'main/nut/lint-fixture.ts',
    );
    expect(messages).toEqual([
      {
        ruleId: 'import-x/no-restricted-paths',
        message: expect.stringContaining(
          'main/nut may import only main/platform (and shared/)',
        ) as string,
      },
    ]);
  });

  it('refuses the bottom layer importing anything above it, also through import()', async () => {
    const messages = await ruleMessages(
      eslint,
      "export const load = () => import('../monitor/state-machine');\n",
      'main/platform/lint-fixture.ts',
    );
    expect(messages.map((m) => m.ruleId)).toEqual(['import-x/no-restricted-paths']);
    expect(messages[0]?.message).toContain('main/platform may import only nothing else in main/');
  });

  it('accepts the imports the layers allow', async () => {
    const code =
      "import { NutClient } from '../nut/client';\nimport type { Clock } from '../platform/ports';\nimport { defaultConfig } from '../../shared/config';\nexport const all = [NutClient, defaultConfig] as const;\nexport type C = Clock;\n";
    expect(await ruleMessages(eslint, code, 'main/monitor/lint-fixture.ts')).toEqual([]);
  });

  it('lists every folder of main/, so a new one must choose its layer', () => {
    const folders = fs
      .readdirSync(path.join(root, 'main'), { withFileTypes: true })
      .filter((entry) => entry.isDirectory())
      .map((entry) => entry.name);
    expect(folders.filter((folder) => !(folder in MAIN_LAYERS))).toEqual([]);
    for (const [folder, allowed] of Object.entries(MAIN_LAYERS)) {
      if (allowed !== '*')
        expect(
          allowed.filter((name) => !(name in MAIN_LAYERS)),
          folder,
        ).toEqual([]);
    }
  });
});

describe('no test helpers in product code', () => {
  const eslint = linter(root, mainLayerZones(), { cycles: false });

  it('refuses main/testing and any testing/ folder from product code', async () => {
    for (const [code, file] of [
      [
        "import { startUpsdRig } from '../testing/upsd-rig';\nexport const x = startUpsdRig;\n",
        'main/demo/lint-fixture.ts',
      ],
      ["export const rig = () => import('../testing/upsd-rig');\n", 'main/cli/lint-fixture.ts'],
      [
        "import { makeTempDir } from '../history/testing/helpers';\nexport const x = makeTempDir;\n",
        'main/monitor/lint-fixture.ts',
      ],
    ] as const) {
      const messages = await ruleMessages(eslint, code, file);
      expect(messages.map((m) => m.message)).toContainEqual(
        expect.stringContaining('Product code never imports test helpers'),
      );
    }
  });

  it('lets tests and benches use them', async () => {
    const code =
      "import { startUpsdRig } from '../testing/upsd-rig';\nexport const x = startUpsdRig;\n";
    expect(await ruleMessages(eslint, code, 'main/nut/lint-fixture.test.ts')).toEqual([]);
    expect(await ruleMessages(eslint, code, 'main/bench/lint-fixture.ts')).toEqual([]);
  });
});

describe('no import cycles', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nut-sentinel-lint-'));
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('refuses a cycle between two modules', async () => {
    fs.writeFileSync(
      path.join(dir, 'a.ts'),
      "import { b } from './b';\nexport const a = () => b;\n",
    );
    fs.writeFileSync(
      path.join(dir, 'b.ts'),
      "import { a } from './a';\nexport const b = () => a;\n",
    );
    fs.writeFileSync(path.join(dir, 'c.ts'), "import { a } from './a';\nexport const c = a;\n");
    const results = await linter(dir, []).lintFiles(['a.ts', 'b.ts', 'c.ts']);
    const cycles = results.map((r) => [
      path.basename(r.filePath),
      r.messages.filter((m) => m.ruleId === 'import-x/no-cycle').length,
    ]);
    expect(cycles).toEqual([
      ['a.ts', 1],
      ['b.ts', 1],
      ['c.ts', 0],
    ]);
  });
});

describe('main/eslint.config.js', () => {
  it('applies these rules to product code and exempts tests from the layering', async () => {
    const eslint = new ESLint({ cwd: root });
    const product = (await eslint.calculateConfigForFile(
      path.join(root, 'main/nut/client.ts'),
    )) as Linter.Config;
    expect(product.rules?.['import-x/no-cycle']).toBeDefined();
    const restricted = product.rules?.['import-x/no-restricted-paths'] as [
      unknown,
      { zones: unknown[] },
    ];
    expect(restricted[1].zones).toEqual(expect.arrayContaining(mainLayerZones()));
    const test = (await eslint.calculateConfigForFile(
      path.join(root, 'main/nut/client.test.ts'),
    )) as Linter.Config;
    expect(test.rules?.['import-x/no-restricted-paths']).toBeUndefined();
  });
});
