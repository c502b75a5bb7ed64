/**
 * upssched.conf → NUT Sentinel's built-in upssched-compatible timers (hooks.upssched). Read only
 * when upsmon.conf's NOTIFYCMD is upssched, and only for the events upsmon handed to it (EXEC in
 * NOTIFYFLAG); AT rules name UPSes as upsmon.conf's MONITOR lines do.
 */
import {
  UpsschedRuleSchema,
  upsSystemName,
  type Command,
  type Master,
  type UpsschedRule,
} from '../../shared/config';
import { isUpsmonNotifyType } from '../../shared/notify-types';
import type { Sliced } from '../platform/slices';
import type { ImportedSettings } from './import-merge';
import { type ImportReport, type ReportEntry, isKnownDirective, plural } from './import-report';
import { confLines, describeQuirks } from './parseconf';
import { describeCommand, importCommand } from './shell-command';
import { hostKey, splitUpsSystem, type UpsmonConf } from './upsmon-conf';

/** Reads upssched.conf (undefined: not given) into the report; yields after each line (see platform/slices.ts). */
export function readUpsschedConf(
  text: string | undefined,
  file: string,
  upsmon: UpsmonConf,
  report: ImportReport,
): Sliced<ImportedSettings['upssched']> {
  return new UpsschedConfReader(file, upsmon, report).read(text);
}

class UpsschedConfReader {
  private readonly mastersByHost = new Map<string, Master>();

  constructor(
    private readonly file: string,
    private readonly upsmon: UpsmonConf,
    private readonly report: ImportReport,
  ) {
    for (const master of upsmon.masters)
      this.mastersByHost.set(hostKey(master.host, master.port), master);
  }

  *read(text: string | undefined): Sliced<ImportedSettings['upssched']> {
    const notifyCmd = this.upsmon.notifyCmdEntry;
    if (this.upsmon.notifyCmdIsUpssched && notifyCmd && text === undefined) {
      this.report.set(
        notifyCmd,
        'error',
        'NOTIFYCMD is upssched, but no upssched.conf was given: its timer rules were NOT imported. Import again together with upssched.conf (usually /etc/nut/upssched.conf), or add the rules under Hooks → upssched',
      );
      return undefined;
    }
    if (text === undefined) return undefined;
    const lines = confLines(text);
    if (!this.upsmon.notifyCmdIsUpssched) {
      for (const conf of lines) {
        yield;
        const e = this.report.entry(this.file, conf);
        this.report.set(
          e,
          'ignored',
          "upsmon.conf's NOTIFYCMD is not upssched, so upsmon never ran these rules; not imported (set `NOTIFYCMD /usr/sbin/upssched` in upsmon.conf and import again if you want them)",
        );
      }
      return undefined;
    }
    let cmdScript: Command | null = null;
    let cmdScriptEntry: ReportEntry | null = null;
    const rules: { rule: UpsschedRule; entry: ReportEntry }[] = [];
    for (const conf of lines) {
      yield;
      const e = this.report.entry(this.file, conf);
      const words = conf.words.map((w) => w.value);
      const directive = words[0] ?? '';
      const quirkNotes = describeQuirks(conf.quirks);
      if (conf.quirks.includes('unterminated-quote')) {
        this.report.set(e, 'error', `${quirkNotes.join('; ')}; not imported: close the quote`);
        continue;
      }
      if (!isKnownDirective('upssched', directive)) {
        this.report.unknownDirective(e, directive, words, 'upssched');
        continue;
      }
      if (words.length < 2) {
        this.report.set(e, 'error', `\`${directive}\` needs a value; upssched rejects this line`);
        continue;
      }
      if (directive === 'PIPEFN' || directive === 'LOCKFN') {
        this.report.set(e, 'ignored', 'not needed: timers run inside NUT Sentinel');
      } else if (directive === 'CMDSCRIPT') {
        const imported = importCommand(words[1] ?? '', true);
        if (!imported) {
          this.report.set(e, 'error', 'CMDSCRIPT is empty');
          continue;
        }
        if (cmdScriptEntry?.status === 'mapped') {
          cmdScriptEntry.status = 'ignored';
          cmdScriptEntry.notes.push(`replaced by line ${conf.line}`);
        }
        cmdScript = imported.command;
        cmdScriptEntry = e;
        e.notes.push(
          imported.shellFeatures.length > 0
            ? `→ hooks.upssched.cmdScript = ${describeCommand(imported.command)}: shell syntax (${imported.shellFeatures.join(', ')}), so it runs through /bin/sh as upssched ran it; the timer name arrives as "$1"`
            : `→ hooks.upssched.cmdScript = ${describeCommand(imported.command)}; it receives the timer name / EXECUTE argument as its last argument, as with upssched`,
        );
        if (words.length > 2)
          e.notes.push('extra words ignored (a path with spaces must be quoted)');
      } else {
        const rule = this.atRule(e, words);
        if (rule) {
          rules.push({ rule, entry: e });
          if (!cmdScriptEntry)
            e.notes.push('upssched needs CMDSCRIPT before the AT lines; imported anyway');
        }
      }
      e.notes.push(...quirkNotes);
    }
    if (!cmdScript) {
      for (const { entry } of rules)
        this.report.set(entry, 'error', 'not imported: upssched.conf has no CMDSCRIPT to run');
      this.report.fileNote(
        this.file,
        'error',
        `upssched.conf has no CMDSCRIPT, so its ${plural(rules.length, 'rule')} cannot run and were not imported`,
      );
      if (notifyCmd)
        notifyCmd.notes.push('upssched: no rules imported (upssched.conf has no CMDSCRIPT)');
      return undefined;
    }
    if (notifyCmd) {
      notifyCmd.notes.push(
        `upssched: its ${plural(rules.length, 'rule')} from upssched.conf ${rules.length === 1 ? 'is' : 'are'} imported into NUT Sentinel's built-in upssched-compatible timers (hooks.upssched); the upssched program itself is not run`,
      );
    }
    return { cmdScript, rules: rules.map((r) => r.rule) };
  }

  private atRule(e: ReportEntry, words: string[]): UpsschedRule | null {
    // AT <notifytype> <upsname|*> <command> [<args>]
    if (words.length < 4) {
      this.report.set(e, 'error', 'AT needs `AT <notifytype> <ups|*> <command> …`');
      return null;
    }
    const [, typeText = '', ups = '', command = '', a1, a2] = words;
    const type = typeText.toUpperCase(); // upssched compares notify types case-insensitively
    if (!isUpsmonNotifyType(type)) {
      this.report.set(e, 'error', `unknown notify type \`${typeText}\``);
      return null;
    }
    let rule: unknown;
    let used: number;
    switch (command) {
      case 'START-TIMER':
        if (a1 === undefined || a2 === undefined) {
          this.report.set(e, 'error', 'START-TIMER needs a timer name and seconds');
          return null;
        }
        if (!/^[0-9]+$/.test(a2)) {
          this.report.set(e, 'error', `START-TIMER seconds \`${a2}\` is not a whole number`);
          return null;
        }
        rule = { event: type, ups, action: 'START-TIMER', timer: a1, seconds: Number(a2) };
        used = 6;
        break;
      case 'CANCEL-TIMER':
        if (a1 === undefined) {
          this.report.set(e, 'error', 'CANCEL-TIMER needs a timer name');
          return null;
        }
        rule =
          a2 === undefined
            ? { event: type, ups, action: 'CANCEL-TIMER', timer: a1 }
            : { event: type, ups, action: 'CANCEL-TIMER', timer: a1, command: a2 };
        used = a2 === undefined ? 5 : 6;
        break;
      case 'EXECUTE':
        if (a1 === undefined || a1 === '') {
          this.report.set(e, 'error', 'EXECUTE needs an argument for CMDSCRIPT');
          return null;
        }
        rule = { event: type, ups, action: 'EXECUTE', command: a1 };
        used = 5;
        break;
      case 'START-TIMER-SHARED':
      case 'CANCEL-TIMER-MATCHED':
        this.report.set(
          e,
          'unsupported',
          `${command} (NUT 2.8.5+) is not supported yet; use START-TIMER / CANCEL-TIMER`,
        );
        return null;
      default:
        this.report.set(
          e,
          'error',
          `unknown upssched command \`${command}\` (START-TIMER, CANCEL-TIMER or EXECUTE)`,
        );
        return null;
    }
    if (words.length > used)
      e.notes.push(
        `${plural(words.length - used, 'extra word')} ignored, as upssched ignores them`,
      );
    const checked = UpsschedRuleSchema.safeParse(rule);
    if (!checked.success) {
      this.report.set(e, 'error', checked.error.issues[0]?.message ?? 'invalid rule');
      return null;
    }
    const parsed = checked.data;
    const flag = this.upsmon.flags.get(type);
    if (!flag?.exec) {
      // NUT Sentinel runs upssched rules for every event they name; upsmon only handed EXEC events
      // to upssched. Importing this rule would make it fire where it never did.
      this.report.set(
        e,
        'ignored',
        `not imported: upsmon only runs upssched for events whose NOTIFYFLAG has EXEC, and ${type} ${
          flag
            ? `has \`NOTIFYFLAG ${type}\` without EXEC (upsmon.conf line ${flag.entry.conf?.line ?? 0})`
            : 'has no NOTIFYFLAG (default SYSLOG+WALL)'
        }, so this rule never ran. Add EXEC to \`NOTIFYFLAG ${type}\` and import again if it should`,
      );
      return null;
    }
    const describe =
      parsed.action === 'START-TIMER'
        ? `start timer \`${parsed.timer}\` (${parsed.seconds} s)`
        : parsed.action === 'CANCEL-TIMER'
          ? `cancel timer \`${parsed.timer}\`${parsed.command ? ` (or run CMDSCRIPT ${parsed.command} if none was running)` : ''}`
          : `run CMDSCRIPT ${parsed.command}`;
    e.notes.push(`→ rule: on ${type} from ${ups}, ${describe}`);
    if (typeText !== type)
      e.notes.push(`type written \`${typeText}\`; upssched matches it case-insensitively`);
    parsed.ups = this.ruleUps(e, ups);
    return parsed;
  }

  /** Maps an AT rule's UPS field to NUT Sentinel's system string and explains mismatches. */
  private ruleUps(e: ReportEntry, ups: string): string {
    if (ups === '*') return ups;
    const exact = this.upsmon.monitorBySystem(ups);
    if (exact) {
      const master = this.mastersByHost.get(hostKey(exact.host, exact.port));
      const canonical = master ? upsSystemName(master, exact.ups) : ups;
      if (canonical !== ups)
        e.notes.push(
          `NUT Sentinel names this UPS \`${canonical}\` (written \`${ups}\` in upsmon.conf): rule updated to match`,
        );
      return canonical;
    }
    const parsed = splitUpsSystem(ups);
    const sameName = parsed.ok ? this.upsmon.monitorsNamed(parsed.ups) : [];
    const first = sameName[0];
    if (parsed.ok && first) {
      const where = sameName.map((m) => `\`${m.system}\``).join(', ');
      e.notes.push(
        `\`${ups}\` is not a MONITOR line here: upsmon on this machine monitors ${first.ups} as ${where} and reports that as UPSNAME, so this rule never matched (a rule from the master's own upssched.conf?). Change it to ${where} or \`*\` if it should fire`,
      );
    } else {
      e.notes.push(`\`${ups}\` is not in any MONITOR line, so this rule never fires`);
    }
    return ups;
  }
}
