/**
 * Settings' "Install the background service": the elevated command on each platform is a program
 * and an argv array, and awkward paths (spaces, quotes, apostrophes) reach `service install`
 * unchanged — checked by decoding what each platform's tool would see.
 */
import { describe, expect, it } from 'vitest';
import {
  createServiceInstaller,
  displayCommand,
  type ElevatedCommand,
  elevatedInstallCommand,
  elevationFailure,
  windowsArg,
} from './elevate';

const awkward = { program: '/opt/NUT Sentinel/it\'s "here"/node', prefix: ['/opt/app/cli.js'] };

describe('elevated service install', () => {
  it('Linux: pkexec with the agent and its arguments as argv', () => {
    expect(elevatedInstallCommand('linux', awkward)).toEqual({
      file: 'pkexec',
      args: [awkward.program, '/opt/app/cli.js', 'service', 'install'],
    });
  });

  it('macOS: osascript quotes each argv word itself, "with administrator privileges"', () => {
    const { file, args } = elevatedInstallCommand('darwin', awkward);
    expect(file).toBe('/usr/bin/osascript');
    const script = args.filter((_, i) => args[i - 1] === '-e');
    expect(script).toContain('set cmd to cmd & quoted form of (w as text) & " "');
    expect(script).toContain('do shell script cmd with administrator privileges');
    // The words follow the script as osascript's argv, untouched.
    expect(args.slice(-4)).toEqual([awkward.program, '/opt/app/cli.js', 'service', 'install']);
    expect(script.join('\n')).not.toContain(awkward.program);
  });

  it('Windows: UAC through Start-Process -Verb RunAs in an encoded script, arguments quoted', () => {
    const win = { program: 'C:\\Program Files\\NUT Sentinel\\nut-sentinel.exe', prefix: [] };
    const { file, args } = elevatedInstallCommand('win32', win);
    expect(file).toBe('powershell.exe');
    expect(args.slice(0, 3)).toEqual(['-NoProfile', '-NonInteractive', '-EncodedCommand']);
    const script = Buffer.from(args[3]!, 'base64').toString('utf16le');
    expect(script).toBe(
      "$p = Start-Process -FilePath 'C:\\Program Files\\NUT Sentinel\\nut-sentinel.exe' -ArgumentList 'service install' -Verb RunAs -Wait -PassThru -WindowStyle Hidden; exit $p.ExitCode",
    );
    // An apostrophe in a path doubles inside the PowerShell literal (no way out of the string).
    const odd = elevatedInstallCommand('win32', {
      program: "C:\\it's\\node.exe",
      prefix: ['C:\\a b\\cli.js'],
    });
    const oddScript = Buffer.from(odd.args[3]!, 'base64').toString('utf16le');
    expect(oddScript).toContain("-FilePath 'C:\\it''s\\node.exe'");
    expect(oddScript).toContain('-ArgumentList \'"C:\\a b\\cli.js" service install\'');
  });

  it('quotes Windows arguments the way CommandLineToArgvW reads them', () => {
    expect(windowsArg('plain')).toBe('plain');
    expect(windowsArg('with space')).toBe('"with space"');
    expect(windowsArg('say "hi"')).toBe('"say \\"hi\\""');
    expect(windowsArg('C:\\dir with space\\')).toBe('"C:\\dir with space\\\\"');
    expect(windowsArg('')).toBe('""');
  });

  it('shows the command as one would type it', () => {
    expect(displayCommand(['/usr/bin/nut-sentinel', 'service', 'install'])).toBe(
      '/usr/bin/nut-sentinel service install',
    );
    expect(displayCommand(["/a b/it's"])).toBe("'/a b/it'\\''s'");
  });
});

describe('service installer', () => {
  const cli = { program: '/usr/bin/nut-sentinel', prefix: [] };

  it('is not offered without an agent program, or without pkexec on Linux, and says why', async () => {
    const none = createServiceInstaller({ platform: 'linux', cli: null, env: { PATH: '' } });
    expect(none.describe()).toMatchObject({
      available: false,
      reason: expect.stringMatching(/nut-sentinel-agent package/),
    });
    const noPkexec = createServiceInstaller({
      platform: 'linux',
      cli,
      env: { PATH: '/nonexistent' },
    });
    expect(noPkexec.describe()).toMatchObject({
      available: false,
      reason: expect.stringMatching(/pkexec/),
    });
    await expect(noPkexec.install()).resolves.toMatchObject({ ok: false });
  });

  it('runs the elevated command and explains a cancelled password dialog', async () => {
    const ran: ElevatedCommand[] = [];
    const installer = createServiceInstaller({
      platform: 'darwin',
      cli,
      run: (command) => {
        ran.push(command);
        return Promise.resolve({ code: 1, output: 'execution error: User canceled. (-128)' });
      },
    });
    expect(installer.describe()).toEqual({
      available: true,
      command: 'sudo /usr/bin/nut-sentinel service install',
      reason: null,
    });
    const result = await installer.install();
    expect(ran).toHaveLength(1);
    expect(ran[0]!.file).toBe('/usr/bin/osascript');
    expect(result.ok).toBe(false);
    expect(result.detail).toMatch(
      /^Administrator rights were not granted \(the password dialog was cancelled\)\.\n[\s\S]*User canceled[\s\S]*sudo \/usr\/bin\/nut-sentinel service install/,
    );
    const ok = createServiceInstaller({
      platform: 'win32',
      cli,
      run: () => Promise.resolve({ code: 0, output: '' }),
    });
    await expect(ok.install()).resolves.toMatchObject({ ok: true });
  });

  it("names each platform's way of failing: cancelled, no polkit agent, pkexec missing, other", () => {
    expect(elevationFailure('linux', { code: 126, output: 'Request dismissed' })).toMatch(
      /not granted \(the password dialog was cancelled\)/,
    );
    expect(elevationFailure('linux', { code: 127, output: '' })).toMatch(/no polkit agent/);
    expect(elevationFailure('linux', { code: 127, output: 'spawn pkexec ENOENT' })).toMatch(
      /pkexec \(polkit\) is not installed/,
    );
    expect(
      elevationFailure('win32', { code: 1, output: 'The operation was canceled by the user.' }),
    ).toMatch(/User Account Control prompt was cancelled/);
    expect(elevationFailure('linux', { code: 3, output: 'systemctl failed' })).toBe(
      'The installer exited with code 3.',
    );
  });
});
