import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ConfigSchema, defaultConfig, passwordKey, type Config } from '../../shared/config';
import { validateConfig } from './config-file';
import type { ImportReportLine } from './import-report';
import { mergeImported } from './import-merge';
import { splitUpsSystem } from './upsmon-conf';
import { importUpsmonConf, type UpsmonImportResult } from './upsmon-import';

const fixture = (name: string) =>
  readFileSync(new URL(`./fixtures/${name}`, import.meta.url), 'utf8');

const VM_PASSWORD = 's3c4R3_Kly3Nt_p4sSw0rD!';

function lineAt(result: UpsmonImportResult, line: number, file = 'upsmon.conf'): ImportReportLine {
  const hit = result.report.find((r) => r.file === file && r.line === line);
  if (!hit) throw new Error(`no report entry for ${file}:${line}`);
  return hit;
}

function expectNoLeak(result: UpsmonImportResult, secrets: readonly string[]): void {
  for (const secret of secrets.filter((s) => s !== '')) {
    for (const r of result.report) {
      expect(r.text).not.toContain(secret);
      expect(r.note).not.toContain(secret);
    }
    expect(result.summary).not.toContain(secret);
  }
}

/** The result is a complete, valid config with nothing the schema does not know. */
function expectValid(config: Config): void {
  const check = validateConfig(config);
  expect(check.ok).toBe(true);
  expect(ConfigSchema.parse(config)).toEqual(config);
}

describe('Proxmox seed: the VM (secondary) upsmon.conf + upssched.conf', () => {
  const result = importUpsmonConf({
    upsmonConf: fixture('proxmox-vm-upsmon.conf'),
    upsschedConf: fixture('proxmox-vm-upssched.conf'),
  });

  it('imports the master, the UPS and the user, and moves the password out of the config', () => {
    expect(result.ok).toBe(true);
    expect(result.config.masters).toEqual([
      {
        id: '192-168-1-107',
        label: 'NUT server (192.168.1.107)',
        preset: 'generic',
        host: '192.168.1.107',
        port: 3493,
        tls: { mode: 'off', insecure: false },
        ups: [
          {
            name: 'apc',
            role: 'secondary',
            username: 'upsmonclient',
            password: { source: 'store' },
            powerValue: 1,
            expectedClients: [],
            selfTest: { enabled: false, everyDays: 30, command: 'auto', minChargePercent: 90 },
          },
        ],
      },
    ]);
    expect(result.secrets).toEqual([
      {
        key: passwordKey('192-168-1-107', 'apc'),
        value: VM_PASSWORD,
        masterId: '192-168-1-107',
        upsName: 'apc',
      },
    ]);
    expect(JSON.stringify(result.config)).not.toContain(VM_PASSWORD);
    expectNoLeak(result, [VM_PASSWORD]);
    const monitor = lineAt(result, 23);
    expect(monitor.status).toBe('mapped');
    expect(monitor.text).toBe('MONITOR apc@192.168.1.107 1 upsmonclient [REDACTED] slave');
    expect(monitor.note).toContain('Proxmox preset');
  });

  it('wraps the shell-syntax SHUTDOWNCMD in /bin/sh -c, explicitly', () => {
    expect(result.config.shutdown.command).toEqual({
      file: '/bin/sh',
      args: [
        '-c',
        'logger -t upsmon.conf "SHUTDOWNCMD calling /sbin/shutdown to shut down system" ; /sbin/shutdown -h +0',
      ],
    });
    const line = lineAt(result, 24);
    expect(line.status).toBe('mapped');
    expect(line.note).toMatch(/shell syntax \(`;`, double quotes\).*\/bin\/sh/);
  });

  it('imports the upssched rules natively instead of running upssched', () => {
    expect(result.config.hooks.notifyCommand).toBeUndefined();
    expect(result.config.hooks.upssched).toEqual({
      cmdScript: { file: '/usr/sbin/upssched-cmd', args: [] },
      rules: [
        { event: 'ONLINE', ups: 'apc@192.168.1.107', action: 'EXECUTE', command: 'online' },
        { event: 'ONBATT', ups: 'apc@192.168.1.107', action: 'EXECUTE', command: 'onbatt' },
        { event: 'LOWBATT', ups: 'apc@192.168.1.107', action: 'EXECUTE', command: 'lowbatt' },
      ],
    });
    expect(lineAt(result, 25)).toMatchObject({
      text: 'NOTIFYCMD /usr/sbin/upssched',
      status: 'mapped',
      note: expect.stringContaining('3 rules from upssched.conf are imported'),
    });
    expect(lineAt(result, 2, 'upssched.conf').status).toBe('mapped');
    expect(lineAt(result, 3, 'upssched.conf')).toMatchObject({
      status: 'ignored',
      note: 'not needed: timers run inside NUT Sentinel',
    });
    expect(lineAt(result, 4, 'upssched.conf')).toMatchObject({
      status: 'ignored',
      note: 'not needed: timers run inside NUT Sentinel',
    });
    for (const n of [6, 7, 8]) {
      const at = lineAt(result, n, 'upssched.conf');
      expect(at.status).toBe('mapped');
      expect(at.note).not.toMatch(/never/);
    }
  });

  it('maps every NOTIFYMSG and NOTIFYFLAG', () => {
    expect(result.config.hooks.events).toEqual({
      ONLINE: { message: 'UPS %s: On line power.', notify: true, exec: true },
      ONBATT: { message: 'UPS %s: On battery.', notify: true, exec: true },
      LOWBATT: { message: 'UPS %s: Battery is low.', notify: true, exec: true },
      REPLBATT: { message: 'UPS %s: Battery needs to be replaced.', notify: true, exec: false },
      FSD: { message: 'UPS %s: Forced shutdown in progress.', notify: true, exec: false },
      SHUTDOWN: { message: 'Auto logout and shutdown proceeding.', notify: true, exec: false },
      COMMOK: { message: 'UPS %s: Communications (re-)established.', notify: true, exec: false },
      COMMBAD: { message: 'UPS %s: Communications lost.', notify: true, exec: false },
      NOCOMM: { message: 'UPS %s: Not available.', notify: true, exec: false },
      NOPARENT: { message: 'upsmon parent dead, shutdown impossible.', notify: true, exec: false },
    });
  });

  it('maps RBWARNTIME (with its trailing comment) and keeps every other timing at upsmon’s defaults', () => {
    expect(result.config.timing).toEqual({ ...defaultConfig().timing, rbWarnSeconds: 7200 });
    expect(lineAt(result, 49)).toEqual({
      file: 'upsmon.conf',
      line: 49,
      text: 'RBWARNTIME 7200 # 2 hours',
      status: 'mapped',
      note: '→ timing.rbWarnSeconds = 7200',
    });
  });

  it('reports every directive line once, none of the comments, and nothing but mapped/ignored', () => {
    const upsmonLines = result.report.filter((r) => r.file === 'upsmon.conf').map((r) => r.line);
    expect(upsmonLines).toEqual([
      23,
      24,
      25,
      ...Array.from({ length: 10 }, (_, k) => 27 + k),
      ...Array.from({ length: 10 }, (_, k) => 38 + k),
      49,
    ]);
    expect(result.report.filter((r) => r.status !== 'mapped' && r.status !== 'ignored')).toEqual(
      [],
    );
    expect(result.summary).toBe(
      'Found 1 UPS on 1 master; 28 lines mapped, 2 ignored, 0 unsupported, 0 errors; 1 password kept apart from the config',
    );
  });

  it('produces a valid config', () => {
    expectValid(result.config);
  });

  it('imports the same from a CRLF copy of the files', () => {
    const crlf = importUpsmonConf({
      upsmonConf: fixture('proxmox-vm-upsmon.conf').replace(/\n/g, '\r\n'),
      upsschedConf: fixture('proxmox-vm-upssched.conf').replace(/\n/g, '\r\n'),
    });
    expect(crlf.config).toEqual(result.config);
    expect(crlf.secrets).toEqual(result.secrets);
    expect(crlf.report).toEqual(result.report);
  });
});

describe('Proxmox seed: the host’s upssched.conf variant (AT … apc@localhost …)', () => {
  it('keeps the rules as written but says they never matched on the VM', () => {
    const result = importUpsmonConf({
      upsmonConf: fixture('proxmox-vm-upsmon.conf'),
      upsschedConf: fixture('proxmox-host-upssched.conf'),
    });
    expect(result.config.hooks.upssched?.rules.map((r) => r.ups)).toEqual([
      'apc@localhost',
      'apc@localhost',
      'apc@localhost',
    ]);
    for (const n of [6, 7, 8]) {
      const line = lineAt(result, n, 'upssched.conf');
      expect(line.status).toBe('mapped');
      expect(line.note).toContain('`apc@localhost` is not a MONITOR line here');
      expect(line.note).toContain('`apc@192.168.1.107`');
      expect(line.note).toContain('never matched');
    }
  });

  it('imports the host’s own files: primary becomes secondary with a note, rules match apc@localhost', () => {
    // The guide's host snippets, plus the host's MONITOR line from guide G004 (not in the seed).
    const upsmonConf = `MONITOR apc@localhost 1 upsmonmaster "m4st3r pw#1" master\n${fixture('proxmox-host-upsmon-additions.conf')}`;
    const result = importUpsmonConf({
      upsmonConf,
      upsschedConf: fixture('proxmox-host-upssched.conf'),
    });
    expect(result.ok).toBe(true);
    expect(result.config.masters).toMatchObject([
      {
        id: 'localhost',
        host: 'localhost',
        port: 3493,
        ups: [{ name: 'apc', role: 'secondary', username: 'upsmonmaster' }],
      },
    ]);
    expect(result.secrets.map((s) => s.value)).toEqual(['m4st3r pw#1']);
    const monitor = lineAt(result, 1);
    expect(monitor.text).toBe('MONITOR apc@localhost 1 upsmonmaster [REDACTED] master');
    expect(monitor.note).toContain('NUT Sentinel never acts as primary');
    expect(monitor.note).toContain('imported as secondary');
    expect(result.config.hooks.events).toEqual({
      ONLINE: { notify: true, exec: true },
      ONBATT: { notify: true, exec: true },
      LOWBATT: { notify: true, exec: true },
    });
    expect(result.config.hooks.upssched?.rules.map((r) => r.ups)).toEqual([
      'apc@localhost',
      'apc@localhost',
      'apc@localhost',
    ]);
    for (const n of [6, 7, 8])
      expect(lineAt(result, n, 'upssched.conf').note).not.toMatch(/never|not a MONITOR/);
    expect(result.config.shutdown.command?.file).toBe('/bin/sh');
    expectNoLeak(result, ['m4st3r pw#1']);
    expectValid(result.config);
  });
});

describe('Synology seed: the Raspberry Pi secondaries', () => {
  const result = importUpsmonConf({ upsmonConf: fixture('synology-rpi-upsmon.conf') });

  it('maps the single MONITOR line and suggests the Synology preset', () => {
    expect(result.ok).toBe(true);
    expect(result.config.masters).toEqual([
      {
        id: '192-168-8-99',
        label: 'NUT server (192.168.8.99)',
        preset: 'generic',
        host: '192.168.8.99',
        port: 3493,
        tls: { mode: 'off', insecure: false },
        ups: [
          {
            name: 'ups',
            role: 'secondary',
            username: 'monuser',
            password: { source: 'store' },
            powerValue: 1,
            expectedClients: [],
            selfTest: { enabled: false, everyDays: 30, command: 'auto', minChargePercent: 90 },
          },
        ],
      },
    ]);
    expect(result.secrets).toEqual([
      {
        key: 'nut-password:192-168-8-99:ups',
        value: 'secret',
        masterId: '192-168-8-99',
        upsName: 'ups',
      },
    ]);
    expect(result.report).toHaveLength(1);
    const line = lineAt(result, 1);
    expect(line.status).toBe('mapped');
    expect(line.text).toBe('MONITOR ups@192.168.8.99 1 monuser [REDACTED] slave');
    expect(line.note).toContain('Synology preset');
    expectNoLeak(result, ['secret']);
    expect(result.config.shutdown.command).toBeNull();
    expect(result.config.hooks).toEqual(defaultConfig().hooks);
    expectValid(result.config);
  });
});

describe('MONITOR parsing', () => {
  it.each([
    ['ups@[fe80::1]:3494', { ups: 'ups', host: 'fe80::1', port: 3494, hostDefaulted: false }],
    ['ups@[::1]', { ups: 'ups', host: '::1', port: 3493, hostDefaulted: false }],
    ['myups', { ups: 'myups', host: 'localhost', port: 3493, hostDefaulted: true }],
    ['su700@mybox', { ups: 'su700', host: 'mybox', port: 3493, hostDefaulted: false }],
    ['fenton@bigbox:5678', { ups: 'fenton', host: 'bigbox', port: 5678, hostDefaulted: false }],
  ])('splits %s', (system, expected) => {
    expect(splitUpsSystem(system)).toEqual({ ok: true, ...expected });
  });

  it.each([
    ['ups@host:0', 'bad port'],
    ['ups@host:65536', 'bad port'],
    ['ups@host:34x', 'bad port'],
    ['ups@fe80::1', 'brackets'],
    ['ups@[fe80::1', 'missing `]`'],
    ['ups@[::1]x', 'unexpected text'],
    ['@host', 'UPS name'],
    ['ups@', 'host'],
    ['ups:3493', 'needs a host'],
  ])('rejects %s', (system, reason) => {
    const parsed = splitUpsSystem(system);
    expect(parsed.ok).toBe(false);
    if (!parsed.ok) expect(parsed.reason).toContain(reason);
  });

  it('imports an IPv6 master', () => {
    const result = importUpsmonConf({
      upsmonConf: 'MONITOR eaton@[2001:db8::5]:3494 1 observer "pa ss" secondary\n',
    });
    expect(result.config.masters).toMatchObject([
      {
        id: '2001-db8-5-3494',
        label: 'NUT server ([2001:db8::5]:3494)',
        host: '2001:db8::5',
        port: 3494,
        ups: [{ name: 'eaton', username: 'observer' }],
      },
    ]);
    expect(result.secrets[0]?.value).toBe('pa ss');
    expect(lineAt(result, 1).text).toBe(
      'MONITOR eaton@[2001:db8::5]:3494 1 observer [REDACTED] secondary',
    );
  });

  it('defaults host and port like upsmon, and says so', () => {
    const result = importUpsmonConf({ upsmonConf: 'MONITOR myups 1 monuser pw-myups secondary' });
    expect(result.config.masters).toMatchObject([
      { id: 'localhost', host: 'localhost', port: 3493, ups: [{ name: 'myups' }] },
    ]);
    expect(lineAt(result, 1).note).toContain("no host given: localhost, upsmon's default");
  });

  it('groups UPSes by host and port, and power value 0 is monitor-only', () => {
    const result = importUpsmonConf({
      upsmonConf: [
        'MONITOR a@nas 1 u pw-1 slave',
        'MONITOR b@nas:3493 0 u pw-2 slave',
        'MONITOR c@nas:3500 1 u pw-3 slave',
        'MONITOR a@nas 1 u pw-1 slave',
        'MONITOR a@nas:3493 1 u pw-1 slave',
      ].join('\n'),
    });
    expect(
      result.config.masters.map((m) => [m.id, m.port, m.ups.map((u) => `${u.name}:${u.role}`)]),
    ).toEqual([
      ['nas', 3493, ['a:secondary', 'b:monitor-only']],
      ['nas-3500', 3500, ['c:secondary']],
    ]);
    expect(lineAt(result, 2).note).toContain('monitor-only');
    expect(lineAt(result, 4)).toMatchObject({
      status: 'ignored',
      note: expect.stringContaining('same UPS as line 1'),
    });
    expect(lineAt(result, 5)).toMatchObject({
      status: 'ignored',
      note: expect.stringContaining('same UPS as line 1'),
    });
    expect(result.secrets.map((s) => s.key)).toEqual([
      'nut-password:nas:a',
      'nut-password:nas:b',
      'nut-password:nas-3500:c',
    ]);
    // Two UPSes feed this machine: upsmon's default MINSUPPLIES 1 keeps its sum (shut down when both are critical).
    expect(result.config.shutdown.minSupplies).toBe(1);
    expect(result.report.find((r) => r.line === 0)).toMatchObject({
      status: 'mapped',
      note: expect.stringContaining('shutdown.minSupplies = 1'),
    });
  });

  it('keeps passwords exactly as upsmon reads them (quotes, escapes, `!`, `#`) and never reports them', () => {
    const passwords = ['s3c4R3_Kly3Nt_p4sSw0rD!', 'pa ss"q\\z', 'hash#inside', 'x=y'];
    const upsmonConf = [
      'MONITOR u1@h1 1 user s3c4R3_Kly3Nt_p4sSw0rD! slave',
      'MONITOR u2@h2 1 user "pa ss\\"q\\\\z" slave',
      'MONITOR u3@h3 1 user "hash\\#inside" slave # comment',
      'MONITOR u4@h4 1 user "x=y" slave',
    ].join('\n');
    const result = importUpsmonConf({ upsmonConf });
    expect(result.secrets.map((s) => s.value)).toEqual(passwords);
    expectNoLeak(result, passwords);
    expect(lineAt(result, 3).text).toBe('MONITOR u3@h3 1 user [REDACTED] slave # comment');
    expect(JSON.stringify(result.config)).not.toMatch(/s3c4R3|pa ss|hash#inside|x=y/);
  });
});

describe('a broken upsmon.conf', () => {
  const upsmonConf = [
    '# a comment', // 1
    'MONITOR good@nas.example 1 monuser secret-good slave', // 2
    'MONITOR bad@nas.example:99999 1 monuser secret-bad-port slave', // 3
    'MONITOR short@nas 1 monuser', // 4
    'MONITOR old@nas 1 secret-old-style master', // 5
    'MONITOR role@nas 1 monuser secret-role boss', // 6
    'monitor lower@nas 1 monuser secret-lower slave', // 7
    'DEADTIME soon', // 8
    'HOSTSYNC 999999', // 9
    'FROBNICATE 1', // 10
    'NOTIFYFLAG ONBAT SYSLOG', // 11
    'NOTIFYMSG ONBATT', // 12
    'MODE=netclient', // 13
    'AT ONBATT * EXECUTE x', // 14
    'CERTIDENT "my cert" secret-db-pw', // 15
    'MONITOR big@nas 17 monuser secret-pv slave', // 16
    'SHUTDOWNCMD "/sbin/shutdown -h +0', // 17 (unterminated quote: swallows the rest of the file)
    'MONITOR late@nas 1 monuser secret-swallowed slave', // 18
  ].join('\n');
  const result = importUpsmonConf({ upsmonConf });
  const secrets = [
    'secret-good',
    'secret-bad-port',
    'secret-old-style',
    'secret-role',
    'secret-lower',
    'secret-db-pw',
    'secret-pv',
    'secret-swallowed',
  ];

  it('still imports what is usable', () => {
    expect(result.ok).toBe(true);
    expect(result.config.masters.map((m) => [m.host, m.ups.map((u) => u.name)])).toEqual([
      ['nas.example', ['good']],
    ]);
    expect(result.secrets.map((s) => s.value)).toEqual(['secret-good']);
    expectValid(result.config);
    expect(result.config.timing).toEqual(defaultConfig().timing);
  });

  it('reports each problem with its line and reason', () => {
    const errors = result.report.filter((r) => r.status === 'error').map((r) => [r.line, r.note]);
    expect(errors).toEqual([
      [3, expect.stringContaining('bad port 99999')],
      [4, expect.stringContaining('MONITOR needs 5 values')],
      [5, expect.stringContaining('old-style MONITOR without a user name')],
      [6, expect.stringContaining('must be `secondary`')],
      [7, expect.stringContaining('upsmon ignores `monitor` (write `MONITOR`)')],
      [8, 'DEADTIME must be a whole number of seconds'],
      [9, expect.stringMatching(/^HOSTSYNC 999999: Too big.*3600/)],
      [10, 'unknown directive `FROBNICATE`: upsmon ignores it'],
      [11, 'unknown notify type `ONBAT`; upsmon ignores this line'],
      [12, expect.stringContaining('NOTIFYMSG needs a type and a message')],
      [13, expect.stringContaining('nut.conf/ups.conf style setting')],
      [14, expect.stringContaining('belongs in upssched.conf')],
      [16, expect.stringContaining('power value 17 is too large')],
      [17, expect.stringMatching(/quoted string is not closed.*line 18 was read into this quote/)],
    ]);
    expect(lineAt(result, 15).status).toBe('unsupported');
    // The unterminated quote swallowed line 18: it is part of line 17's entry, and not shown.
    expect(result.report.some((r) => r.line === 18)).toBe(false);
    expect(lineAt(result, 17).text).toBe('SHUTDOWNCMD "/sbin/shutdown -h +0 …');
    expect(result.config.shutdown.command).toBeNull();
  });

  it('redacts every password-like word, even on broken lines', () => {
    expectNoLeak(result, secrets);
    expect(lineAt(result, 3).text).toBe('MONITOR bad@nas.example:99999 1 monuser [REDACTED] slave');
    expect(lineAt(result, 5).text).toBe('MONITOR old@nas 1 [REDACTED] [REDACTED]');
    expect(lineAt(result, 6).text).toBe('MONITOR role@nas 1 [REDACTED] [REDACTED] [REDACTED]');
    expect(lineAt(result, 7).text).toBe('monitor lower@nas 1 monuser [REDACTED] slave');
    expect(lineAt(result, 15).text).toBe('CERTIDENT "my cert" [REDACTED]');
  });

  it('counts the problems in the summary', () => {
    expect(result.summary).toMatch(
      /^Found 1 UPS on 1 master; 1 line mapped, 0 ignored, 1 unsupported, 14 errors; 1 password/,
    );
  });

  it('says so when there is nothing to monitor', () => {
    const empty = importUpsmonConf({ upsmonConf: '# nothing\nDEADTIME 30\n' });
    expect(empty.ok).toBe(false);
    expect(empty.config.masters).toEqual([]);
    expect(empty.report.at(-1)).toMatchObject({
      line: 0,
      status: 'error',
      note: expect.stringContaining('no usable MONITOR line'),
    });
    expect(empty.config.timing.deadTimeSeconds).toBe(30);
    expectValid(empty.config);
  });
});

describe('NOTIFYCMD', () => {
  it('upssched without upssched.conf: the rules are not imported, and the report says how to fix it', () => {
    const result = importUpsmonConf({ upsmonConf: fixture('proxmox-vm-upsmon.conf') });
    expect(result.ok).toBe(true);
    expect(result.config.hooks.upssched).toBeUndefined();
    expect(result.config.hooks.notifyCommand).toBeUndefined();
    const line = lineAt(result, 25);
    expect(line.status).toBe('error');
    expect(line.note).toContain('no upssched.conf was given');
    expect(line.note).toContain('were NOT imported');
    expect(line.note).toContain('Import again together with upssched.conf');
  });

  it.each(['/usr/sbin/upssched', '/sbin/upssched', 'upssched'])(
    'recognises %s as upssched',
    (cmd) => {
      const result = importUpsmonConf({
        upsmonConf: `MONITOR a@h 1 u pw-a slave\nNOTIFYCMD ${cmd}\nNOTIFYFLAG ONBATT SYSLOG+EXEC`,
        upsschedConf:
          'CMDSCRIPT /usr/local/bin/ups-cmd\nAT ONBATT * START-TIMER early 300\nAT ONLINE a@h CANCEL-TIMER early online-ack\n',
      });
      expect(result.config.hooks.upssched).toEqual({
        cmdScript: { file: '/usr/local/bin/ups-cmd', args: [] },
        rules: [{ event: 'ONBATT', ups: '*', action: 'START-TIMER', timer: 'early', seconds: 300 }],
      });
      expect(lineAt(result, 2, 'upssched.conf')).toMatchObject({
        status: 'mapped',
        note: '→ rule: on ONBATT from *, start timer `early` (300 s)',
      });
      // ONLINE has no EXEC flag: upsmon never handed it to upssched, so the rule is not imported.
      expect(lineAt(result, 3, 'upssched.conf')).toMatchObject({
        status: 'ignored',
        note: expect.stringMatching(/^not imported: .*ONLINE has no NOTIFYFLAG.*never ran/),
      });
    },
  );

  it('imports a CANCEL-TIMER with its command, and keeps rules of EXEC events only', () => {
    const result = importUpsmonConf({
      upsmonConf:
        'MONITOR a@h 1 u pw-a slave\nNOTIFYCMD upssched\nNOTIFYFLAG ONLINE SYSLOG+EXEC\nNOTIFYFLAG ONBATT SYSLOG',
      upsschedConf:
        'CMDSCRIPT /usr/local/bin/ups-cmd\nAT ONBATT * START-TIMER early 300\nAT ONLINE a@h CANCEL-TIMER early online-ack\n',
    });
    expect(result.config.hooks.upssched?.rules).toEqual([
      {
        event: 'ONLINE',
        ups: 'a@h',
        action: 'CANCEL-TIMER',
        timer: 'early',
        command: 'online-ack',
      },
    ]);
    expect(lineAt(result, 2, 'upssched.conf')).toMatchObject({
      status: 'ignored',
      note: expect.stringContaining('has `NOTIFYFLAG ONBATT` without EXEC (upsmon.conf line 4)'),
    });
    expect(lineAt(result, 2)).toMatchObject({
      note: expect.stringContaining('its 1 rule from upssched.conf is imported'),
    });
  });

  it('splits a plain command and wraps one with shell syntax so the message stays "$1"', () => {
    const plain = importUpsmonConf({
      upsmonConf:
        'MONITOR a@h 1 u pw-a slave\nNOTIFYCMD "/usr/local/bin/notify --to ops"\nNOTIFYFLAG ONBATT EXEC',
    });
    expect(plain.config.hooks.notifyCommand).toEqual({
      file: '/usr/local/bin/notify',
      args: ['--to', 'ops'],
    });
    const shell = importUpsmonConf({
      upsmonConf:
        'MONITOR a@h 1 u pw-a slave\nNOTIFYCMD "/usr/local/bin/notify >> /var/log/ups.log"\nNOTIFYFLAG ONBATT EXEC',
    });
    expect(shell.config.hooks.notifyCommand).toEqual({
      file: '/bin/sh',
      args: ['-c', '/usr/local/bin/notify >> /var/log/ups.log "$1"', 'sh'],
    });
    expect(lineAt(shell, 2).note).toMatch(/redirection.*\/bin\/sh/);
    const noExec = importUpsmonConf({
      upsmonConf: 'MONITOR a@h 1 u pw-a slave\nNOTIFYCMD /usr/local/bin/notify',
    });
    expect(lineAt(noExec, 2).note).toContain('no NOTIFYFLAG has EXEC');
  });

  it('ignores upssched.conf when NOTIFYCMD is not upssched, as upsmon did', () => {
    const result = importUpsmonConf({
      upsmonConf: 'MONITOR a@h 1 u pw-a slave',
      upsschedConf: fixture('proxmox-vm-upssched.conf'),
    });
    expect(result.config.hooks.upssched).toBeUndefined();
    expect(result.report.filter((r) => r.file === 'upssched.conf').map((r) => r.status)).toEqual(
      Array(6).fill('ignored'),
    );
  });

  it('reports upssched.conf problems', () => {
    const result = importUpsmonConf({
      upsmonConf: 'MONITOR apc@h:3493 1 u pw-apc slave\nNOTIFYCMD upssched\nNOTIFYFLAG ONBATT EXEC',
      upsschedConf: [
        'AT ONBATT apc@h:3493 EXECUTE early', // 1: before CMDSCRIPT, and renamed to NUT Sentinel's system string
        'CMDSCRIPT "/opt/ups cmd.sh"', // 2: upssched's shell split this at the space too
        'AT ONBATT * START-TIMER t', // 3
        'AT FOO * EXECUTE x', // 4
        'AT ONBATT other@elsewhere EXECUTE x', // 5
        'AT onbatt * START-TIMER-SHARED t 5', // 6
        'AT ONBATT * RESTART t', // 7
        'PIPEFN /run/nut/upssched.pipe', // 8
      ].join('\n'),
    });
    const sched = (n: number) => lineAt(result, n, 'upssched.conf');
    expect(sched(1)).toMatchObject({
      status: 'mapped',
      note: expect.stringMatching(/names this UPS `apc@h`.*CMDSCRIPT before the AT lines/),
    });
    expect(result.config.hooks.upssched?.rules[0]).toEqual({
      event: 'ONBATT',
      ups: 'apc@h',
      action: 'EXECUTE',
      command: 'early',
    });
    expect(result.config.hooks.upssched?.cmdScript).toEqual({ file: '/opt/ups', args: ['cmd.sh'] });
    expect(sched(3)).toMatchObject({
      status: 'error',
      note: 'START-TIMER needs a timer name and seconds',
    });
    expect(sched(4)).toMatchObject({ status: 'error', note: 'unknown notify type `FOO`' });
    expect(sched(5)).toMatchObject({
      status: 'mapped',
      note: expect.stringContaining('not in any MONITOR line, so this rule never fires'),
    });
    expect(sched(6).status).toBe('unsupported');
    expect(sched(7)).toMatchObject({
      status: 'error',
      note: expect.stringContaining('unknown upssched command `RESTART`'),
    });
    expect(sched(8).status).toBe('ignored');
    expectValid(result.config);
  });

  it('does not import rules without a CMDSCRIPT', () => {
    const result = importUpsmonConf({
      upsmonConf: 'MONITOR a@h 1 u pw-a slave\nNOTIFYCMD upssched\nNOTIFYFLAG ONBATT EXEC',
      upsschedConf: 'AT ONBATT * EXECUTE x\n',
    });
    expect(result.config.hooks.upssched).toBeUndefined();
    expect(lineAt(result, 1, 'upssched.conf')).toMatchObject({
      status: 'error',
      note: expect.stringContaining('no CMDSCRIPT'),
    });
    expect(result.report.find((r) => r.file === 'upssched.conf' && r.line === 0)?.note).toContain(
      'no CMDSCRIPT',
    );
  });
});

describe('other directives', () => {
  const base = 'MONITOR a@h 1 u pw-a slave\n';

  it('maps the timing directives; the last one wins, like upsmon', () => {
    const result = importUpsmonConf({
      upsmonConf: `${base}DEADTIME 25\nHOSTSYNC 30\nFINALDELAY 0\nNOCOMMWARNTIME 600\nRBWARNTIME 86400\nDEADTIME 45`,
    });
    expect(result.config.timing).toMatchObject({
      deadTimeSeconds: 45,
      hostSyncSeconds: 30,
      finalDelaySeconds: 0,
      noCommWarnSeconds: 600,
      rbWarnSeconds: 86400,
    });
    expect(lineAt(result, 2)).toMatchObject({
      status: 'ignored',
      note: expect.stringContaining('replaced by line 7'),
    });
  });

  it('notes POLLFREQ but keeps the fast status poll', () => {
    const result = importUpsmonConf({ upsmonConf: `${base}POLLFREQ 5\nPOLLFREQALERT 2` });
    expect(result.config.timing.statusPollSeconds).toBe(0.5);
    expect(result.settings.statusPollCeilingSeconds).toBe(2);
    expect(lineAt(result, 2)).toMatchObject({
      status: 'ignored',
      note: expect.stringContaining('noted, not needed: NUT Sentinel polls ups.status every 0.5 s'),
    });
  });

  it('maps NOTIFYFLAG combinations', () => {
    const result = importUpsmonConf({
      upsmonConf: `${base}NOTIFYFLAG ONBATT WALL\nNOTIFYFLAG ONLINE IGNORE\nNOTIFYFLAG LOWBATT SYSLOG+WALL+EXEC\nNOTIFYFLAG FSD EXEC+BOGUS\nNOTIFYFLAG COMMOK SYSLOG+IGNORE`,
    });
    expect(result.config.hooks.events).toEqual({
      ONBATT: { notify: true, exec: false },
      ONLINE: { notify: false, exec: false },
      LOWBATT: { notify: true, exec: true },
      FSD: { notify: false, exec: true },
      COMMOK: { notify: false, exec: false },
    });
    expect(lineAt(result, 5).note).toContain('unknown flag `BOGUS` ignored');
    expect(lineAt(result, 6).note).toContain('IGNORE wins');
  });

  it('maps FORCESSL and CERTVERIFY onto every master', () => {
    const forced = importUpsmonConf({ upsmonConf: `FORCESSL 1\n${base}` });
    expect(forced.config.masters[0]?.tls).toEqual({ mode: 'required', insecure: true });
    expect(lineAt(forced, 1).note).toContain('tls.mode = required');
    const verified = importUpsmonConf({
      upsmonConf: `${base}FORCESSL 1\nCERTVERIFY 1\nCERTPATH /etc/nut/cert`,
    });
    expect(verified.config.masters[0]?.tls).toEqual({ mode: 'required', insecure: false });
    expect(lineAt(verified, 3).note).toContain('pin its SHA-256 fingerprint');
    expect(lineAt(verified, 4).status).toBe('unsupported');
    const off = importUpsmonConf({ upsmonConf: `${base}FORCESSL 0` });
    expect(off.config.masters[0]?.tls.mode).toBe('off');
    expect(lineAt(off, 2).status).toBe('ignored');
  });

  it("MINSUPPLIES: 0 makes every UPS monitor-only; redundant supplies keep upsmon's sum; more than the UPSes feed is an error", () => {
    const zero = importUpsmonConf({
      upsmonConf: `${base}MONITOR b@h 1 u pw-b slave\nMINSUPPLIES 0`,
    });
    expect(zero.config.masters[0]?.ups.map((u) => u.role)).toEqual([
      'monitor-only',
      'monitor-only',
    ]);
    expect(zero.config.shutdown.minSupplies).toBeNull();
    expect(lineAt(zero, 3).status).toBe('mapped');

    const single = importUpsmonConf({ upsmonConf: `${base}MINSUPPLIES 1` });
    expect(lineAt(single, 2).status).toBe('ignored');
    expect(single.config.shutdown.minSupplies).toBeNull(); // one UPS of power 1: "critical ⇒ shut down", our default

    const redundant = importUpsmonConf({
      upsmonConf: `${base}MONITOR b@h2 1 u pw-b slave\nMINSUPPLIES 2`,
    });
    expect(redundant.config.shutdown.minSupplies).toBe(2);
    expect(lineAt(redundant, 3)).toMatchObject({
      status: 'mapped',
      note: expect.stringContaining('fewer than 2 of its supplies'),
    });

    const tooMany = importUpsmonConf({ upsmonConf: `${base}MINSUPPLIES 2` });
    expect(lineAt(tooMany, 2)).toMatchObject({
      status: 'error',
      note: expect.stringContaining('upsmon refuses to start'),
    });
    expect(tooMany.ok).toBe(true);
    expect(tooMany.config.shutdown.minSupplies).toBeNull();
  });

  it('explains directives it does not import', () => {
    const result = importUpsmonConf({
      upsmonConf: `${base}POWERDOWNFLAG /etc/killpower\nRUN_AS_USER nut\nDEBUG_MIN 2\nOFFDURATION 30\nOBLBDURATION 10\nCERTHOST nas "nas cert" 1 1\nSHUTDOWNEXIT yes`,
    });
    expect(result.report.slice(1).map((r) => [r.line, r.status])).toEqual([
      [2, 'ignored'],
      [3, 'ignored'],
      [4, 'ignored'],
      [5, 'ignored'],
      [6, 'unsupported'],
      [7, 'unsupported'],
      [8, 'ignored'],
    ]);
    for (const r of result.report) expect(r.note).not.toBe('');
  });
});

describe('mergeImported', () => {
  const imported = importUpsmonConf({
    upsmonConf: [
      'MONITOR apc@192.168.1.107 1 upsmonclient pw-apc slave',
      'MONITOR second@192.168.1.107 1 upsmonclient pw-second slave',
      'MONITOR ups@192.168.8.99 1 monuser pw-nas slave',
      'RBWARNTIME 7200',
      'NOTIFYMSG ONBATT "on battery: %s"',
      'POLLFREQ 2',
    ].join('\n'),
  });

  const current = ConfigSchema.parse({
    masters: [
      {
        id: 'pve',
        label: 'My Proxmox',
        preset: 'proxmox',
        host: '192.168.1.107',
        ups: [{ name: 'APC', username: 'old-user' }],
      },
      { id: '192-168-8-99', label: 'Other box', host: '10.0.0.9', ups: [{ name: 'x' }] },
    ],
    timing: { statusPollSeconds: 10, deadTimeSeconds: 40 },
    hooks: { events: { ONBATT: { exec: true } } },
  });

  const merged = mergeImported(current, imported);

  it('merges UPS lists of the same host:port without touching existing entries', () => {
    expect(merged.config.masters[0]).toEqual({
      ...current.masters[0],
      ups: [current.masters[0]!.ups[0], imported.config.masters[0]!.ups[1]],
    });
    expect(merged.notes).toContain(
      'master pve: UPS apc already configured, kept as it is (its stored password stays; the imported one is not stored)',
    );
    expect(merged.notes).toContain('master pve: UPS second added');
  });

  it('adds new masters with a unique id and re-keys their passwords', () => {
    expect(merged.config.masters[1]).toEqual(current.masters[1]);
    expect(merged.config.masters[2]).toMatchObject({ id: '192-168-8-99-2', host: '192.168.8.99' });
    expect(merged.secrets).toEqual([
      { key: 'nut-password:pve:second', value: 'pw-second', masterId: 'pve', upsName: 'second' },
      {
        key: 'nut-password:192-168-8-99-2:ups',
        value: 'pw-nas',
        masterId: '192-168-8-99-2',
        upsName: 'ups',
      },
    ]);
  });

  it('applies only the settings the file set, and lists them', () => {
    expect(merged.config.timing).toEqual({
      ...current.timing,
      rbWarnSeconds: 7200,
      statusPollSeconds: 2,
    });
    expect(merged.config.hooks.events.ONBATT).toEqual({ exec: true, message: 'on battery: %s' });
    expect(merged.notes).toContain('timing.rbWarnSeconds: 43200 → 7200');
    expect(merged.notes.some((n) => n.startsWith('timing.statusPollSeconds'))).toBe(true);
    expectValid(merged.config);
  });

  it("keeps upsmon's MINSUPPLIES for several feeding UPSes, and leaves it off when kept entries feed less", () => {
    expect(merged.config.shutdown.minSupplies).toBe(1);
    expect(merged.notes).toContain('shutdown.minSupplies: null → 1');
    const three = importUpsmonConf({
      upsmonConf: [
        'MONITOR apc@192.168.1.107 1 u pw-1 slave',
        'MONITOR second@192.168.1.107 1 u pw-2 slave',
        'MONITOR third@192.168.1.107 1 u pw-3 slave',
        'MINSUPPLIES 3',
      ].join('\n'),
    });
    expect(three.config.shutdown.minSupplies).toBe(3);
    const apcWatchedOnly = ConfigSchema.parse({
      masters: [
        { id: 'pve', label: 'PVE', host: '192.168.1.107', ups: [{ name: 'apc', powerValue: 0 }] },
      ],
    });
    const result = mergeImported(apcWatchedOnly, three);
    expect(result.config.shutdown.minSupplies).toBeNull();
    expect(result.notes).toContain(
      'shutdown.minSupplies: 3 is more than the secondary UPSes now feed (2), so it is left off',
    );
  });

  it('merging into the defaults gives the imported config', () => {
    const fromDefaults = mergeImported(defaultConfig(), imported);
    expect(fromDefaults.config).toEqual(imported.config);
    expect(fromDefaults.secrets).toEqual(imported.secrets);
  });
});

describe('properties', () => {
  /** A word as upsmon.conf writes it: quoted, with `\` and `"` escaped. */
  const quote = (s: string) => `"${s.replace(/[\\"]/g, (c) => `\\${c}`)}"`;
  const printable = fc.string({
    unit: fc.integer({ min: 0x20, max: 0x7e }).map((c) => String.fromCharCode(c)),
    minLength: 1,
    maxLength: 24,
  });

  it('never throws and always returns a valid config, whatever the text', () => {
    // Random text, and a soup of the pieces that matter to the tokenizer and the importer.
    const piece = fc.constantFrom(
      'MONITOR ',
      'AT ',
      'NOTIFYCMD ',
      'CMDSCRIPT ',
      'NOTIFYFLAG ',
      'NOTIFYMSG ',
      'SHUTDOWNCMD ',
      'FORCESSL 1',
      'MINSUPPLIES 0',
      'DEADTIME ',
      'upssched',
      'ups@h',
      'ups@[::1]:3493',
      ':0',
      '1 ',
      '0 ',
      'user ',
      'pw! ',
      'slave',
      'master',
      'ONBATT ',
      'ONLINE ',
      '* ',
      'EXECUTE ',
      'START-TIMER ',
      'CANCEL-TIMER ',
      'SYSLOG+EXEC',
      '"',
      '\\',
      '#',
      '=',
      ' ',
      '\t',
      '\n',
      '\r\n',
      'é',
      '\u0000',
    );
    const soup = fc.array(piece, { maxLength: 80 }).map((p) => p.join(''));
    const text = fc.oneof(fc.string({ maxLength: 400 }), soup);
    fc.assert(
      fc.property(text, fc.option(text, { nil: undefined }), (upsmonConf, upsschedConf) => {
        const result = importUpsmonConf({ upsmonConf, upsschedConf });
        expect(validateConfig(result.config).ok).toBe(true);
        expectNoLeak(
          result,
          result.secrets.map((s) => s.value),
        );
      }),
      { numRuns: 1500 },
    );
  });

  it('never leaks a MONITOR password into the report', () => {
    const directive = fc.constantFrom(
      'MONITOR',
      'NOTIFYCMD',
      'SHUTDOWNCMD',
      'NOTIFYMSG',
      'DEADTIME',
      'FOO',
      'CERTIDENT',
      '#',
      'AT',
    );
    // Noise must not run into the MONITOR line (an opening quote or a trailing backslash would join it).
    const bare = printable.filter((w) => !w.includes('"') && !w.includes('\\'));
    const noise = fc.array(
      fc
        .tuple(directive, fc.array(fc.oneof(bare, printable.map(quote)), { maxLength: 5 }))
        .map(([d, ws]) => [d, ...ws].join(' ')),
      {
        maxLength: 6,
      },
    );
    fc.assert(
      fc.property(
        noise,
        noise,
        printable,
        printable,
        fc.constantFrom('slave', 'secondary', 'master', 'primary'),
        (before, after, password, user, role) => {
          const monitor = `MONITOR ups@nas.example 1 ${quote(user)} ${quote(password)} ${role}`;
          const upsmonConf = [...before, monitor, ...after].join('\n');
          const result = importUpsmonConf({ upsmonConf, upsschedConf: after.join('\n') });
          expect(result.secrets.map((s) => s.value)).toContain(password);
          expectNoLeak(result, [password]);
          expect(
            result.config.masters
              .flatMap((m) => m.ups)
              .every((u) => u.password.source === 'store' || u.password.source === 'none'),
          ).toBe(true);
        },
      ),
      { numRuns: 1500 },
    );
  });
});
