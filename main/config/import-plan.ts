/**
 * The plan of an import: exactly what applying an upsmon.conf/upssched.conf import changes in the
 * current config, computed before anything is applied, and the config that applying it gives.
 * The preview, the apply report, the CLI and the event log all show this one plan, so what was
 * announced is what happened.
 *
 * - Masters are added or merged by host and port (import-merge.ts `mergeImported`).
 * - Single-valued settings (DEADTIME…, NOTIFYMSG/NOTIFYFLAG per event, NOTIFYCMD, CMDSCRIPT,
 *   SHUTDOWNCMD, MINSUPPLIES) are added or replaced.
 * - upssched rules are compared one by one (`AT event ups action timer`): added, replaced when the
 *   same timer or command is set differently, unchanged when identical.
 * - Where the current and the imported setting can coexist, the item carries a keep/replace
 *   choice (default replace, as upsmon would read the files): a current upssched rule the
 *   imported upssched.conf does not have, and a current NOTIFYCMD when upsmon.conf hands its EXEC
 *   events to upssched instead.
 * - Problems are flagged, never applied silently: an event marked EXEC with nothing to run, a
 *   current EXEC event that would now run the imported NOTIFYCMD, an imported program that is
 *   missing or not executable here (found by program-check.ts, passed in: this module is pure).
 */
import { createHash } from 'node:crypto';
import type { Command, Config, UpsschedRule } from '../../shared/config';
import type { ImportChoice, ImportPlan, ImportPlanItem, ImportProblem } from '../../shared/ipc';
import type { NotifyType } from '../../shared/notify-types';
import {
  mergeImported,
  type EventPolicy,
  type ImportedConfig,
  type ImportedSettings,
} from './import-merge';
import { plural, type ImportedSecret } from './import-report';
import { describeCommand } from './shell-command';

export interface ImportPlanInput {
  current: Config;
  imported: ImportedConfig;
  /** keep/replace per item id; items not named take their default (replace). */
  choices?: Readonly<Record<string, ImportChoice>>;
  /** Why an imported program cannot run here, by program path (see `importedPrograms`). */
  programProblems?: ReadonlyMap<string, string>;
}

export interface PlannedImport {
  plan: ImportPlan;
  /** The current config with the plan applied (with the choices made). */
  config: Config;
  /** The imported passwords to store, keyed with the final master ids. */
  secrets: ImportedSecret[];
}

/** A program the import would run: the caller checks it (program-check.ts) before planning. */
export interface ImportedProgram {
  what: string;
  file: string;
}

const TIMING_DIRECTIVES: Record<keyof ImportedSettings['timing'], string> = {
  deadTimeSeconds: 'DEADTIME',
  hostSyncSeconds: 'HOSTSYNC',
  finalDelaySeconds: 'FINALDELAY',
  noCommWarnSeconds: 'NOCOMMWARNTIME',
  rbWarnSeconds: 'RBWARNTIME',
};

const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);

/** A rule as upssched.conf writes it. */
export function describeRule(rule: UpsschedRule): string {
  const head = `AT ${rule.event} ${rule.ups} ${rule.action}`;
  switch (rule.action) {
    case 'START-TIMER':
      return `${head} ${rule.timer} ${rule.seconds}`;
    case 'CANCEL-TIMER':
      return `${head} ${rule.timer}${rule.command ? ` ${rule.command}` : ''}`;
    case 'EXECUTE':
      return `${head} ${rule.command}`;
  }
}

/** What a rule is about: two rules with the same identity set the same timer or command. */
function ruleIdentity(rule: UpsschedRule): string {
  const what = rule.action === 'EXECUTE' ? rule.command : rule.timer;
  return `${rule.event} ${rule.ups} ${rule.action} ${what}`;
}

function describePolicy(policy: EventPolicy | undefined): string {
  if (!policy || Object.keys(policy).length === 0) return 'defaults';
  const parts: string[] = [];
  if (policy.notify !== undefined) parts.push(`notify ${policy.notify ? 'on' : 'off'}`);
  if (policy.exec !== undefined) parts.push(`exec ${policy.exec ? 'on' : 'off'}`);
  if (policy.message !== undefined) parts.push(`message ${JSON.stringify(policy.message)}`);
  return parts.join(', ');
}

const PLATFORM_DEFAULT = "the platform's default shutdown command";

/** The programs an import would run, for program-check.ts. */
export function importedPrograms(settings: ImportedSettings): ImportedProgram[] {
  const programs: ImportedProgram[] = [];
  if (settings.shutdownCommand)
    programs.push({ what: 'SHUTDOWNCMD', file: settings.shutdownCommand.file });
  if (settings.notifyCommand)
    programs.push({ what: 'NOTIFYCMD', file: settings.notifyCommand.file });
  if (settings.upssched)
    programs.push({ what: 'upssched CMDSCRIPT', file: settings.upssched.cmdScript.file });
  return programs;
}

/** Plans the import over `current` and applies the plan with the choices made (see the module comment). */
export function planImport(input: ImportPlanInput): PlannedImport {
  const { current, imported } = input;
  const choices = input.choices ?? {};
  const chosen = (id: string): ImportChoice => choices[id] ?? 'replace';
  const items: ImportPlanItem[] = [];
  const settings: ImportedSettings = structuredClone(imported.settings);
  const item = (
    id: string,
    area: ImportPlanItem['area'],
    action: ImportPlanItem['action'],
    summary: string,
    before: string | null,
    after: string | null,
    choice?: ImportChoice,
  ) => {
    items.push({ id, area, action, summary, before, after, ...(choice ? { choice } : {}) });
  };

  for (const [key, value] of Object.entries(settings.timing) as [
    keyof ImportedSettings['timing'],
    number | undefined,
  ][]) {
    if (value === undefined || current.timing[key] === value) continue;
    const before = `${current.timing[key]} s`;
    item(
      `timing.${key}`,
      'timing',
      'replace',
      `${TIMING_DIRECTIVES[key]}: timing.${key} ${before} → ${value} s`,
      before,
      `${value} s`,
    );
  }
  const ceiling = settings.statusPollCeilingSeconds;
  if (ceiling !== undefined && current.timing.statusPollSeconds > ceiling) {
    item(
      'timing.statusPollSeconds',
      'timing',
      'replace',
      `POLLFREQ: the status poll ${current.timing.statusPollSeconds} s → ${ceiling} s (never slower than upsmon polled)`,
      `${current.timing.statusPollSeconds} s`,
      `${ceiling} s`,
    );
  }

  for (const [type, policy] of Object.entries(settings.events) as [
    NotifyType,
    EventPolicy | undefined,
  ][]) {
    if (!policy) continue;
    const before = current.hooks.events[type];
    const after: EventPolicy = { ...before };
    for (const field of ['message', 'notify', 'exec'] as const)
      if (policy[field] !== undefined) Object.assign(after, { [field]: policy[field] });
    if (same(before, after)) continue;
    item(
      `hooks.events.${type}`,
      'hooks',
      before ? 'replace' : 'add',
      `${type} (NOTIFYFLAG/NOTIFYMSG): ${describePolicy(before)} → ${describePolicy(after)}`,
      before ? describePolicy(before) : null,
      describePolicy(after),
    );
  }

  let removeNotifyCommand = false;
  const currentNotify = current.hooks.notifyCommand;
  if (settings.notifyCommand) {
    if (!same(currentNotify, settings.notifyCommand))
      item(
        'hooks.notifyCommand',
        'hooks',
        currentNotify ? 'replace' : 'add',
        `NOTIFYCMD: ${currentNotify ? `${describeCommand(currentNotify)} → ` : ''}${describeCommand(settings.notifyCommand)}`,
        currentNotify ? describeCommand(currentNotify) : null,
        describeCommand(settings.notifyCommand),
      );
  } else if (settings.upssched && currentNotify) {
    // upsmon handed EXEC events to upssched alone; the current NOTIFYCMD would run for them too.
    const choice = chosen('hooks.notifyCommand');
    removeNotifyCommand = choice === 'replace';
    item(
      'hooks.notifyCommand',
      'hooks',
      removeNotifyCommand ? 'remove' : 'unchanged',
      removeNotifyCommand
        ? `NOTIFYCMD ${describeCommand(currentNotify)} is removed: upsmon.conf hands EXEC events to upssched instead`
        : `NOTIFYCMD ${describeCommand(currentNotify)} is kept, and runs next to upssched for EXEC events`,
      describeCommand(currentNotify),
      removeNotifyCommand ? null : describeCommand(currentNotify),
      choice,
    );
  }

  if (settings.upssched) {
    const previous = current.hooks.upssched;
    const cmdScript = settings.upssched.cmdScript;
    if (!previous || !same(previous.cmdScript, cmdScript))
      item(
        'hooks.upssched.cmdScript',
        'upssched',
        previous ? 'replace' : 'add',
        `upssched CMDSCRIPT: ${previous ? `${describeCommand(previous.cmdScript)} → ` : ''}${describeCommand(cmdScript)}`,
        previous ? describeCommand(previous.cmdScript) : null,
        describeCommand(cmdScript),
      );
    const currentRules = previous?.rules ?? [];
    const importedIds = new Set(settings.upssched.rules.map(ruleIdentity));
    const kept: UpsschedRule[] = [];
    const seen = new Set<string>();
    for (const rule of currentRules) {
      const identity = ruleIdentity(rule);
      if (importedIds.has(identity)) continue;
      let id = `upssched-rule:${identity}`;
      for (let n = 2; seen.has(id); n++) id = `upssched-rule:${identity}#${n}`;
      seen.add(id);
      const choice = chosen(id);
      if (choice === 'keep') kept.push(rule);
      item(
        id,
        'upssched',
        choice === 'keep' ? 'unchanged' : 'replace',
        choice === 'keep'
          ? `upssched rule ${describeRule(rule)} is kept next to the imported rules`
          : `upssched rule ${describeRule(rule)} is replaced by the imported upssched.conf (it has no such rule)`,
        describeRule(rule),
        choice === 'keep' ? describeRule(rule) : null,
        choice,
      );
    }
    for (const rule of settings.upssched.rules) {
      const identity = ruleIdentity(rule);
      let id = `upssched-rule:${identity}`;
      for (let n = 2; seen.has(id); n++) id = `upssched-rule:${identity}#${n}`;
      seen.add(id);
      const match = currentRules.find((r) => ruleIdentity(r) === identity);
      if (match && same(match, rule)) continue;
      item(
        id,
        'upssched',
        match ? 'replace' : 'add',
        match
          ? `upssched rule ${describeRule(match)} → ${describeRule(rule)}`
          : `upssched rule ${describeRule(rule)} added`,
        match ? describeRule(match) : null,
        describeRule(rule),
      );
    }
    settings.upssched = { cmdScript, rules: [...kept, ...settings.upssched.rules] };
  }

  const shutdown = settings.shutdownCommand;
  if (shutdown && !same(current.shutdown.command, shutdown)) {
    const before = current.shutdown.command ? describeCommand(current.shutdown.command) : null;
    item(
      'shutdown.command',
      'shutdown',
      'replace',
      `SHUTDOWNCMD: ${before ?? PLATFORM_DEFAULT} → ${describeCommand(shutdown)}`,
      before ?? PLATFORM_DEFAULT,
      describeCommand(shutdown),
    );
  }

  const merged = mergeImported(current, { ...imported, settings });
  const config = merged.config;
  if (removeNotifyCommand) delete config.hooks.notifyCommand;

  if (settings.minSupplies !== undefined && current.shutdown.minSupplies !== settings.minSupplies) {
    const applied = config.shutdown.minSupplies === settings.minSupplies;
    item(
      'shutdown.minSupplies',
      'shutdown',
      applied ? 'replace' : 'unchanged',
      applied
        ? `MINSUPPLIES: ${current.shutdown.minSupplies ?? 'off'} → ${settings.minSupplies}`
        : `MINSUPPLIES ${settings.minSupplies} is left off: the secondary UPSes configured feed less`,
      String(current.shutdown.minSupplies ?? 'off'),
      String(config.shutdown.minSupplies ?? 'off'),
    );
  }

  // Masters first: they are what an import is mostly for.
  const masterItems: ImportPlanItem[] = merged.masters.map((m) => {
    const where = `${m.host} port ${m.port}`;
    if (m.action === 'add')
      return {
        id: `master:${m.host}:${m.port}`,
        area: 'master',
        action: 'add',
        summary: `master ${m.id} (${where}) added with ${m.ups.join(', ')}`,
        before: null,
        after: m.ups.join(', '),
      };
    const parts = [
      ...(m.added.length > 0 ? [`UPS ${m.added.join(', ')} added`] : []),
      ...(m.kept.length > 0
        ? [
            `UPS ${m.kept.join(', ')} already configured, kept as it is` +
              (m.passwordsNotStored.length > 0
                ? ' (the stored password stays; the imported one is not stored)'
                : ''),
          ]
        : []),
    ];
    return {
      id: `master:${m.host}:${m.port}`,
      area: 'master',
      action: m.added.length > 0 ? 'merge' : 'unchanged',
      summary: `merged into the existing master ${m.id} “${m.label}” (${where}): ${parts.join('; ')}`,
      before: null,
      after: null,
    };
  });
  const allItems = [...masterItems, ...items];
  const problems = findProblems(current, config, settings, input.programProblems);
  const summary = summarize(allItems);

  return {
    plan: {
      items: allItems,
      problems,
      summary,
      digest: createHash('sha256')
        .update(JSON.stringify({ allItems, problems, summary }))
        .digest('hex')
        .slice(0, 32),
    },
    config,
    secrets: merged.secrets,
  };
}

function findProblems(
  current: Config,
  config: Config,
  settings: ImportedSettings,
  programProblems: ReadonlyMap<string, string> | undefined,
): ImportProblem[] {
  const problems: ImportProblem[] = [];
  const execEvents = (Object.entries(config.hooks.events) as [NotifyType, EventPolicy][])
    .filter(([, policy]) => policy.exec === true)
    .map(([type]) => type);
  const notify = config.hooks.notifyCommand;
  if (execEvents.length > 0 && !notify && !config.hooks.upssched) {
    problems.push({
      severity: 'warning',
      message: `${execEvents.join(', ')} ${execEvents.length === 1 ? 'is' : 'are'} marked EXEC, but there is no NOTIFYCMD (and no upssched setup): nothing would run for ${execEvents.length === 1 ? 'it' : 'them'}.`,
      fix: 'Import the NOTIFYCMD line of upsmon.conf too (with upssched.conf when it is upssched), or clear EXEC for these events in Settings → Hooks.',
    });
  }
  const notifyReplaced =
    settings.notifyCommand &&
    current.hooks.notifyCommand &&
    !same(current.hooks.notifyCommand, notify);
  if (notify && (notifyReplaced || !current.hooks.notifyCommand)) {
    // Events the files did not mention keep their EXEC flag, and now run the imported command.
    const inherited = execEvents.filter(
      (type) => settings.events[type]?.exec === undefined && current.hooks.events[type]?.exec,
    );
    if (inherited.length > 0 && settings.notifyCommand)
      problems.push({
        severity: 'warning',
        message: `${inherited.join(', ')} keep${inherited.length === 1 ? 's' : ''} EXEC from the current settings (upsmon.conf does not mention ${inherited.length === 1 ? 'it' : 'them'}), so the imported NOTIFYCMD ${describeCommand(notify)} will run for ${inherited.length === 1 ? 'it' : 'them'} too.`,
        fix: 'Clear EXEC for these events in Settings → Hooks after the import if that is not wanted, or add their NOTIFYFLAG lines to upsmon.conf.',
      });
  }
  const programs: { what: string; command: Command | undefined }[] = [
    { what: 'SHUTDOWNCMD', command: settings.shutdownCommand },
    { what: 'NOTIFYCMD', command: settings.notifyCommand },
    { what: 'upssched CMDSCRIPT', command: settings.upssched?.cmdScript },
  ];
  for (const { what, command } of programs) {
    const reason = command && programProblems?.get(command.file);
    if (!reason) continue;
    problems.push({
      severity: 'warning',
      message: `The imported ${what} program ${command.file} ${reason}: it would fail when it is needed.`,
      fix: `Install ${command.file} (or make it executable: chmod +x), or correct the path in the file and preview again. NUT Sentinel runs it directly, without a shell.`,
    });
  }
  return problems;
}

function summarize(items: readonly ImportPlanItem[]): string {
  const count = (test: (i: ImportPlanItem) => boolean) => items.filter(test).length;
  const parts: string[] = [];
  const say = (n: number, what: string, many: string, done: string) => {
    if (n > 0) parts.push(`${plural(n, what, many)} ${done}`);
  };
  const isRule = (i: ImportPlanItem) => i.id.startsWith('upssched-rule:');
  say(
    count((i) => i.area === 'master' && i.action === 'add'),
    'master',
    'masters',
    'added',
  );
  say(
    count((i) => i.area === 'master' && i.action === 'merge'),
    'existing master',
    'existing masters',
    'merged (UPSes added)',
  );
  say(
    count((i) => isRule(i) && i.action === 'add'),
    'upssched rule',
    'upssched rules',
    'added',
  );
  say(
    count((i) => isRule(i) && i.action === 'replace'),
    'upssched rule',
    'upssched rules',
    'replaced',
  );
  say(
    count((i) => isRule(i) && i.action === 'unchanged'),
    'current upssched rule',
    'current upssched rules',
    'kept',
  );
  say(
    count(
      (i) =>
        !isRule(i) && (i.area === 'hooks' || i.area === 'upssched') && i.action !== 'unchanged',
    ),
    'hook setting',
    'hook settings',
    'changed',
  );
  if (items.some((i) => i.id === 'shutdown.command')) parts.push('shutdown command replaced');
  say(
    count((i) => i.area === 'timing'),
    'timing setting',
    'timing settings',
    'changed',
  );
  if (items.some((i) => i.id === 'shutdown.minSupplies' && i.action === 'replace'))
    parts.push('MINSUPPLIES changed');
  return parts.length > 0 ? parts.join(', ') : 'nothing changes in the current configuration';
}
