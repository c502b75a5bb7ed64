import { describe, expect, it } from 'vitest';
import { ConfigSchema, defaultConfig, type Config } from '../../shared/config';
import { validateConfig } from './config-file';
import { planImport } from './import-plan';
import { importUpsmonConf } from './upsmon-import';

/** The homelab of the walk-through: a Proxmox master with timers set up by hand. */
const current: Config = ConfigSchema.parse({
  masters: [
    {
      id: 'pve',
      label: 'My Proxmox',
      host: '192.168.1.107',
      ups: [{ name: 'apc', username: 'old-user' }],
    },
  ],
  hooks: {
    notifyCommand: { file: '/usr/local/bin/notify-me' },
    upssched: {
      cmdScript: { file: '/usr/local/bin/timers' },
      rules: [
        { event: 'ONBATT', action: 'START-TIMER', timer: 'onbatt', seconds: 120 },
        { event: 'ONLINE', action: 'CANCEL-TIMER', timer: 'onbatt' },
      ],
    },
  },
  shutdown: { command: { file: '/sbin/poweroff' } },
});

const imported = importUpsmonConf({
  upsmonConf: [
    'MONITOR apc@192.168.1.107 1 upsmonclient pw-apc slave',
    'MONITOR second@192.168.1.107 1 upsmonclient pw-second slave',
    'NOTIFYCMD /usr/sbin/upssched',
    'NOTIFYFLAG ONBATT SYSLOG+EXEC',
    'NOTIFYFLAG LOWBATT SYSLOG+EXEC',
    'SHUTDOWNCMD "/sbin/shutdown -h +0"',
  ].join('\n'),
  upsschedConf: [
    'CMDSCRIPT /usr/sbin/upssched-cmd',
    'AT ONBATT * START-TIMER onbatt 30',
    'AT LOWBATT * EXECUTE lowbatt',
  ].join('\n'),
});

describe('planImport over existing timers', () => {
  const planned = planImport({ current, imported });
  const byId = new Map(planned.plan.items.map((i) => [i.id, i]));

  it('says the master was merged, by host and port, not imported', () => {
    expect(imported.ok).toBe(true);
    expect(planned.plan.items[0]).toEqual({
      id: 'master:192.168.1.107:3493',
      area: 'master',
      action: 'merge',
      summary:
        'merged into the existing master pve “My Proxmox” (192.168.1.107 port 3493): UPS second added; UPS apc already configured, kept as it is (the stored password stays; the imported one is not stored)',
      before: null,
      after: null,
    });
    expect(planned.plan.summary).toMatch(/^1 existing master merged \(UPSes added\)/);
    expect(planned.plan.summary).not.toMatch(/master added/);
  });

  it('shows each replaced timer rule with before and after, and the choice where both can coexist', () => {
    expect(byId.get('upssched-rule:ONBATT * START-TIMER onbatt')).toMatchObject({
      action: 'replace',
      before: 'AT ONBATT * START-TIMER onbatt 120',
      after: 'AT ONBATT * START-TIMER onbatt 30',
    });
    expect(byId.get('upssched-rule:ONBATT * START-TIMER onbatt')?.choice).toBeUndefined();
    expect(byId.get('upssched-rule:ONLINE * CANCEL-TIMER onbatt')).toMatchObject({
      action: 'replace',
      before: 'AT ONLINE * CANCEL-TIMER onbatt',
      after: null,
      choice: 'replace',
    });
    expect(byId.get('upssched-rule:LOWBATT * EXECUTE lowbatt')).toMatchObject({ action: 'add' });
    expect(byId.get('hooks.upssched.cmdScript')).toMatchObject({
      action: 'replace',
      before: '/usr/local/bin/timers',
      after: '/usr/sbin/upssched-cmd',
    });
    expect(byId.get('shutdown.command')).toMatchObject({
      action: 'replace',
      summary: 'SHUTDOWNCMD: /sbin/poweroff → /sbin/shutdown -h +0',
      before: '/sbin/poweroff',
      after: '/sbin/shutdown -h +0',
    });
    // NOTIFYCMD upssched: upsmon ran only upssched for EXEC events.
    expect(byId.get('hooks.notifyCommand')).toMatchObject({ action: 'remove', choice: 'replace' });
    expect(planned.plan.summary).toContain('2 upssched rules replaced');
    expect(planned.plan.summary).toContain('shutdown command replaced');
  });

  it('applies exactly the plan (defaults: replace)', () => {
    expect(planned.config.masters).toHaveLength(1);
    expect(planned.config.masters[0]!.ups.map((u) => u.name)).toEqual(['apc', 'second']);
    expect(planned.config.hooks.upssched).toEqual({
      cmdScript: { file: '/usr/sbin/upssched-cmd', args: [] },
      rules: [
        { event: 'ONBATT', ups: '*', action: 'START-TIMER', timer: 'onbatt', seconds: 30 },
        { event: 'LOWBATT', ups: '*', action: 'EXECUTE', command: 'lowbatt' },
      ],
    });
    expect(planned.config.hooks.notifyCommand).toBeUndefined();
    expect(planned.secrets.map((s) => s.key)).toEqual(['nut-password:pve:second']);
    expect(validateConfig(planned.config).ok).toBe(true);
  });

  it('keep choices keep the current rule and NOTIFYCMD next to the imported ones, and the plan says so', () => {
    const kept = planImport({
      current,
      imported,
      choices: {
        'upssched-rule:ONLINE * CANCEL-TIMER onbatt': 'keep',
        'hooks.notifyCommand': 'keep',
      },
    });
    const items = new Map(kept.plan.items.map((i) => [i.id, i]));
    expect(items.get('upssched-rule:ONLINE * CANCEL-TIMER onbatt')).toMatchObject({
      action: 'unchanged',
      choice: 'keep',
      after: 'AT ONLINE * CANCEL-TIMER onbatt',
    });
    expect(items.get('hooks.notifyCommand')).toMatchObject({ action: 'unchanged', choice: 'keep' });
    expect(kept.config.hooks.upssched?.rules).toEqual([
      { event: 'ONLINE', ups: '*', action: 'CANCEL-TIMER', timer: 'onbatt' },
      { event: 'ONBATT', ups: '*', action: 'START-TIMER', timer: 'onbatt', seconds: 30 },
      { event: 'LOWBATT', ups: '*', action: 'EXECUTE', command: 'lowbatt' },
    ]);
    expect(kept.config.hooks.notifyCommand).toEqual({ file: '/usr/local/bin/notify-me', args: [] });
    expect(kept.plan.summary).toContain('1 upssched rule replaced');
    expect(kept.plan.summary).toContain('1 current upssched rule kept');
    // The digest names the plan: the same for the same plan, another one for another.
    expect(planImport({ current, imported }).plan.digest).toBe(planned.plan.digest);
    expect(kept.plan.digest).not.toBe(planned.plan.digest);
  });

  it('imports nothing new when the same files are imported again', () => {
    const again = planImport({ current: planned.config, imported });
    expect(again.plan.items.map((i) => [i.id, i.action])).toEqual([
      ['master:192.168.1.107:3493', 'unchanged'],
    ]);
    expect(again.config).toEqual(planned.config);
    expect(again.secrets).toEqual([]);
    expect(again.plan.summary).toBe('nothing changes in the current configuration');
  });
});

describe('planImport into the defaults', () => {
  it('adds the master and lists every setting the files set', () => {
    const result = importUpsmonConf({
      upsmonConf: 'MONITOR ups@192.168.8.99 1 monuser pw slave\nDEADTIME 30\n',
    });
    const planned = planImport({ current: defaultConfig(), imported: result });
    expect(planned.plan.items.map((i) => i.summary)).toEqual([
      'master 192-168-8-99 (192.168.8.99 port 3493) added with ups',
      'DEADTIME: timing.deadTimeSeconds 15 s → 30 s',
    ]);
    expect(planned.plan.summary).toBe('1 master added, 1 timing setting changed');
    expect(planned.config).toEqual(result.config);
  });
});

describe('imported hooks are consistent', () => {
  it('flags EXEC events with nothing to run', () => {
    const result = importUpsmonConf({
      upsmonConf:
        'MONITOR ups@nas 1 monuser pw slave\nNOTIFYFLAG ONBATT SYSLOG+EXEC\nNOTIFYFLAG LOWBATT EXEC\n',
    });
    const { plan } = planImport({ current: defaultConfig(), imported: result });
    expect(plan.problems).toEqual([
      expect.objectContaining({
        severity: 'warning',
        message:
          'ONBATT, LOWBATT are marked EXEC, but there is no NOTIFYCMD (and no upssched setup): nothing would run for them.',
      }),
    ]);
  });

  it('says which current EXEC events would now run the imported NOTIFYCMD', () => {
    const withExec = ConfigSchema.parse({
      ...current,
      hooks: {
        notifyCommand: { file: '/usr/local/bin/notify-me' },
        events: { ONLINE: { exec: true } },
      },
    });
    const result = importUpsmonConf({
      upsmonConf:
        'MONITOR ups@nas 1 monuser pw slave\nNOTIFYCMD /usr/local/bin/new-notify\nNOTIFYFLAG ONBATT EXEC\n',
    });
    const { plan } = planImport({ current: withExec, imported: result });
    expect(plan.items.find((i) => i.id === 'hooks.notifyCommand')).toMatchObject({
      action: 'replace',
      before: '/usr/local/bin/notify-me',
      after: '/usr/local/bin/new-notify',
    });
    expect(plan.problems.map((p) => p.message)).toEqual([
      'ONLINE keeps EXEC from the current settings (upsmon.conf does not mention it), so the imported NOTIFYCMD /usr/local/bin/new-notify will run for it too.',
    ]);
  });

  it('flags imported programs that cannot run here', () => {
    const { plan } = planImport({
      current,
      imported,
      programProblems: new Map([['/usr/sbin/upssched-cmd', 'does not exist on this machine']]),
    });
    expect(plan.problems).toEqual([
      {
        severity: 'warning',
        message:
          'The imported upssched CMDSCRIPT program /usr/sbin/upssched-cmd does not exist on this machine: it would fail when it is needed.',
        fix: expect.stringContaining('chmod +x') as string,
      },
    ]);
  });
});
