import { mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ConfigSchema, defaultConfig, type Config } from '../../shared/config';
import {
  ConfigError,
  defaultConfigPath,
  loadConfig,
  parseConfigText,
  reloadConfig,
  saveConfig,
  serializeConfig,
  validateConfig,
} from './config-file';

let dir: string;
let file: string;

beforeEach(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'nut-sentinel-config-'));
  file = path.join(dir, 'config.json');
});

afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

function sampleConfig(): Config {
  return ConfigSchema.parse({
    masters: [
      {
        id: 'nas',
        label: 'Synology NAS',
        preset: 'synology',
        host: '192.168.8.99',
        ups: [{ name: 'ups', username: 'monuser' }],
      },
    ],
    timing: { rbWarnSeconds: 7200 },
    hooks: { events: { ONBATT: { message: 'UPS %s: On battery.', exec: true } } },
    shutdown: { command: { file: '/bin/sh', args: ['-c', 'logger x ; /sbin/shutdown -h +0'] } },
  });
}

/** 1-based line and column of the first occurrence of `needle` in `text` (plus `offset` characters). */
function at(text: string, needle: string, offset = 0): { line: number; column: number } {
  const index = text.indexOf(needle);
  if (index < 0) throw new Error(`${needle} not in text`);
  const before = text.slice(0, index + offset).split('\n');
  return { line: before.length, column: (before[before.length - 1]?.length ?? 0) + 1 };
}

/** Parses text that must fail and returns the error. */
function parseError(text: string): ConfigError {
  try {
    parseConfigText(text, '/etc/nut-sentinel/config.json');
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return err as ConfigError;
  }
  throw new Error('expected a ConfigError');
}

describe('loadConfig / saveConfig', () => {
  it('round-trips a config through the file', async () => {
    const config = sampleConfig();
    const written = await saveConfig(file, config);
    expect(written).toEqual(config);
    const loaded = await loadConfig(file);
    expect(loaded).toEqual({ config, source: 'file', path: file });
    expect(await readFile(file, 'utf8')).toBe(serializeConfig(config));
  });

  it('returns the defaults for a missing file, and says so', async () => {
    const loaded = await loadConfig(path.join(dir, 'nope', 'config.json'));
    expect(loaded.source).toBe('defaults');
    expect(loaded.config).toEqual(defaultConfig());
  });

  it('fills defaults for settings the file leaves out', async () => {
    await writeFile(
      file,
      '{"masters": [{"id": "pve", "label": "PVE", "host": "10.0.0.2", "ups": [{"name": "apc"}]}]}',
    );
    const { config, source } = await loadConfig(file);
    expect(source).toBe('file');
    expect(config.masters[0]).toMatchObject({
      port: 3493,
      preset: 'generic',
      tls: { mode: 'off' },
      ups: [{ name: 'apc', role: 'secondary', password: { source: 'store' } }],
    });
    expect(config.timing).toEqual(defaultConfig().timing);
  });

  it('saves atomically: keeps the previous file as .bak and leaves no temp files', async () => {
    const first = sampleConfig();
    await saveConfig(file, first);
    expect(await readdir(dir)).toEqual(['config.json']);
    const second = structuredClone(first);
    second.timing.deadTimeSeconds = 30;
    await saveConfig(file, second);
    expect((await readdir(dir)).sort()).toEqual(['config.json', 'config.json.bak']);
    expect(JSON.parse(await readFile(`${file}.bak`, 'utf8'))).toEqual(first);
    expect((await loadConfig(file)).config.timing.deadTimeSeconds).toBe(30);
    if (process.platform !== 'win32') expect((await stat(file)).mode & 0o777).toBe(0o600);
  });

  it('creates the directory on first save', async () => {
    const nested = path.join(dir, 'a', 'b', 'config.json');
    await saveConfig(nested, defaultConfig());
    expect((await loadConfig(nested)).source).toBe('file');
  });

  it('refuses to save extra password keys anywhere and leaves the existing file untouched', async () => {
    await saveConfig(file, sampleConfig());
    const before = await readFile(file, 'utf8');
    const withPassword = sampleConfig() as unknown as {
      masters: { ups: Record<string, unknown>[] }[];
    } & Record<string, unknown>;
    withPassword.masters[0]!.ups[0]!.pass = 's3c4R3_Kly3Nt_p4sSw0rD!';
    withPassword.adminPassword = 'hunter2-hunter2';
    const err = await saveConfig(file, withPassword as unknown as Config).then(
      () => null,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(ConfigError);
    const e = err as ConfigError;
    expect(e.kind).toBe('refused');
    expect(e.problems.map((p) => p.path)).toEqual(['adminPassword', 'masters[0].ups[0].pass']);
    expect(e.message).toContain('passwords are never stored in the config file');
    expect(e.message).not.toContain('s3c4R3_Kly3Nt_p4sSw0rD!');
    expect(e.message).not.toContain('hunter2');
    expect(await readFile(file, 'utf8')).toBe(before);
    expect(await readdir(dir)).toEqual(['config.json']);
  });

  it('refuses a password string where the schema expects a password source', async () => {
    const config = sampleConfig() as unknown as { masters: { ups: { password: unknown }[] }[] };
    config.masters[0]!.ups[0]!.password = 'secret';
    const err = (await saveConfig(file, config as unknown as Config).catch(
      (e: unknown) => e,
    )) as ConfigError;
    expect(err.kind).toBe('refused');
    expect(err.problems).toEqual([
      {
        path: 'masters[0].ups[0].password',
        message: expect.stringContaining('must not be written into the config file'),
      },
    ]);
    expect(err.message).not.toMatch(/"secret"|: secret/);
  });

  it('refuses to save a known secret value hidden in any string', async () => {
    const config = sampleConfig();
    config.masters[0]!.label = 'NAS (pw s3c4R3!)';
    const err = (await saveConfig(file, config, { secretValues: ['s3c4R3!'] }).catch(
      (e: unknown) => e,
    )) as ConfigError;
    expect(err).toBeInstanceOf(ConfigError);
    expect(err.problems).toEqual([
      { path: 'masters[0].label', message: expect.stringContaining('contains a password') },
    ]);
    expect(err.message).not.toContain('s3c4R3!');
    await expect(stat(file)).rejects.toThrow();
  });

  it('refuses to save an invalid config', async () => {
    const config = sampleConfig();
    config.masters[0]!.port = 0;
    await expect(saveConfig(file, config)).rejects.toThrow(/masters\[0\]\.port: Too small/);
    await expect(stat(file)).rejects.toThrow();
  });
});

describe('invalid config files: file, line, column and reason for every problem', () => {
  const F = '/etc/nut-sentinel/config.json';

  it('wrong type', () => {
    const text = [
      '{',
      '  "masters": [',
      '    {"id": "nas", "label": "NAS", "host": "nas", "port": "3493",',
      '     "ups": [{"name": "ups"}]}',
      '  ]',
      '}',
    ].join('\n');
    const e = parseError(text);
    expect(e.kind).toBe('invalid');
    expect(e.file).toBe(F);
    expect(at(text, '"3493"')).toEqual({ line: 3, column: 58 });
    expect(e.problems).toEqual([
      {
        path: 'masters[0].port',
        line: 3,
        column: 58,
        message: 'Invalid input: expected number, received string',
      },
    ]);
    expect(e.message).toBe(
      `${F}: the configuration is invalid; nothing was applied (1 problem):\n  ${F}:3:58: masters[0].port: Invalid input: expected number, received string`,
    );
  });

  it('unknown enum value', () => {
    const text =
      '{"masters": [{"id": "nas", "label": "NAS", "host": "nas",\n  "tls": {"mode": "sometimes"}, "ups": [{"name": "ups"}]}]}';
    const e = parseError(text);
    expect(e.problems).toEqual([
      {
        path: 'masters[0].tls.mode',
        ...at(text, '"sometimes"'),
        message: 'Invalid option: expected one of "off"|"opportunistic"|"required"',
      },
    ]);
  });

  it('bad port', () => {
    const text =
      '{\n"masters": [{"id": "nas", "label": "NAS", "host": "nas", "port": 70000, "ups": [{"name": "ups"}]}]\n}';
    const e = parseError(text);
    expect(e.problems).toEqual([
      {
        path: 'masters[0].port',
        line: 2,
        column: 66,
        message: 'Too big: expected number to be <=65535 (found 70000)',
      },
    ]);
    expect(at(text, '70000')).toEqual({ line: 2, column: 66 });
  });

  it('a comm-lost grace too short to tell a network glitch from the end of an outage', () => {
    const text = '{"outages": {"commLostSeconds": 1}}';
    const e = parseError(text);
    expect(e.problems).toEqual([
      {
        path: 'outages.commLostSeconds',
        ...at(text, '1}'),
        message: expect.stringMatching(
          /^Too small: at least 5 s, so that a short gap in the reads does not end the outage/,
        ) as string,
      },
    ]);
  });

  it('MINSUPPLIES more than the secondary UPSes feed (this machine would shut down at once)', () => {
    const text =
      '{"masters": [{"id": "nas", "label": "NAS", "host": "nas", "ups": [{"name": "ups"}, {"name": "watch", "role": "monitor-only"}]}],\n "shutdown": {"minSupplies": 2}}';
    const e = parseError(text);
    expect(e.problems).toEqual([
      {
        path: 'shutdown.minSupplies',
        ...at(text, '2}}'),
        message:
          'MINSUPPLIES 2 is more than the secondary UPSes feed (power values add up to 1): this machine would shut down at once. Lower it, or turn it off to shut down when any secondary UPS is critical',
      },
    ]);
  });

  it('JSON syntax error', () => {
    const e = parseError(
      '{\n  "timing": {\n    "deadTimeSeconds": 15\n    "hostSyncSeconds": 20\n  }\n}',
    );
    expect(e.kind).toBe('syntax');
    expect(e.problems).toEqual([
      { path: '', line: 4, column: 5, message: 'expected `,` or `}` but found `"`' },
    ]);
    expect(e.message).toContain(`${F}:4:5: expected`);
  });

  it('lists every problem, in file order', () => {
    const text = [
      '{',
      '  "startAtLogin": "yes",',
      '  "timing": {"statusPolSeconds": 1, "deadTimeSeconds": -5},',
      '  "masters": [{"id": "Bad Id", "label": "", "ups": []}],',
      '  "hooks": {"events": {"ONBAT": {}}}',
      '}',
    ].join('\n');
    const e = parseError(text);
    expect(e.problems.map((p) => [p.line, p.path])).toEqual([
      [2, 'startAtLogin'],
      [3, 'timing.statusPolSeconds'],
      [3, 'timing.deadTimeSeconds'],
      [4, 'masters[0].host'],
      [4, 'masters[0].id'],
      [4, 'masters[0].label'],
      [4, 'masters[0].ups'],
      [5, 'hooks.events.ONBAT'],
    ]);
    // A missing key points at its object.
    expect(e.problems.find((p) => p.path === 'masters[0].host')).toMatchObject({
      ...at(text, '{"id"'),
      message: expect.stringContaining('`host` is missing'),
    });
    expect(e.problems.find((p) => p.path === 'timing.statusPolSeconds')?.message).toMatch(
      /unknown setting `statusPolSeconds`.*statusPollSeconds/,
    );
    expect(e.message.split('\n')).toHaveLength(1 + 8);
  });

  it('points a missing required setting at its object', () => {
    const e = parseError(
      '{"masters": [\n  {"id": "nas", "label": "NAS", "ups": [{"name": "ups"}]}\n]}',
    );
    expect(e.problems).toEqual([
      {
        path: 'masters[0].host',
        line: 2,
        column: 3,
        message: expect.stringContaining('required setting `host` is missing'),
      },
    ]);
  });

  it('reports a password in the file without repeating it', () => {
    const e = parseError(
      '{"masters": [{"id": "nas", "label": "NAS", "host": "nas",\n  "ups": [{"name": "ups", "password": "hunter2",\n  "passwd": "hunter3"}]}]}',
    );
    expect(e.problems.map((p) => [p.path, p.line, p.column])).toEqual([
      ['masters[0].ups[0].password', 2, 39],
      ['masters[0].ups[0].passwd', 3, 3],
    ]);
    expect(e.message).not.toMatch(/hunter/);
  });

  it('reports duplicate keys', () => {
    const e = parseError('{"startAtLogin": true,\n "startAtLogin": false}');
    expect(e.problems).toEqual([
      {
        path: 'startAtLogin',
        line: 2,
        column: 2,
        message: expect.stringContaining('duplicate key'),
      },
    ]);
  });

  it('reports a wrong version', () => {
    const e = parseError('{"version": 2}');
    expect(e.problems).toEqual([
      { path: 'version', line: 1, column: 13, message: 'Invalid input: expected 1 (found 2)' },
    ]);
  });

  it('accepts a UTF-8 BOM', () => {
    expect(parseConfigText('\uFEFF{"startAtLogin": true}', 'x.json').startAtLogin).toBe(true);
  });

  it('reports invalid UTF-8 with its position', async () => {
    await writeFile(
      file,
      Buffer.concat([
        Buffer.from('{\n  "masters": [],\n  "x": "'),
        Buffer.from([0xc3, 0x28]),
        Buffer.from('"}'),
      ]),
    );
    const err = (await loadConfig(file).catch((e: unknown) => e)) as ConfigError;
    expect(err.kind).toBe('syntax');
    expect(err.problems).toEqual([
      { path: '', line: 3, column: 9, message: expect.stringContaining('not valid UTF-8') },
    ]);
  });

  it('keeps the old config when the file becomes invalid, or disappears', async () => {
    const current = sampleConfig();
    await saveConfig(file, current);
    const good = await reloadConfig(file, defaultConfig());
    expect(good.applied && good.loaded.config).toEqual(current);

    const broken =
      '{"masters": [{"id": "nas", "label": "NAS", "host": "nas", "port": 0, "ups": [{"name": "ups"}]}]}';
    await writeFile(file, broken);
    const bad = await reloadConfig(file, current);
    expect(bad.applied).toBe(false);
    if (bad.applied) return;
    expect(bad.config).toBe(current);
    expect(bad.error.problems[0]).toMatchObject({
      path: 'masters[0].port',
      ...at(broken, ': 0,', 2),
    });

    await rm(file);
    const gone = await reloadConfig(file, current);
    expect(gone.applied).toBe(false);
    if (!gone.applied) expect(gone.config).toBe(current);
  });

  it('reports an unreadable path as an I/O error', async () => {
    const err = (await loadConfig(dir).catch((e: unknown) => e)) as ConfigError;
    expect(err).toBeInstanceOf(ConfigError);
    expect(err.kind).toBe('io');
    expect(err.message).toContain(dir);
  });

  it('converts problems to the IPC issue shape', () => {
    const e = parseError('{"startAtLogin": 1}');
    expect(e.toIssues()).toEqual([
      {
        path: 'startAtLogin',
        message: 'line 1, column 18: Invalid input: expected boolean, received number',
      },
    ]);
  });
});

describe('validateConfig', () => {
  it('accepts every config the schema produces and rejects unknown keys at any depth', () => {
    expect(validateConfig(sampleConfig())).toEqual({ ok: true, config: sampleConfig() });
    const withTypo = { ...sampleConfig(), shutdown: { ...sampleConfig().shutdown, dryrun: true } };
    const result = validateConfig(withTypo);
    expect(result.ok).toBe(false);
    if (!result.ok)
      expect(result.issues).toEqual([
        {
          path: ['shutdown', 'dryrun'],
          atKey: true,
          message: expect.stringContaining('unknown setting `dryrun`'),
        },
      ]);
  });

  it('checks the right variant of a discriminated union', () => {
    const config = sampleConfig() as unknown as { masters: { ups: { password: unknown }[] }[] };
    config.masters[0]!.ups[0]!.password = { source: 'env', name: 'NUT_PW', path: '/x' };
    const result = validateConfig(config);
    expect(!result.ok && result.issues.map((i) => i.path)).toEqual([
      ['masters', 0, 'ups', 0, 'password', 'path'],
    ]);
  });
});

describe('defaultConfigPath', () => {
  it('follows each platform’s convention', () => {
    expect(defaultConfigPath('linux', { XDG_CONFIG_HOME: '/home/u/.cfg' }, '/home/u')).toBe(
      '/home/u/.cfg/nut-sentinel/config.json',
    );
    expect(defaultConfigPath('linux', {}, '/home/u')).toBe(
      '/home/u/.config/nut-sentinel/config.json',
    );
    expect(defaultConfigPath('linux', { XDG_CONFIG_HOME: 'relative/dir' }, '/home/u')).toBe(
      '/home/u/.config/nut-sentinel/config.json',
    );
    expect(defaultConfigPath('freebsd', {}, '/home/u')).toBe(
      '/home/u/.config/nut-sentinel/config.json',
    );
    expect(defaultConfigPath('darwin', {}, '/Users/u')).toBe(
      '/Users/u/Library/Application Support/NUT Sentinel/config.json',
    );
    expect(
      defaultConfigPath('win32', { APPDATA: 'C:\\Users\\u\\AppData\\Roaming' }, 'C:\\Users\\u'),
    ).toBe('C:\\Users\\u\\AppData\\Roaming\\NUT Sentinel\\config.json');
    expect(defaultConfigPath('win32', {}, 'C:\\Users\\u')).toBe(
      'C:\\Users\\u\\AppData\\Roaming\\NUT Sentinel\\config.json',
    );
  });
});
