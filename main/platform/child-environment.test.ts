import { afterEach, describe, expect, it } from 'vitest';
import { childEnvironment, secretEnvironmentNames } from './child-environment';
import { NodeProcessRunner } from './node-ports';

const saved = { ...process.env };
afterEach(() => {
  for (const key of Object.keys(process.env)) if (!(key in saved)) delete process.env[key];
  Object.assign(process.env, saved);
});

function parseEnv(text: string): Record<string, string> {
  return Object.fromEntries(
    text
      .split('\n')
      .filter(Boolean)
      .map((line) => [line.slice(0, line.indexOf('=')), line.slice(line.indexOf('=') + 1)]),
  );
}

describe('child environment', () => {
  it('a real child (env) sees the allow-list, listed extras and the caller’s variables, never a withheld one', async () => {
    Object.assign(process.env, {
      NUT_PW: 'secret',
      CHILD_ENV_EXTRA: 'yes',
      CHILD_ENV_OTHER: 'no',
      LC_ALL: 'C.UTF-8',
    });
    const runner = new NodeProcessRunner({
      environment: () => ({ pass: ['CHILD_ENV_EXTRA', 'NUT_PW'], withhold: ['NUT_PW'] }),
    });
    const result = await runner.run('/usr/bin/env', [], {
      env: { NOTIFYTYPE: 'ONBATT', UPSNAME: 'ups@nas' },
      timeoutMs: 5000,
    });
    const env = parseEnv(result.stdout);
    expect(env).toMatchObject({
      NOTIFYTYPE: 'ONBATT',
      UPSNAME: 'ups@nas',
      CHILD_ENV_EXTRA: 'yes',
      LC_ALL: 'C.UTF-8',
      PATH: process.env.PATH,
    });
    expect(env).not.toHaveProperty('NUT_PW');
    expect(env).not.toHaveProperty('CHILD_ENV_OTHER');
    // Without a policy only the basic set passes.
    const plain = parseEnv(
      (await new NodeProcessRunner().run('/usr/bin/env', [], { timeoutMs: 5000 })).stdout,
    );
    expect(
      Object.keys(plain).filter((k) => !/^(PATH|HOME|USER|LOGNAME|LANG|TZ|LC_.*)$/.test(k)),
    ).toEqual([]);
  });

  it('on Windows passes SystemRoot, ComSpec, windir, PATHEXT whatever their case, and withholds case-insensitively', () => {
    const parent = {
      Path: 'C:\\Windows',
      SystemRoot: 'C:\\Windows',
      COMSPEC: 'cmd.exe',
      windir: 'C:\\Windows',
      PATHEXT: '.EXE',
      APPDATA: 'x',
      Nut_Pw: 's',
    };
    expect(childEnvironment(parent, { pass: ['nut_pw'], withhold: ['NUT_PW'] }, 'win32')).toEqual({
      Path: 'C:\\Windows',
      SystemRoot: 'C:\\Windows',
      COMSPEC: 'cmd.exe',
      windir: 'C:\\Windows',
      PATHEXT: '.EXE',
    });
  });

  it('finds every env secret source in a config', () => {
    const config = {
      masters: [
        {
          ups: [
            { password: { source: 'env', name: 'A' } },
            { password: { source: 'file', path: '/x' } },
          ],
        },
      ],
      alerts: { channels: [{ token: { source: 'env', name: 'B' } }] },
    };
    expect(secretEnvironmentNames(config).sort()).toEqual(['A', 'B']);
  });
});
