/**
 * Import of an existing `upsmon.conf` (and optionally `upssched.conf`) into a NUT Sentinel
 * `Config`, with a per-line report of what was mapped and what was not.
 *
 * - Files are split with upsmon's own tokenizer rules (parseconf.ts); directive names and notify
 *   types are matched the way upsmon matches them (case-sensitive), so the import does what the
 *   file did under upsmon, and says so where it differs.
 * - Passwords never enter the config: MONITOR passwords come back in `secrets` (keyed with
 *   `passwordKey(masterId, ups)`) for the caller's secret store, and every report text and note
 *   is scrubbed of them.
 * - It never throws: broken lines become `error` entries; the result always validates against
 *   `ConfigSchema`. `ok` says whether at least one UPS was imported.
 */
import {
  ConfigSchema,
  MASTER_PRESETS,
  TimingSchema,
  UpsschedRuleSchema,
  defaultConfig,
  passwordKey,
  upsSystemName,
  type Command,
  type Config,
  type Master,
  type MonitoredUps,
  type Timing,
  type UpsschedRule,
} from '../../shared/config';
import { UPSMON_NOTIFY_TYPES, type UpsmonNotifyType } from '../../shared/notify-types';
import { applyImportedSettings, type ImportedSettings } from './import-merge';
import { describeQuirks, tokenizeConf, type ConfLine } from './parseconf';
import { describeCommand, importCommand } from './shell-command';

export { mergeImported, applyImportedSettings, type ImportedSettings, type MergeResult } from './import-merge';

export type ImportStatus = 'mapped' | 'ignored' | 'unsupported' | 'error';

/** One report line; the shape of `ImportReportLineSchema` in shared/ipc.ts. */
export interface ImportReportLine {
  /** `upsmon.conf` or `upssched.conf` (or the names given). */
  file: string;
  /** 1-based line where the directive starts; 0 for notes about the file as a whole. */
  line: number;
  /** The line as written, with passwords replaced by `[REDACTED]`. */
  text: string;
  status: ImportStatus;
  note: string;
}

/** A password taken out of a MONITOR line, for the caller's secret store. */
export interface ImportedSecret {
  /** `passwordKey(masterId, upsName)`. */
  key: string;
  value: string;
  masterId: string;
  upsName: string;
}

export interface UpsmonImportInput {
  upsmonConf: string;
  /** upssched.conf, when upsmon.conf's NOTIFYCMD is upssched. */
  upsschedConf?: string;
  /** Names used in the report (default `upsmon.conf`, `upssched.conf`). */
  upsmonFileName?: string;
  upsschedFileName?: string;
}

export interface UpsmonImportResult {
  /** At least one UPS was imported. */
  ok: boolean;
  /** The imported config: upsmon's settings on top of NUT Sentinel's defaults. Never contains a password. */
  config: Config;
  /** Only what the files set explicitly (what `mergeImported` applies to an existing config). */
  settings: ImportedSettings;
  secrets: ImportedSecret[];
  report: ImportReportLine[];
  /** One sentence for the UI, e.g. `Imported 1 UPS from 1 master; 28 lines mapped, …`. */
  summary: string;
}

const REDACTED = '[REDACTED]';

const UPSMON_TYPES: ReadonlySet<string> = new Set<string>(UPSMON_NOTIFY_TYPES);
function isUpsmonNotifyType(value: string): value is UpsmonNotifyType {
  return UPSMON_TYPES.has(value);
}

/** upsmon's defaults for directives we do not import, so a default value is reported as harmless. */
const UNIMPORTED_DEFAULTS: Record<string, { default: readonly string[]; meaning: string }> = {
  OFFDURATION: { default: ['30'], meaning: 'how long an administrative OFF must last before it counts as power loss' },
  OVERDURATION: { default: ['-1'], meaning: 'when an overloaded UPS that stopped answering counts as critical' },
  OBLBDURATION: { default: ['0'], meaning: 'how long OB LB must last before it is critical' },
  ALARMCRITICAL: { default: ['1', 'yes', 'on', 'true'], meaning: 'whether ALARM plus lost communication counts as critical' },
  SHUTDOWNEXIT: { default: ['0', 'yes', 'on', 'true'], meaning: 'whether upsmon exits after starting SHUTDOWNCMD' },
};

const TIMING_DIRECTIVES = {
  DEADTIME: 'deadTimeSeconds',
  HOSTSYNC: 'hostSyncSeconds',
  FINALDELAY: 'finalDelaySeconds',
  NOCOMMWARNTIME: 'noCommWarnSeconds',
  RBWARNTIME: 'rbWarnSeconds',
} as const satisfies Record<string, keyof Timing>;
type TimingDirective = keyof typeof TIMING_DIRECTIVES;

const UPSMON_DIRECTIVES = new Set([
  'MONITOR',
  'SHUTDOWNCMD',
  'NOTIFYCMD',
  'NOTIFYMSG',
  'NOTIFYFLAG',
  'POLLFREQ',
  'POLLFREQALERT',
  ...Object.keys(TIMING_DIRECTIVES),
  'MINSUPPLIES',
  'POWERDOWNFLAG',
  'RUN_AS_USER',
  'CERTPATH',
  'CERTFILE',
  'CERTIDENT',
  'CERTHOST',
  'CERTVERIFY',
  'FORCESSL',
  'DEBUG_MIN',
  'POLLFAIL_LOG_THROTTLE_MAX',
  ...Object.keys(UNIMPORTED_DEFAULTS),
]);
const UPSSCHED_DIRECTIVES = new Set(['CMDSCRIPT', 'PIPEFN', 'LOCKFN', 'AT']);

/** The report entry being built for one logical line. */
interface Entry {
  file: string;
  conf: ConfLine | null;
  status: ImportStatus;
  notes: string[];
  /** Indexes of words to redact in the text. */
  redact: Set<number>;
}

interface MonitorLine {
  entry: Entry;
  /** The system string as written, e.g. `apc@192.168.1.107` (upsmon's UPSNAME). */
  system: string;
  ups: string;
  host: string;
  port: number;
  powerValue: number;
  username: string;
  password: string;
  wasPrimary: boolean;
}

type ParsedSystem = { ok: true; ups: string; host: string; port: number; hostDefaulted: boolean } | { ok: false; reason: string };

/** upscli_splitname(): `<ups>[@<host>[:<port>]]`, IPv6 as `[addr]:port`. Stricter: no silent garbage. */
export function splitUpsSystem(system: string): ParsedSystem {
  const at = system.indexOf('@');
  const ups = at < 0 ? system : system.slice(0, at);
  if (ups === '') return { ok: false, reason: 'the UPS name before `@` is empty' };
  if (at < 0) {
    if (ups.includes(':')) return { ok: false, reason: 'a port needs a host: write `<ups>@<host>:<port>`' };
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
    if (rest !== '' && !rest.startsWith(':')) return { ok: false, reason: `unexpected text after \`]\` (expected \`:<port>\`)` };
    if (rest !== '') portText = rest.slice(1);
  } else {
    const colons = addr.split(':').length - 1;
    if (colons > 1) return { ok: false, reason: 'an IPv6 address must be written in brackets: `<ups>@[<address>]:<port>`' };
    const colon = addr.indexOf(':');
    host = colon < 0 ? addr : addr.slice(0, colon);
    if (colon >= 0) portText = addr.slice(colon + 1);
  }
  if (host === '') return { ok: false, reason: 'the host is empty' };
  let port = 3493;
  if (portText !== undefined) {
    if (!/^[0-9]+$/.test(portText)) return { ok: false, reason: `bad port \`${portText}\` (expected a number from 1 to 65535)` };
    port = Number(portText);
    if (port < 1 || port > 65_535) return { ok: false, reason: `bad port ${portText} (expected 1 to 65535)` };
  }
  return { ok: true, ups, host, port, hostDefaulted: false };
}

const UPS_NAME = /^[A-Za-z0-9_.-]+$/;

function hostKey(host: string, port: number): string {
  return `${host.toLowerCase()}:${port}`;
}

function slug(text: string): string {
  return text
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '');
}

/** A master id from its host (and port when not 3493), unique among `taken`. */
export function masterIdFor(host: string, port: number, taken: ReadonlySet<string>): string {
  const base = `${slug(host) || 'master'}${port === 3493 ? '' : `-${port}`}`;
  if (!taken.has(base)) return base;
  for (let n = 2; ; n++) if (!taken.has(`${base}-${n}`)) return `${base}-${n}`;
}

function guessPreset(host: string): Master['preset'] {
  if (/synology|diskstation|(^|[^a-z0-9])ds[0-9]{3,4}/i.test(host)) return 'synology';
  if (/proxmox|(^|[^a-z])pve([^a-z]|$)/i.test(host)) return 'proxmox';
  return 'generic';
}

function parseInteger(text: string): number | null {
  return /^[+-]?[0-9]{1,9}$/.test(text) ? Number(text) : null;
}

function plural(n: number, word: string, many = `${word}s`): string {
  return `${n} ${n === 1 ? word : many}`;
}

/**
 * Replaces every occurrence of every secret. The replacement itself is checked too (a secret could
 * be part of `[REDACTED]`, or appear across its boundary): then occurrences are removed until none
 * is left, which always ends because the text shrinks.
 */
export function scrubSecrets(text: string, secrets: readonly string[]): string {
  const needles = [...new Set(secrets.filter((s) => s.length > 0))].sort((a, b) => b.length - a.length);
  if (needles.length === 0) return text;
  let out = text;
  for (const s of needles) out = out.split(s).join(REDACTED);
  for (;;) {
    const hit = needles.find((s) => out.includes(s));
    if (hit === undefined) return out;
    out = out.split(hit).join('');
  }
}

class Importer {
  readonly entries: Entry[] = [];
  readonly monitors: MonitorLine[] = [];
  readonly settings: ImportedSettings = { timing: {}, events: {} };
  /** Values to scrub from every report string. */
  readonly secretValues: string[] = [];
  /** The last line that set a single-valued directive (`NOTIFYCMD`, `NOTIFYMSG ONBATT`, …): upsmon keeps the last. */
  readonly lastSetter = new Map<string, Entry>();
  notifyCmdEntry: Entry | null = null;
  notifyCmdIsUpssched = false;
  forceSsl: { entry: Entry; value: boolean } | null = null;
  certVerify: { entry: Entry; value: boolean } | null = null;
  minSupplies: { entry: Entry; value: number } | null = null;
  readonly flags = new Map<UpsmonNotifyType, { exec: boolean; entry: Entry }>();

  constructor(readonly upsmonFile: string) {}

  entry(file: string, conf: ConfLine | null): Entry {
    const e: Entry = { file, conf, status: 'mapped', notes: [], redact: new Set() };
    this.entries.push(e);
    return e;
  }

  fileNote(file: string, status: ImportStatus, note: string): void {
    const e = this.entry(file, null);
    e.status = status;
    e.notes.push(note);
  }

  set(e: Entry, status: ImportStatus, note: string): void {
    e.status = status;
    e.notes.push(note);
  }

  /** Records `e` as the current setter of `key`; the previous one is marked as overridden. */
  supersede(key: string, e: Entry): void {
    const previous = this.lastSetter.get(key);
    if (previous && previous.status === 'mapped') {
      previous.status = 'ignored';
      previous.notes.push(`replaced by line ${e.conf?.line ?? 0} (upsmon uses the last one)`);
    }
    this.lastSetter.set(key, e);
  }

  // ---------------------------------------------------------------- upsmon.conf

  upsmonLine(conf: ConfLine): void {
    const e = this.entry(this.upsmonFile, conf);
    const words = conf.words.map((w) => w.value);
    const directive = words[0] ?? '';
    const quirkNotes = describeQuirks(conf.quirks);
    // Redact before anything can fail: a MONITOR's password (or whatever stands where it would be),
    // and CERTIDENT's key database password.
    // Case-insensitively: upsmon ignores `monitor …`, but the line still holds a password.
    if (directive.toUpperCase() === 'MONITOR') {
      const role = (words[5] ?? '').toLowerCase();
      const validRole = ['primary', 'master', 'secondary', 'slave'].includes(role);
      for (let k = 3; k < words.length; k++) if (k === 4 || !validRole || words.length < 6 || k > 5) e.redact.add(k);
      if (words.length >= 6 && words[4] !== undefined) this.secretValues.push(words[4]);
    } else if (directive.toUpperCase() === 'CERTIDENT') {
      for (let k = 2; k < words.length; k++) e.redact.add(k);
      if (words[2] !== undefined) this.secretValues.push(words[2]);
    }
    if (conf.quirks.includes('unterminated-quote')) {
      this.set(e, 'error', `${quirkNotes.join('; ')}; not imported: close the quote`);
      return;
    }
    this.upsmonDirective(e, directive, words);
    e.notes.push(...quirkNotes);
  }

  upsmonDirective(e: Entry, directive: string, words: string[]): void {
    if (!UPSMON_DIRECTIVES.has(directive)) {
      this.unknownDirective(e, directive, words, UPSMON_DIRECTIVES, 'upsmon');
      return;
    }
    // upsmon: every directive needs at least one argument, else "invalid directive".
    if (words.length < 2) {
      this.set(e, 'error', `\`${directive}\` needs a value; upsmon rejects this line as an invalid directive`);
      return;
    }
    const arg = words[1] ?? '';
    const extra = (from: number) => {
      if (words.length > from) e.notes.push(`${plural(words.length - from, 'extra word')} ignored, as upsmon ignores them`);
    };
    switch (directive) {
      case 'MONITOR':
        this.monitor(e, words);
        return;
      case 'SHUTDOWNCMD': {
        extra(2);
        const imported = importCommand(arg, false);
        if (!imported) {
          this.set(e, 'error', 'the shutdown command is empty');
          return;
        }
        this.supersede('SHUTDOWNCMD', e);
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
        this.supersede('NOTIFYCMD', e);
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
          this.set(e, 'error', 'the notify command is empty');
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
          this.set(e, 'error', `${directive} must be a whole number of seconds (1 or more)`);
          return;
        }
        this.settings.statusPollCeilingSeconds = Math.min(this.settings.statusPollCeilingSeconds ?? Infinity, n);
        this.set(e, 'ignored', `noted, not needed: NUT Sentinel polls ups.status every ${defaultConfig().timing.statusPollSeconds} s (upsmon polled every ${n} s); when merging into a config whose status poll is slower than ${n} s, it is lowered to ${n} s`);
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
          this.set(e, 'error', 'MINSUPPLIES must be a whole number (0 or more)');
          return;
        }
        this.supersede('MINSUPPLIES', e);
        this.minSupplies = { entry: e, value: n };
        if (n === 0) e.notes.push('MINSUPPLIES 0: upsmon never shut this machine down, so every imported UPS is monitor-only');
        // Otherwise decided in buildMasters, once every MONITOR line (and power value) is known.
        return;
      }
      case 'POWERDOWNFLAG':
        this.set(e, 'ignored', 'not needed: only a primary (the machine wired to the UPS) writes the power-down flag, and NUT Sentinel is never primary');
        return;
      case 'RUN_AS_USER':
        this.set(e, 'ignored', 'not needed: NUT Sentinel runs as the user who starts it');
        return;
      case 'DEBUG_MIN':
        this.set(e, 'ignored', 'not needed: NUT Sentinel has its own log level');
        return;
      case 'POLLFAIL_LOG_THROTTLE_MAX':
        this.set(e, 'ignored', 'not needed: only throttles upsmon’s log messages');
        return;
      case 'CERTPATH':
        this.set(
          e,
          'unsupported',
          "a certificate directory or NSS database cannot be imported: paste the CA certificate (PEM) or pin the server certificate's SHA-256 fingerprint in the master's TLS settings",
        );
        return;
      case 'CERTFILE':
      case 'CERTIDENT':
        this.set(e, 'unsupported', 'client certificates are not supported by NUT Sentinel (upsd accepts password logins without them)');
        return;
      case 'CERTHOST':
        this.set(
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
          this.set(e, 'error', `${directive} must be 0 or 1`);
          return;
        }
        this.supersede(directive, e);
        if (directive === 'FORCESSL') this.forceSsl = { entry: e, value: n === 1 };
        else this.certVerify = { entry: e, value: n === 1 };
        return; // completed with the masters (tlsNotes)
      }
      default: {
        const known = UNIMPORTED_DEFAULTS[directive];
        if (known) {
          extra(2);
          if (known.default.includes(arg.toLowerCase())) this.set(e, 'ignored', `upsmon's default value (${known.meaning}); nothing to import`);
          else this.set(e, 'unsupported', `${directive} (${known.meaning}) has no NUT Sentinel setting; not imported (upsmon's default is ${known.default[0] ?? ''})`);
        }
      }
    }
  }

  unknownDirective(e: Entry, directive: string, words: string[], known: ReadonlySet<string>, program: string): void {
    const upper = directive.toUpperCase();
    if (known.has(upper)) {
      this.set(e, 'error', `${program} directive names are upper-case: ${program} ignores \`${directive}\` (write \`${upper}\`)`);
    } else if (words[1] === '=') {
      this.set(e, 'error', `\`${directive} = …\` is a nut.conf/ups.conf style setting, not a ${program} directive; ${program} ignores it`);
    } else if (program === 'upsmon' && UPSSCHED_DIRECTIVES.has(upper)) {
      this.set(e, 'error', `\`${directive}\` belongs in upssched.conf, not upsmon.conf; upsmon ignores it`);
    } else if (program === 'upssched' && UPSMON_DIRECTIVES.has(upper)) {
      this.set(e, 'error', `\`${directive}\` belongs in upsmon.conf, not upssched.conf; upssched ignores it`);
    } else {
      this.set(e, 'error', `unknown directive \`${directive}\`: ${program} ignores it`);
    }
  }

  monitor(e: Entry, words: string[]): void {
    if (words.length < 5) {
      this.set(e, 'error', 'MONITOR needs 5 values: `MONITOR <ups>[@<host>[:<port>]] <powervalue> <user> <password> secondary`');
      return;
    }
    if (words.length === 5) {
      this.set(e, 'error', 'old-style MONITOR without a user name: upsmon refuses to start with it; write `MONITOR <ups>@<host> <powervalue> <user> <password> secondary`');
      return;
    }
    const [, system = '', pvText = '', username = '', password = '', roleText = ''] = words;
    if (words.length > 6) e.notes.push(`${plural(words.length - 6, 'extra word')} after the role ignored, as upsmon ignores them (a password with spaces must be quoted)`);
    const parsed = splitUpsSystem(system);
    if (!parsed.ok) {
      this.set(e, 'error', `\`${system}\`: ${parsed.reason}`);
      return;
    }
    if (!UPS_NAME.test(parsed.ups)) {
      this.set(e, 'error', `UPS name \`${parsed.ups}\`: only letters, digits, \`_\`, \`.\` and \`-\` are supported`);
      return;
    }
    const pv = parseInteger(pvText);
    if (pv === null || pv < 0) {
      this.set(e, 'error', 'the power value must be a whole number (0 = monitor only, 1 = this machine has one power supply on this UPS)');
      return;
    }
    if (pv > 16) {
      this.set(e, 'error', `power value ${pv} is too large (at most 16)`);
      return;
    }
    const role = roleText.toLowerCase();
    if (!['primary', 'master', 'secondary', 'slave'].includes(role)) {
      this.set(e, 'error', 'the last value must be `secondary` (or `slave`, `primary`, `master`)');
      return;
    }
    const dup = this.monitors.find((m) => m.system === system || (hostKey(m.host, m.port) === hostKey(parsed.host, parsed.port) && m.ups === parsed.ups));
    if (dup) {
      this.set(e, 'ignored', `same UPS as line ${dup.entry.conf?.line ?? 0}: upsmon ignores the duplicate`);
      return;
    }
    this.monitors.push({
      entry: e,
      system,
      ups: parsed.ups,
      host: parsed.host,
      port: parsed.port,
      powerValue: pv,
      username,
      password,
      wasPrimary: role === 'primary' || role === 'master',
    });
    if (parsed.hostDefaulted) e.notes.push("no host given: localhost, upsmon's default");
  }

  timing(e: Entry, directive: TimingDirective, arg: string): void {
    const key = TIMING_DIRECTIVES[directive];
    const n = parseInteger(arg);
    if (n === null) {
      this.set(e, 'error', `${directive} must be a whole number of seconds`);
      return;
    }
    const check = TimingSchema.shape[key].safeParse(n);
    if (!check.success) {
      this.set(e, 'error', `${directive} ${n}: ${check.error.issues[0]?.message ?? 'out of range'} (timing.${key})`);
      return;
    }
    this.supersede(directive, e);
    this.settings.timing[key] = n;
    e.notes.push(`→ timing.${key} = ${n}`);
  }

  notifySetting(e: Entry, directive: 'NOTIFYMSG' | 'NOTIFYFLAG', words: string[]): void {
    if (words.length < 3) {
      this.set(e, 'error', `${directive} needs a type and a ${directive === 'NOTIFYMSG' ? 'message' : 'flag list'}; upsmon rejects this line`);
      return;
    }
    const [, type = '', value = ''] = words;
    if (words.length > 3) e.notes.push(`${plural(words.length - 3, 'extra word')} ignored (a message with spaces must be quoted)`);
    if (!isUpsmonNotifyType(type)) {
      const upper = type.toUpperCase();
      this.set(
        e,
        'error',
        isUpsmonNotifyType(upper) ? `notify types are upper-case: upsmon ignores \`${type}\` (write \`${upper}\`)` : `unknown notify type \`${type}\`; upsmon ignores this line`,
      );
      return;
    }
    this.supersede(`${directive} ${type}`, e);
    const policy = (this.settings.events[type] ??= {});
    if (directive === 'NOTIFYMSG') {
      policy.message = value;
      e.notes.push(`→ hooks.events.${type}.message`);
      if (/%(?![s%])/.test(value)) e.notes.push('only `%s` (the UPS) and `%%` are substituted in messages');
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
    e.notes.push(`→ hooks.events.${type}: notify ${notify ? 'on' : 'off'}, exec ${exec ? 'on' : 'off'}`);
    if (ignore && flags.length > 1) e.notes.push('IGNORE wins over the other flags, as in upsmon');
    if (flags.includes('WALL')) e.notes.push('WALL becomes a desktop notification');
    if (unknown.length > 0) e.notes.push(`unknown flag ${unknown.map((f) => `\`${f}\``).join(', ')} ignored, as upsmon ignores it`);
  }

  // ---------------------------------------------------------------- masters

  buildMasters(): { masters: Master[]; secrets: ImportedSecret[] } {
    const masters: Master[] = [];
    const secrets: ImportedSecret[] = [];
    const byHost = new Map<string, Master>();
    const taken = new Set<string>();
    const monitorOnlyAll = this.minSupplies?.value === 0;
    for (const m of this.monitors) {
      let master = byHost.get(hostKey(m.host, m.port));
      if (!master) {
        const id = masterIdFor(m.host, m.port, taken);
        taken.add(id);
        const preset = guessPreset(m.host);
        const hostPort = m.port === 3493 ? m.host : `${m.host.includes(':') ? `[${m.host}]` : m.host}:${m.port}`;
        master = { id, label: `${MASTER_PRESETS[preset].label} (${hostPort})`, preset, host: m.host, port: m.port, tls: { mode: 'off', insecure: false }, ups: [] };
        byHost.set(hostKey(m.host, m.port), master);
        masters.push(master);
      }
      const role: MonitoredUps['role'] = m.powerValue === 0 || monitorOnlyAll ? 'monitor-only' : 'secondary';
      const hasPassword = m.password !== '';
      master.ups.push({
        name: m.ups,
        role,
        username: m.username,
        password: hasPassword ? { source: 'store' } : { source: 'none' },
        powerValue: m.powerValue,
        expectedClients: [],
      });
      const key = passwordKey(master.id, m.ups);
      if (hasPassword) secrets.push({ key, value: m.password, masterId: master.id, upsName: m.ups });
      const notes = m.entry.notes;
      notes.unshift(
        `→ master \`${master.id}\` (${master.host} port ${master.port}), UPS \`${m.ups}\`, user \`${m.username}\`, role ${role}` +
          (hasPassword ? `; the password goes to the password store (key ${key}), never into the config` : '; no password'),
      );
      if (m.wasPrimary) {
        notes.push(
          'upsmon was primary here (the machine wired to the UPS, which sets FSD for the others); NUT Sentinel never acts as primary, so it is imported as secondary: keep upsmon as the primary on this machine',
        );
      }
      if (m.powerValue === 0) notes.push('power value 0: monitor-only, never shuts this machine down (upsmon does not even log in)');
      else if (monitorOnlyAll) notes.push('monitor-only because of MINSUPPLIES 0');
      if (m.ups === 'ups' && m.username.toLowerCase() === 'monuser') {
        notes.push("UPS `ups` with user `monuser` is what a Synology NAS serves: if this master is a Synology, pick the Synology preset (its hints cover DSM's \"Permitted DiskStation devices\")");
      } else if (m.username.toLowerCase() === 'upsmonclient') {
        notes.push('user `upsmonclient` as in the Proxmox VE guides: if this master is a Proxmox host, pick the Proxmox preset');
      }
      if (master.preset !== 'generic') notes.push(`preset ${master.preset}, guessed from the host name`);
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
  mapMinSupplies(): void {
    const entry = this.minSupplies?.entry;
    const wanted = this.minSupplies?.value ?? 1;
    if (wanted === 0) return;
    const feeding = this.monitors.filter((m) => m.powerValue > 0);
    const total = feeding.reduce((sum, m) => sum + m.powerValue, 0);
    if (feeding.length === 0) return;
    if (wanted > total) {
      const reason = `MINSUPPLIES ${wanted} is more than the UPSes feed (power values add up to ${total}): upsmon refuses to start with this, so it is not imported`;
      if (entry) this.set(entry, 'error', reason);
      else this.fileNote(this.upsmonFile, 'error', reason);
      return;
    }
    if (feeding.length === 1 && total === 1) {
      if (entry) this.set(entry, 'ignored', "upsmon's default: this machine shuts down when the UPS that feeds it goes critical");
      return;
    }
    this.settings.minSupplies = wanted;
    const meaning = `→ shutdown.minSupplies = ${wanted}: like upsmon, this machine shuts down when the UPSes that are not critical feed fewer than ${wanted} of its supplies (${feeding.length} UPS${feeding.length === 1 ? '' : 'es'}, power ${total})`;
    if (entry) {
      this.set(entry, 'mapped', meaning);
    } else {
      this.fileNote(this.upsmonFile, 'mapped', `MINSUPPLIES not set, upsmon's default 1 kept ${meaning}`);
    }
  }

  applyTls(masters: Master[]): void {
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
      else this.set(e, 'ignored', "upsmon's default (use TLS when the server offers it); TLS is set per master in NUT Sentinel");
    }
    if (this.certVerify) {
      const e = this.certVerify.entry;
      if (this.certVerify.value) {
        e.notes.push(
          `→ tls.mode = required, certificate verified, on ${count}: add the server's CA certificate (PEM) or pin its SHA-256 fingerprint in each master's TLS settings, or the connection will fail`,
        );
      } else if (force) {
        e.notes.push(`→ tls.insecure = true on ${count} (encrypted but the certificate is not checked, as upsmon did); pin the fingerprint to authenticate the master`);
      } else {
        this.set(e, 'ignored', "upsmon's default (certificates are not verified)");
      }
    } else if (force) {
      this.forceSsl?.entry.notes.push('certificates are not verified (CERTVERIFY 0, upsmon’s default): tls.insecure = true; pin the fingerprint to authenticate the master');
    }
  }

  // ---------------------------------------------------------------- upssched.conf

  upssched(text: string | undefined, file: string, masters: Master[]): ImportedSettings['upssched'] {
    const notifyCmd = this.notifyCmdEntry;
    if (this.notifyCmdIsUpssched && notifyCmd && text === undefined) {
      this.set(
        notifyCmd,
        'error',
        'NOTIFYCMD is upssched, but no upssched.conf was given: its timer rules were NOT imported. Import again together with upssched.conf (usually /etc/nut/upssched.conf), or add the rules under Hooks → upssched',
      );
      return undefined;
    }
    if (text === undefined) return undefined;
    const lines = tokenizeConf(text);
    if (!this.notifyCmdIsUpssched) {
      for (const conf of lines) {
        const e = this.entry(file, conf);
        this.set(
          e,
          'ignored',
          "upsmon.conf's NOTIFYCMD is not upssched, so upsmon never ran these rules; not imported (set `NOTIFYCMD /usr/sbin/upssched` in upsmon.conf and import again if you want them)",
        );
      }
      return undefined;
    }
    let cmdScript: Command | null = null;
    let cmdScriptEntry: Entry | null = null;
    const rules: { rule: UpsschedRule; entry: Entry }[] = [];
    for (const conf of lines) {
      const e = this.entry(file, conf);
      const words = conf.words.map((w) => w.value);
      const directive = words[0] ?? '';
      const quirkNotes = describeQuirks(conf.quirks);
      if (conf.quirks.includes('unterminated-quote')) {
        this.set(e, 'error', `${quirkNotes.join('; ')}; not imported: close the quote`);
        continue;
      }
      if (!UPSSCHED_DIRECTIVES.has(directive)) {
        this.unknownDirective(e, directive, words, UPSSCHED_DIRECTIVES, 'upssched');
        continue;
      }
      if (words.length < 2) {
        this.set(e, 'error', `\`${directive}\` needs a value; upssched rejects this line`);
        continue;
      }
      if (directive === 'PIPEFN' || directive === 'LOCKFN') {
        this.set(e, 'ignored', 'not needed: timers run inside NUT Sentinel');
      } else if (directive === 'CMDSCRIPT') {
        const imported = importCommand(words[1] ?? '', true);
        if (!imported) {
          this.set(e, 'error', 'CMDSCRIPT is empty');
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
        if (words.length > 2) e.notes.push('extra words ignored (a path with spaces must be quoted)');
      } else {
        const rule = this.atRule(e, words, masters);
        if (rule) {
          rules.push({ rule, entry: e });
          if (!cmdScriptEntry) e.notes.push('upssched needs CMDSCRIPT before the AT lines; imported anyway');
        }
      }
      e.notes.push(...quirkNotes);
    }
    if (!cmdScript) {
      for (const { entry } of rules) this.set(entry, 'error', 'not imported: upssched.conf has no CMDSCRIPT to run');
      this.fileNote(file, 'error', `upssched.conf has no CMDSCRIPT, so its ${plural(rules.length, 'rule')} cannot run and were not imported`);
      if (notifyCmd) notifyCmd.notes.push('upssched: no rules imported (upssched.conf has no CMDSCRIPT)');
      return undefined;
    }
    if (notifyCmd) {
      notifyCmd.notes.push(
        `upssched: its ${plural(rules.length, 'rule')} from upssched.conf are imported into NUT Sentinel's built-in upssched-compatible timers (hooks.upssched); the upssched program itself is not run`,
      );
    }
    return { cmdScript, rules: rules.map((r) => r.rule) };
  }

  atRule(e: Entry, words: string[], masters: Master[]): UpsschedRule | null {
    // AT <notifytype> <upsname|*> <command> [<args>]
    if (words.length < 4) {
      this.set(e, 'error', 'AT needs `AT <notifytype> <ups|*> <command> …`');
      return null;
    }
    const [, typeText = '', ups = '', command = '', a1, a2] = words;
    const type = typeText.toUpperCase(); // upssched compares notify types case-insensitively
    if (!isUpsmonNotifyType(type)) {
      this.set(e, 'error', `unknown notify type \`${typeText}\``);
      return null;
    }
    let rule: unknown;
    let used: number;
    switch (command) {
      case 'START-TIMER':
        if (a1 === undefined || a2 === undefined) {
          this.set(e, 'error', 'START-TIMER needs a timer name and seconds');
          return null;
        }
        if (!/^[0-9]+$/.test(a2)) {
          this.set(e, 'error', `START-TIMER seconds \`${a2}\` is not a whole number`);
          return null;
        }
        rule = { event: type, ups, action: 'START-TIMER', timer: a1, seconds: Number(a2) };
        used = 6;
        break;
      case 'CANCEL-TIMER':
        if (a1 === undefined) {
          this.set(e, 'error', 'CANCEL-TIMER needs a timer name');
          return null;
        }
        rule = a2 === undefined ? { event: type, ups, action: 'CANCEL-TIMER', timer: a1 } : { event: type, ups, action: 'CANCEL-TIMER', timer: a1, command: a2 };
        used = a2 === undefined ? 5 : 6;
        break;
      case 'EXECUTE':
        if (a1 === undefined || a1 === '') {
          this.set(e, 'error', 'EXECUTE needs an argument for CMDSCRIPT');
          return null;
        }
        rule = { event: type, ups, action: 'EXECUTE', command: a1 };
        used = 5;
        break;
      case 'START-TIMER-SHARED':
      case 'CANCEL-TIMER-MATCHED':
        this.set(e, 'unsupported', `${command} (NUT 2.8.5+) is not supported yet; use START-TIMER / CANCEL-TIMER`);
        return null;
      default:
        this.set(e, 'error', `unknown upssched command \`${command}\` (START-TIMER, CANCEL-TIMER or EXECUTE)`);
        return null;
    }
    if (words.length > used) e.notes.push(`${plural(words.length - used, 'extra word')} ignored, as upssched ignores them`);
    const checked = UpsschedRuleSchema.safeParse(rule);
    if (!checked.success) {
      this.set(e, 'error', checked.error.issues[0]?.message ?? 'invalid rule');
      return null;
    }
    const parsed = checked.data;
    const flag = this.flags.get(type);
    if (!flag?.exec) {
      // NUT Sentinel runs upssched rules for every event they name; upsmon only handed EXEC events
      // to upssched. Importing this rule would make it fire where it never did.
      this.set(
        e,
        'ignored',
        `not imported: upsmon only runs upssched for events whose NOTIFYFLAG has EXEC, and ${type} ${
          flag ? `has \`NOTIFYFLAG ${type}\` without EXEC (upsmon.conf line ${flag.entry.conf?.line ?? 0})` : 'has no NOTIFYFLAG (default SYSLOG+WALL)'
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
    if (typeText !== type) e.notes.push(`type written \`${typeText}\`; upssched matches it case-insensitively`);
    parsed.ups = this.ruleUps(e, ups, masters);
    return parsed;
  }

  /** Maps an AT rule's UPS field to NUT Sentinel's system string and explains mismatches. */
  ruleUps(e: Entry, ups: string, masters: Master[]): string {
    if (ups === '*') return ups;
    const exact = this.monitors.find((m) => m.system === ups);
    if (exact) {
      const master = masters.find((x) => hostKey(x.host, x.port) === hostKey(exact.host, exact.port));
      const canonical = master ? upsSystemName(master, exact.ups) : ups;
      if (canonical !== ups) e.notes.push(`NUT Sentinel names this UPS \`${canonical}\` (written \`${ups}\` in upsmon.conf): rule updated to match`);
      return canonical;
    }
    const parsed = splitUpsSystem(ups);
    const sameName = parsed.ok ? this.monitors.filter((m) => m.ups === parsed.ups) : [];
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

/**
 * Imports upsmon.conf (and upssched.conf) text. Never throws; see the module comment.
 */
export function importUpsmonConf(input: UpsmonImportInput): UpsmonImportResult {
  const upsmonFile = input.upsmonFileName ?? 'upsmon.conf';
  const upsschedFile = input.upsschedFileName ?? 'upssched.conf';
  const imp = new Importer(upsmonFile);

  for (const conf of tokenizeConf(input.upsmonConf)) imp.upsmonLine(conf);
  const { masters, secrets } = imp.buildMasters();
  if (imp.monitors.length === 0) imp.fileNote(upsmonFile, 'error', 'no usable MONITOR line: there is no UPS to import');

  const upssched = imp.upssched(input.upsschedConf, upsschedFile, masters);
  if (upssched) imp.settings.upssched = upssched;

  if (imp.settings.notifyCommand && ![...imp.flags.values()].some((f) => f.exec)) {
    imp.notifyCmdEntry?.notes.push('no NOTIFYFLAG has EXEC, so upsmon never ran it (and neither will NUT Sentinel)');
  }

  let config: Config;
  const base = defaultConfig();
  const built = ConfigSchema.safeParse({ ...applyImportedSettings(base, imp.settings), masters });
  if (built.success) {
    config = built.data;
  } else {
    // Every piece was validated on its own; this is a safety net, not an expected path.
    imp.fileNote(upsmonFile, 'error', `internal error: the imported configuration did not validate (${built.error.issues[0]?.message ?? 'unknown'}); nothing was imported`);
    config = base;
  }

  const texts = new Map([[upsmonFile, input.upsmonConf]]);
  if (input.upsschedConf !== undefined) texts.set(upsschedFile, input.upsschedConf);
  const report = finishReport(imp, texts);
  const ok = built.success && config.masters.length > 0;
  const count = (s: ImportStatus) => report.filter((r) => r.status === s && r.line > 0).length;
  const upsCount = config.masters.reduce((n, m) => n + m.ups.length, 0);
  const summary =
    `${ok ? 'Imported' : 'Nothing usable imported:'} ${plural(upsCount, 'UPS', 'UPSes')} from ${plural(config.masters.length, 'master')}; ` +
    `${plural(count('mapped'), 'line')} mapped, ${count('ignored')} ignored, ${count('unsupported')} unsupported, ${plural(count('error'), 'error')}` +
    (secrets.length > 0 ? `; ${plural(secrets.length, 'password')} for the password store` : '');
  return {
    ok,
    config,
    settings: built.success ? imp.settings : { timing: {}, events: {} },
    secrets: built.success ? secrets : [],
    report,
    summary: scrubSecrets(summary, imp.secretValues),
  };
}

function finishReport(imp: Importer, texts: Map<string, string>): ImportReportLine[] {
  const secrets = imp.secretValues;
  const lines = imp.entries.map((e): ImportReportLine => {
    let text = '';
    const notes = [...e.notes];
    const conf = e.conf;
    if (conf) {
      const source = texts.get(e.file) ?? '';
      // A quote left open swallows the following lines (upsmon reads on until a closing quote):
      // show only the first line, since the rest may be anything, passwords included.
      const swallowed = conf.quirks.includes('unterminated-quote') && conf.lastLine > conf.line;
      const firstLineEnd = source.indexOf('\n', conf.start);
      const end = swallowed && firstLineEnd >= 0 ? Math.min(firstLineEnd, conf.end) : conf.end;
      let pos = conf.start;
      conf.words.forEach((w, index) => {
        if (w.start >= end || pos >= end) return;
        if (e.redact.has(index) || secrets.some((s) => s !== '' && w.value.includes(s))) {
          text += source.slice(pos, w.start) + REDACTED;
          pos = Math.min(w.end, end);
        }
      });
      if (pos < end) text += source.slice(pos, end);
      if (swallowed) {
        text += ' …';
        notes.push(
          conf.lastLine === conf.line + 1
            ? `line ${conf.lastLine} was read into this quote, so it was not imported either`
            : `lines ${conf.line + 1}–${conf.lastLine} were read into this quote, so they were not imported either`,
        );
      }
    }
    return {
      file: e.file,
      line: conf?.line ?? 0,
      text: scrubSecrets(text.replace(/\r/g, ''), secrets),
      status: e.status,
      note: scrubSecrets(notes.join('; '), secrets),
    };
  });
  // upsmon.conf first, then upssched.conf; file-level notes (line 0) after each file's lines.
  const order = [...texts.keys()];
  const key = (l: ImportReportLine) => order.indexOf(l.file) * 1e9 + (l.line === 0 ? 1e9 - 1 : l.line);
  return lines
    .map((l, index) => ({ l, index }))
    .sort((a, b) => key(a.l) - key(b.l) || a.index - b.index)
    .map(({ l }) => l);
}

