/**
 * upsmon.conf → MONITOR lines, masters, secrets and the settings the file sets, with a report
 * entry per line. Lines are split with upsmon's own tokenizer rules (parseconf.ts); directive
 * names and notify types are matched the way upsmon matches them (case-sensitive), so the import
 * does what the file did under upsmon, and says so where it differs. Passwords never enter the
 * config: they come back in `secrets` and are redacted from every report text.
 */
import {
  MASTER_PRESETS,
  TimingSchema,
  defaultConfig,
  passwordKey,
  type Master,
  type MonitoredUps,
  type Timing,
} from '../../shared/config';
import { isUpsmonNotifyType, type UpsmonNotifyType } from '../../shared/notify-types';
import { SelfTestScheduleSchema } from '../../shared/ups-commands';
import type { Sliced } from '../platform/slices';
import type { ImportedSettings } from './import-merge';
import {
  type ImportReport,
  type ImportedSecret,
  type ReportEntry,
  type UpsmonDirective,
  isKnownDirective,
  parseInteger,
  plural,
} from './import-report';
import { describeQuirks, type ConfLine } from './parseconf';
import { describeCommand, importCommand } from './shell-command';

/** upsmon's defaults for directives we do not import, so a default value is reported as harmless. */
const UNIMPORTED_DEFAULTS: Partial<
  Record<UpsmonDirective, { default: readonly string[]; meaning: string }>
> = {
  OFFDURATION: {
    default: ['30'],
    meaning: 'how long an administrative OFF must last before it counts as power loss',
  },
  OVERDURATION: {
    default: ['-1'],
    meaning: 'when an overloaded UPS that stopped answering counts as critical',
  },
  OBLBDURATION: { default: ['0'], meaning: 'how long OB LB must last before it is critical' },
  ALARMCRITICAL: {
    default: ['1', 'yes', 'on', 'true'],
    meaning: 'whether ALARM plus lost communication counts as critical',
  },
  SHUTDOWNEXIT: {
    default: ['0', 'yes', 'on', 'true'],
    meaning: 'whether upsmon exits after starting SHUTDOWNCMD',
  },
};

const TIMING_DIRECTIVES = {
  DEADTIME: 'deadTimeSeconds',
  HOSTSYNC: 'hostSyncSeconds',
  FINALDELAY: 'finalDelaySeconds',
  NOCOMMWARNTIME: 'noCommWarnSeconds',
  RBWARNTIME: 'rbWarnSeconds',
} as const satisfies Partial<Record<UpsmonDirective, keyof Timing>>;
type TimingDirective = keyof typeof TIMING_DIRECTIVES;

export interface MonitorLine {
  entry: ReportEntry;
  /** The system string as written, e.g. `apc@192.168.1.107` (upsmon's UPSNAME). */
  system: string;
  ups: string;
  host: string;
  port: number;
  powerValue: number;
  username: string;
  password: string;
  wasPrimary: boolean;
  /** Position among the file's MONITOR lines (upsmon keeps the first of duplicates). */
  index: number;
}

type ParsedSystem =
  | { ok: true; ups: string; host: string; port: number; hostDefaulted: boolean }
  | { ok: false; reason: string };

/** upscli_splitname(): `<ups>[@<host>[:<port>]]`, IPv6 as `[addr]:port`. Stricter: no silent garbage. */
export function splitUpsSystem(system: string): ParsedSystem {
  const at = system.indexOf('@');
  const ups = at < 0 ? system : system.slice(0, at);
  if (ups === '') return { ok: false, reason: 'the UPS name before `@` is empty' };
  if (at < 0) {
    if (ups.includes(':'))
      return { ok: false, reason: 'a port needs a host: write `<ups>@<host>:<port>`' };
    return { ok: true, ups, host: 'localhost', port: 3493, hostDefaulted: true };
  }
  const addr = system.slice(at + 1);
  if (addr === '') return { ok: false, reason: 'the host after `@` is empty' };
  if (addr.includes('@')) return { ok: false, reason: 'more than one `@`' };
  let host: string;
  let portText: string | undefined;
  if (addr.startsWith('[')) {
    const close = addr.indexOf(']');
    if (close < 0) return { ok: false, reason: 'missing `]` after an IPv6 address' };
    host = addr.slice(1, close);
    const rest = addr.slice(close + 1);
    if (rest !== '' && !rest.startsWith(':'))
      return { ok: false, reason: `unexpected text after \`]\` (expected \`:<port>\`)` };
    if (rest !== '') portText = rest.slice(1);
  } else {
    const colons = addr.split(':').length - 1;
    if (colons > 1)
      return {
        ok: false,
        reason: 'an IPv6 address must be written in brackets: `<ups>@[<address>]:<port>`',
      };
    const colon = addr.indexOf(':');
    host = colon < 0 ? addr : addr.slice(0, colon);
    if (colon >= 0) portText = addr.slice(colon + 1);
  }
  if (host === '') return { ok: false, reason: 'the host is empty' };
  let port = 3493;
  if (portText !== undefined) {
    if (!/^[0-9]+$/.test(portText))
      return { ok: false, reason: `bad port \`${portText}\` (expected a number from 1 to 65535)` };
    port = Number(portText);
    if (port < 1 || port > 65_535)
      return { ok: false, reason: `bad port ${portText} (expected 1 to 65535)` };
  }
  return { ok: true, ups, host, port, hostDefaulted: false };
}

const UPS_NAME = /^[A-Za-z0-9_.-]+$/;

export function hostKey(host: string, port: number): string {
  return `${host.toLowerCase()}:${port}`;
}

function slug(text: string): string {
  return text
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '');
}

/** A master id from its host (and port when not 3493), unique among `taken`. */
export function masterIdFor(
  host: string,
  port: number,
  taken: ReadonlySet<string>,
  nextSuffix = new Map<string, number>(),
): string {
  const base = `${slug(host) || 'master'}${port === 3493 ? '' : `-${port}`}`;
  if (!taken.has(base)) return base;
  // `nextSuffix` remembers where the search for each base stopped (`taken` only grows), so many
  // hosts with the same slug stay linear.
  for (let n = nextSuffix.get(base) ?? 2; ; n++) {
    if (!taken.has(`${base}-${n}`)) {
      nextSuffix.set(base, n + 1);
      return `${base}-${n}`;
    }
  }
}

function guessPreset(host: string): Master['preset'] {
  if (/synology|diskstation|(^|[^a-z0-9])ds[0-9]{3,4}/i.test(host)) return 'synology';
  if (/proxmox|(^|[^a-z])pve([^a-z]|$)/i.test(host)) return 'proxmox';
  return 'generic';
}

/** What upsmon.conf says, as the upssched.conf import and the merge need it. */
export interface UpsmonConf {
  readonly file: string;
  readonly monitors: readonly MonitorLine[];
  readonly masters: readonly Master[];
  readonly secrets: readonly ImportedSecret[];
  /** Only what the file set explicitly (the upssched.conf import adds `upssched`). */
  readonly settings: ImportedSettings;
  /** The NOTIFYFLAG in force per notify type (upsmon hands only EXEC events to NOTIFYCMD). */
  readonly flags: ReadonlyMap<UpsmonNotifyType, { exec: boolean; entry: ReportEntry }>;
  /** The NOTIFYCMD line in force, and whether it runs upssched. */
  readonly notifyCmdEntry: ReportEntry | null;
  readonly notifyCmdIsUpssched: boolean;
  /** The first MONITOR line with this system string as written. */
  monitorBySystem(system: string): MonitorLine | undefined;
  /** Every MONITOR line for a UPS of this name, on any host. */
  monitorsNamed(ups: string): readonly MonitorLine[];
}

/** Reads upsmon.conf's logical lines into the report; yields after each line (see platform/slices.ts). */
export function* readUpsmonConf(
  lines: Iterable<ConfLine>,
  file: string,
  report: ImportReport,
): Sliced<UpsmonConf> {
  const reader = new UpsmonConfReader(file, report);
  for (const conf of lines) {
    reader.line(conf);
    yield;
  }
  reader.finish();
  return reader;
}

class UpsmonConfReader implements UpsmonConf {
  readonly monitors: MonitorLine[] = [];
  masters: Master[] = [];
  secrets: ImportedSecret[] = [];
  readonly settings: ImportedSettings = { timing: {}, events: {} };
  readonly flags = new Map<UpsmonNotifyType, { exec: boolean; entry: ReportEntry }>();
  notifyCmdEntry: ReportEntry | null = null;
  notifyCmdIsUpssched = false;
  private forceSsl: { entry: ReportEntry; value: boolean } | null = null;
  private certVerify: { entry: ReportEntry; value: boolean } | null = null;
  private minSupplies: { entry: ReportEntry; value: number } | null = null;
  private readonly bySystem = new Map<string, MonitorLine>();
  private readonly byHostAndUps = new Map<string, MonitorLine>();
  private readonly byUpsName = new Map<string, MonitorLine[]>();

  constructor(
    readonly file: string,
    private readonly report: ImportReport,
  ) {}

  monitorBySystem(system: string): MonitorLine | undefined {
    return this.bySystem.get(system);
  }

  monitorsNamed(ups: string): readonly MonitorLine[] {
    return this.byUpsName.get(ups) ?? [];
  }

  /** Once every line is read: masters and secrets, TLS, MINSUPPLIES, and notes that need the whole file. */
  finish(): void {
    ({ masters: this.masters, secrets: this.secrets } = this.buildMasters());
    if (this.monitors.length === 0)
      this.report.fileNote(this.file, 'error', 'no usable MONITOR line: there is no UPS to import');
    if (this.settings.notifyCommand && ![...this.flags.values()].some((f) => f.exec)) {
      this.notifyCmdEntry?.notes.push(
        'no NOTIFYFLAG has EXEC, so upsmon never ran it (and neither will NUT Sentinel)',
      );
    }
  }

  line(conf: ConfLine): void {
    const e = this.report.entry(this.file, conf);
    const words = conf.words.map((w) => w.value);
    const directive = words[0] ?? '';
    const quirkNotes = describeQuirks(conf.quirks);
    // Redact before anything can fail: a MONITOR's password (or whatever stands where it would be),
    // and CERTIDENT's key database password.
    // Case-insensitively: upsmon ignores `monitor …`, but the line still holds a password.
    if (directive.toUpperCase() === 'MONITOR') {
      const role = (words[5] ?? '').toLowerCase();
      const validRole = ['primary', 'master', 'secondary', 'slave'].includes(role);
      for (let k = 3; k < words.length; k++)
        if (k === 4 || !validRole || words.length < 6 || k > 5) e.redact.add(k);
      if (words.length >= 6 && words[4] !== undefined) this.report.secretValues.push(words[4]);
    } else if (directive.toUpperCase() === 'CERTIDENT') {
      for (let k = 2; k < words.length; k++) e.redact.add(k);
      if (words[2] !== undefined) this.report.secretValues.push(words[2]);
    }
    if (conf.quirks.includes('unterminated-quote')) {
      this.report.set(e, 'error', `${quirkNotes.join('; ')}; not imported: close the quote`);
      return;
    }
    this.upsmonDirective(e, directive, words);
    e.notes.push(...quirkNotes);
  }

  upsmonDirective(e: ReportEntry, directive: string, words: string[]): void {
    if (!isKnownDirective('upsmon', directive)) {
      this.report.unknownDirective(e, directive, words, 'upsmon');
      return;
    }
    // upsmon: every directive needs at least one argument, else "invalid directive".
    if (words.length < 2) {
      this.report.set(
        e,
        'error',
        `\`${directive}\` needs a value; upsmon rejects this line as an invalid directive`,
      );
      return;
    }
    const arg = words[1] ?? '';
    const extra = (from: number) => {
      if (words.length > from)
        e.notes.push(
          `${plural(words.length - from, 'extra word')} ignored, as upsmon ignores them`,
        );
    };
    switch (directive) {
      case 'MONITOR':
        this.monitor(e, words);
        return;
      case 'SHUTDOWNCMD': {
        extra(2);
        const imported = importCommand(arg, false);
        if (!imported) {
          this.report.set(e, 'error', 'the shutdown command is empty');
          return;
        }
        this.report.supersede('SHUTDOWNCMD', e);
        this.settings.shutdownCommand = imported.command;
        e.notes.push(
          imported.shellFeatures.length > 0
            ? `→ shutdown.command = ${describeCommand(imported.command)}: it uses shell syntax (${imported.shellFeatures.join(', ')}), so it runs through /bin/sh exactly as upsmon ran it (NUT Sentinel never adds a shell by itself)`
            : `→ shutdown.command = ${describeCommand(imported.command)} (run directly, without a shell)`,
        );
        return;
      }
      case 'NOTIFYCMD': {
        extra(2);
        this.report.supersede('NOTIFYCMD', e);
        this.notifyCmdEntry = e;
        const firstWord = arg.trim().split(/[ \t]+/);
        const isUpssched = firstWord.length === 1 && /(^|\/)upssched$/.test(firstWord[0] ?? '');
        this.notifyCmdIsUpssched = isUpssched;
        if (isUpssched) {
          delete this.settings.notifyCommand;
          return; // completed once we know whether upssched.conf was given
        }
        const imported = importCommand(arg, true);
        if (!imported) {
          this.report.set(e, 'error', 'the notify command is empty');
          return;
        }
        this.settings.notifyCommand = imported.command;
        e.notes.push(
          imported.shellFeatures.length > 0
            ? `→ hooks.notifyCommand = ${describeCommand(imported.command)}: it uses shell syntax (${imported.shellFeatures.join(', ')}), so it runs through /bin/sh as upsmon ran it; the message arrives as "$1"`
            : `→ hooks.notifyCommand = ${describeCommand(imported.command)}; the message is its last argument, as with upsmon`,
        );
        return;
      }
      case 'NOTIFYMSG':
      case 'NOTIFYFLAG':
        this.notifySetting(e, directive, words);
        return;
      case 'POLLFREQ':
      case 'POLLFREQALERT': {
        extra(2);
        const n = parseInteger(arg);
        if (n === null || n < 1) {
          this.report.set(e, 'error', `${directive} must be a whole number of seconds (1 or more)`);
          return;
        }
        this.settings.statusPollCeilingSeconds = Math.min(
          this.settings.statusPollCeilingSeconds ?? Infinity,
          n,
        );
        this.report.set(
          e,
          'ignored',
          `noted, not needed: NUT Sentinel polls ups.status every ${defaultConfig().timing.statusPollSeconds} s (upsmon polled every ${n} s); when merging into a config whose status poll is slower than ${n} s, it is lowered to ${n} s`,
        );
        return;
      }
      case 'DEADTIME':
      case 'HOSTSYNC':
      case 'FINALDELAY':
      case 'NOCOMMWARNTIME':
      case 'RBWARNTIME':
        extra(2);
        this.timing(e, directive, arg);
        return;
      case 'MINSUPPLIES': {
        extra(2);
        const n = parseInteger(arg);
        if (n === null || n < 0) {
          this.report.set(e, 'error', 'MINSUPPLIES must be a whole number (0 or more)');
          return;
        }
        this.report.supersede('MINSUPPLIES', e);
        this.minSupplies = { entry: e, value: n };
        if (n === 0)
          e.notes.push(
            'MINSUPPLIES 0: upsmon never shut this machine down, so every imported UPS is monitor-only',
          );
        // Otherwise decided in buildMasters, once every MONITOR line (and power value) is known.
        return;
      }
      case 'POWERDOWNFLAG':
        this.report.set(
          e,
          'ignored',
          'not needed: only a primary (the machine wired to the UPS) writes the power-down flag, and NUT Sentinel is never primary',
        );
        return;
      case 'RUN_AS_USER':
        this.report.set(e, 'ignored', 'not needed: NUT Sentinel runs as the user who starts it');
        return;
      case 'DEBUG_MIN':
        this.report.set(e, 'ignored', 'not needed: NUT Sentinel has its own log level');
        return;
      case 'POLLFAIL_LOG_THROTTLE_MAX':
        this.report.set(e, 'ignored', 'not needed: only throttles upsmon’s log messages');
        return;
      case 'CERTPATH':
        this.report.set(
          e,
          'unsupported',
          "a certificate directory or NSS database cannot be imported: paste the CA certificate (PEM) or pin the server certificate's SHA-256 fingerprint in the master's TLS settings",
        );
        return;
      case 'CERTFILE':
      case 'CERTIDENT':
        this.report.set(
          e,
          'unsupported',
          'client certificates are not supported by NUT Sentinel (upsd accepts password logins without them)',
        );
        return;
      case 'CERTHOST':
        this.report.set(
          e,
          'unsupported',
          `per-host TLS settings are set on the master instead: for ${arg}, choose the TLS mode and pin its certificate in the master's settings`,
        );
        return;
      case 'CERTVERIFY':
      case 'FORCESSL': {
        extra(2);
        const n = parseInteger(arg);
        if (n !== 0 && n !== 1) {
          this.report.set(e, 'error', `${directive} must be 0 or 1`);
          return;
        }
        this.report.supersede(directive, e);
        if (directive === 'FORCESSL') this.forceSsl = { entry: e, value: n === 1 };
        else this.certVerify = { entry: e, value: n === 1 };
        return; // completed with the masters (tlsNotes)
      }
      default: {
        const known = UNIMPORTED_DEFAULTS[directive as UpsmonDirective];
        if (known) {
          extra(2);
          if (known.default.includes(arg.toLowerCase()))
            this.report.set(
              e,
              'ignored',
              `upsmon's default value (${known.meaning}); nothing to import`,
            );
          else
            this.report.set(
              e,
              'unsupported',
              `${directive} (${known.meaning}) has no NUT Sentinel setting; not imported (upsmon's default is ${known.default[0] ?? ''})`,
            );
        }
      }
    }
  }

  monitor(e: ReportEntry, words: string[]): void {
    if (words.length < 5) {
      this.report.set(
        e,
        'error',
        'MONITOR needs 5 values: `MONITOR <ups>[@<host>[:<port>]] <powervalue> <user> <password> secondary`',
      );
      return;
    }
    if (words.length === 5) {
      this.report.set(
        e,
        'error',
        'old-style MONITOR without a user name: upsmon refuses to start with it; write `MONITOR <ups>@<host> <powervalue> <user> <password> secondary`',
      );
      return;
    }
    const [, system = '', pvText = '', username = '', password = '', roleText = ''] = words;
    if (words.length > 6)
      e.notes.push(
        `${plural(words.length - 6, 'extra word')} after the role ignored, as upsmon ignores them (a password with spaces must be quoted)`,
      );
    const parsed = splitUpsSystem(system);
    if (!parsed.ok) {
      this.report.set(e, 'error', `\`${system}\`: ${parsed.reason}`);
      return;
    }
    if (!UPS_NAME.test(parsed.ups)) {
      this.report.set(
        e,
        'error',
        `UPS name \`${parsed.ups}\`: only letters, digits, \`_\`, \`.\` and \`-\` are supported`,
      );
      return;
    }
    const pv = parseInteger(pvText);
    if (pv === null || pv < 0) {
      this.report.set(
        e,
        'error',
        'the power value must be a whole number (0 = monitor only, 1 = this machine has one power supply on this UPS)',
      );
      return;
    }
    if (pv > 16) {
      this.report.set(e, 'error', `power value ${pv} is too large (at most 16)`);
      return;
    }
    const role = roleText.toLowerCase();
    if (!['primary', 'master', 'secondary', 'slave'].includes(role)) {
      this.report.set(
        e,
        'error',
        'the last value must be `secondary` (or `slave`, `primary`, `master`)',
      );
      return;
    }
    const bySystem = this.bySystem.get(system);
    const byUps = this.byHostAndUps.get(`${hostKey(parsed.host, parsed.port)} ${parsed.ups}`);
    const dup =
      bySystem && byUps ? (bySystem.index < byUps.index ? bySystem : byUps) : (bySystem ?? byUps);
    if (dup) {
      this.report.set(
        e,
        'ignored',
        `same UPS as line ${dup.entry.conf?.line ?? 0}: upsmon ignores the duplicate`,
      );
      return;
    }
    const line: MonitorLine = {
      index: this.monitors.length,
      entry: e,
      system,
      ups: parsed.ups,
      host: parsed.host,
      port: parsed.port,
      powerValue: pv,
      username,
      password,
      wasPrimary: role === 'primary' || role === 'master',
    };
    this.monitors.push(line);
    if (!this.bySystem.has(system)) this.bySystem.set(system, line);
    const hostAndUps = `${hostKey(parsed.host, parsed.port)} ${parsed.ups}`;
    if (!this.byHostAndUps.has(hostAndUps)) this.byHostAndUps.set(hostAndUps, line);
    const named = this.byUpsName.get(parsed.ups);
    if (named) named.push(line);
    else this.byUpsName.set(parsed.ups, [line]);
    if (parsed.hostDefaulted) e.notes.push("no host given: localhost, upsmon's default");
  }

  timing(e: ReportEntry, directive: TimingDirective, arg: string): void {
    const key = TIMING_DIRECTIVES[directive];
    const n = parseInteger(arg);
    if (n === null) {
      this.report.set(e, 'error', `${directive} must be a whole number of seconds`);
      return;
    }
    const check = TimingSchema.shape[key].safeParse(n);
    if (!check.success) {
      this.report.set(
        e,
        'error',
        `${directive} ${n}: ${check.error.issues[0]?.message ?? 'out of range'} (timing.${key})`,
      );
      return;
    }
    this.report.supersede(directive, e);
    this.settings.timing[key] = n;
    e.notes.push(`→ timing.${key} = ${n}`);
  }

  notifySetting(e: ReportEntry, directive: 'NOTIFYMSG' | 'NOTIFYFLAG', words: string[]): void {
    if (words.length < 3) {
      this.report.set(
        e,
        'error',
        `${directive} needs a type and a ${directive === 'NOTIFYMSG' ? 'message' : 'flag list'}; upsmon rejects this line`,
      );
      return;
    }
    const [, type = '', value = ''] = words;
    if (words.length > 3)
      e.notes.push(
        `${plural(words.length - 3, 'extra word')} ignored (a message with spaces must be quoted)`,
      );
    if (!isUpsmonNotifyType(type)) {
      const upper = type.toUpperCase();
      this.report.set(
        e,
        'error',
        isUpsmonNotifyType(upper)
          ? `notify types are upper-case: upsmon ignores \`${type}\` (write \`${upper}\`)`
          : `unknown notify type \`${type}\`; upsmon ignores this line`,
      );
      return;
    }
    this.report.supersede(`${directive} ${type}`, e);
    const policy = (this.settings.events[type] ??= {});
    if (directive === 'NOTIFYMSG') {
      policy.message = value;
      e.notes.push(`→ hooks.events.${type}.message`);
      if (/%(?![s%])/.test(value))
        e.notes.push('only `%s` (the UPS) and `%%` are substituted in messages');
      return;
    }
    const flags = value.split('+');
    const unknown = flags.filter((f) => !['SYSLOG', 'WALL', 'EXEC', 'IGNORE'].includes(f));
    const ignore = flags.includes('IGNORE');
    const notify = !ignore && (flags.includes('SYSLOG') || flags.includes('WALL'));
    const exec = !ignore && flags.includes('EXEC');
    policy.notify = notify;
    policy.exec = exec;
    this.flags.set(type, { exec, entry: e });
    e.notes.push(
      `→ hooks.events.${type}: notify ${notify ? 'on' : 'off'}, exec ${exec ? 'on' : 'off'}`,
    );
    if (ignore && flags.length > 1) e.notes.push('IGNORE wins over the other flags, as in upsmon');
    if (flags.includes('WALL')) e.notes.push('WALL becomes a desktop notification');
    if (unknown.length > 0)
      e.notes.push(
        `unknown flag ${unknown.map((f) => `\`${f}\``).join(', ')} ignored, as upsmon ignores it`,
      );
  }

  // ---------------------------------------------------------------- masters

  private buildMasters(): { masters: Master[]; secrets: ImportedSecret[] } {
    const masters: Master[] = [];
    const secrets: ImportedSecret[] = [];
    const byHost = new Map<string, Master>();
    const taken = new Set<string>();
    const nextSuffix = new Map<string, number>();
    const monitorOnlyAll = this.minSupplies?.value === 0;
    for (const m of this.monitors) {
      let master = byHost.get(hostKey(m.host, m.port));
      if (!master) {
        const id = masterIdFor(m.host, m.port, taken, nextSuffix);
        taken.add(id);
        const preset = guessPreset(m.host);
        const hostPort =
          m.port === 3493 ? m.host : `${m.host.includes(':') ? `[${m.host}]` : m.host}:${m.port}`;
        master = {
          id,
          label: `${MASTER_PRESETS[preset].label} (${hostPort})`,
          preset,
          host: m.host,
          port: m.port,
          tls: { mode: 'off', insecure: false },
          ups: [],
        };
        byHost.set(hostKey(m.host, m.port), master);
        masters.push(master);
      }
      const role: MonitoredUps['role'] =
        m.powerValue === 0 || monitorOnlyAll ? 'monitor-only' : 'secondary';
      const hasPassword = m.password !== '';
      master.ups.push({
        name: m.ups,
        role,
        username: m.username,
        password: hasPassword ? { source: 'store' } : { source: 'none' },
        powerValue: m.powerValue,
        expectedClients: [],
        selfTest: SelfTestScheduleSchema.parse({}),
      });
      const key = passwordKey(master.id, m.ups);
      if (hasPassword)
        secrets.push({ key, value: m.password, masterId: master.id, upsName: m.ups });
      const notes = m.entry.notes;
      notes.unshift(
        `→ master \`${master.id}\` (${master.host} port ${master.port}), UPS \`${m.ups}\`, user \`${m.username}\`, role ${role}` +
          (hasPassword ? '; its password is stored apart, never in the config' : '; no password'),
      );
      if (m.wasPrimary) {
        notes.push(
          'upsmon was primary here (the machine wired to the UPS, which sets FSD for the others); NUT Sentinel never acts as primary, so it is imported as secondary: keep upsmon as the primary on this machine',
        );
      }
      if (m.powerValue === 0)
        notes.push(
          'power value 0: monitor-only, never shuts this machine down (upsmon does not even log in)',
        );
      else if (monitorOnlyAll) notes.push('monitor-only because of MINSUPPLIES 0');
      if (m.ups === 'ups' && m.username.toLowerCase() === 'monuser') {
        notes.push(
          'UPS `ups` with user `monuser` is what a Synology NAS serves: if this master is a Synology, pick the Synology preset (its hints cover DSM\'s "Permitted DiskStation devices")',
        );
      } else if (m.username.toLowerCase() === 'upsmonclient') {
        notes.push(
          'user `upsmonclient` as in the Proxmox VE guides: if this master is a Proxmox host, pick the Proxmox preset',
        );
      }
      if (master.preset !== 'generic')
        notes.push(`preset ${master.preset}, guessed from the host name`);
    }
    this.applyTls(masters);
    this.mapMinSupplies();
    return { masters, secrets };
  }

  /**
   * MINSUPPLIES keeps upsmon's sum where it decided anything: several UPSes feeding this machine,
   * or one whose power value is above 1. With one UPS of power value 1 and MINSUPPLIES 1 (the
   * usual file) the sum is "shut down when it is critical", our default, so nothing is set.
   */
  private mapMinSupplies(): void {
    const entry = this.minSupplies?.entry;
    const wanted = this.minSupplies?.value ?? 1;
    if (wanted === 0) return;
    const feeding = this.monitors.filter((m) => m.powerValue > 0);
    const total = feeding.reduce((sum, m) => sum + m.powerValue, 0);
    if (feeding.length === 0) return;
    if (wanted > total) {
      const reason = `MINSUPPLIES ${wanted} is more than the UPSes feed (power values add up to ${total}): upsmon refuses to start with this, so it is not imported`;
      if (entry) this.report.set(entry, 'error', reason);
      else this.report.fileNote(this.file, 'error', reason);
      return;
    }
    if (feeding.length === 1 && total === 1) {
      if (entry)
        this.report.set(
          entry,
          'ignored',
          "upsmon's default: this machine shuts down when the UPS that feeds it goes critical",
        );
      return;
    }
    this.settings.minSupplies = wanted;
    const meaning = `→ shutdown.minSupplies = ${wanted}: like upsmon, this machine shuts down when the UPSes that are not critical feed fewer than ${wanted} of its supplies (${feeding.length} UPS${feeding.length === 1 ? '' : 'es'}, power ${total})`;
    if (entry) {
      this.report.set(entry, 'mapped', meaning);
    } else {
      this.report.fileNote(
        this.file,
        'mapped',
        `MINSUPPLIES not set, upsmon's default 1 kept ${meaning}`,
      );
    }
  }

  private applyTls(masters: Master[]): void {
    const force = this.forceSsl?.value ?? false;
    const verify = this.certVerify?.value ?? false;
    const required = force || verify;
    if (required) {
      for (const m of masters) {
        m.tls.mode = 'required';
        m.tls.insecure = !verify;
      }
    }
    const count = plural(masters.length, 'imported master');
    if (this.forceSsl) {
      const e = this.forceSsl.entry;
      if (this.forceSsl.value) e.notes.push(`→ tls.mode = required on ${count}`);
      else
        this.report.set(
          e,
          'ignored',
          "upsmon's default (use TLS when the server offers it); TLS is set per master in NUT Sentinel",
        );
    }
    if (this.certVerify) {
      const e = this.certVerify.entry;
      if (this.certVerify.value) {
        e.notes.push(
          `→ tls.mode = required, certificate verified, on ${count}: add the server's CA certificate (PEM) or pin its SHA-256 fingerprint in each master's TLS settings, or the connection will fail`,
        );
      } else if (force) {
        e.notes.push(
          `→ tls.insecure = true on ${count} (encrypted but the certificate is not checked, as upsmon did); pin the fingerprint to authenticate the master`,
        );
      } else {
        this.report.set(e, 'ignored', "upsmon's default (certificates are not verified)");
      }
    } else if (force) {
      this.forceSsl?.entry.notes.push(
        'certificates are not verified (CERTVERIFY 0, upsmon’s default): tls.insecure = true; pin the fingerprint to authenticate the master',
      );
    }
  }
}
