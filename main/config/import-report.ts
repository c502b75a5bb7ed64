/**
 * The per-line report that the upsmon.conf and upssched.conf importers fill in, and what both
 * formats share: report entries, the directive names each program knows (for "this belongs in
 * the other file" hints) and the scrubbing of passwords out of every report text.
 */
import type { ImportReportLine } from '../../shared/ipc';
import { SecretScrubber, REDACTED } from '../platform/redaction';
import type { Sliced } from '../platform/slices';
import type { ConfLine } from './parseconf';

/** One report line: the contract's ImportReportLine (shared/ipc.ts), inferred from its schema. */
export type { ImportReportLine };
export type ImportStatus = ImportReportLine['status'];

/** A password taken out of a MONITOR line, for the caller's secret store. */
export interface ImportedSecret {
  /** `passwordKey(masterId, upsName)`. */
  key: string;
  value: string;
  masterId: string;
  upsName: string;
}

/** The report entry being built for one logical line. */
export interface ReportEntry {
  file: string;
  conf: ConfLine | null;
  status: ImportStatus;
  notes: string[];
  /** Indexes of words to redact in the text. */
  redact: Set<number>;
}

/** Every directive upsmon knows (NUT 2.8), whether imported or not. */
export const UPSMON_DIRECTIVE_NAMES = [
  'MONITOR',
  'SHUTDOWNCMD',
  'NOTIFYCMD',
  'NOTIFYMSG',
  'NOTIFYFLAG',
  'POLLFREQ',
  'POLLFREQALERT',
  'DEADTIME',
  'HOSTSYNC',
  'FINALDELAY',
  'NOCOMMWARNTIME',
  'RBWARNTIME',
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
  'OFFDURATION',
  'OVERDURATION',
  'OBLBDURATION',
  'ALARMCRITICAL',
  'SHUTDOWNEXIT',
] as const;
export type UpsmonDirective = (typeof UPSMON_DIRECTIVE_NAMES)[number];

/** Every directive upssched knows. */
export const UPSSCHED_DIRECTIVE_NAMES = ['CMDSCRIPT', 'PIPEFN', 'LOCKFN', 'AT'] as const;

const KNOWN_DIRECTIVES = {
  upsmon: new Set<string>(UPSMON_DIRECTIVE_NAMES),
  upssched: new Set<string>(UPSSCHED_DIRECTIVE_NAMES),
} as const;
export type ImportProgram = keyof typeof KNOWN_DIRECTIVES;

export function isKnownDirective(program: ImportProgram, directive: string): boolean {
  return KNOWN_DIRECTIVES[program].has(directive);
}

export function parseInteger(text: string): number | null {
  return /^[+-]?[0-9]{1,9}$/.test(text) ? Number(text) : null;
}

export function plural(n: number, word: string, many = `${word}s`): string {
  return `${n} ${n === 1 ? word : many}`;
}

export class ImportReport {
  readonly entries: ReportEntry[] = [];
  /** Values to scrub from every report string. */
  readonly secretValues: string[] = [];
  /** The last line that set a single-valued directive (`NOTIFYCMD`, `NOTIFYMSG ONBATT`, …): upsmon keeps the last. */
  private readonly lastSetter = new Map<string, ReportEntry>();

  entry(file: string, conf: ConfLine | null): ReportEntry {
    const e: ReportEntry = { file, conf, status: 'mapped', notes: [], redact: new Set() };
    this.entries.push(e);
    return e;
  }

  fileNote(file: string, status: ImportStatus, note: string): void {
    const e = this.entry(file, null);
    e.status = status;
    e.notes.push(note);
  }

  set(e: ReportEntry, status: ImportStatus, note: string): void {
    e.status = status;
    e.notes.push(note);
  }

  /** Records `e` as the current setter of `key`; the previous one is marked as overridden. */
  supersede(key: string, e: ReportEntry): void {
    const previous = this.lastSetter.get(key);
    if (previous && previous.status === 'mapped') {
      previous.status = 'ignored';
      previous.notes.push(`replaced by line ${e.conf?.line ?? 0} (upsmon uses the last one)`);
    }
    this.lastSetter.set(key, e);
  }

  /** A directive `program` does not know: says why (case, nut.conf syntax, the other file) on `e`. */
  unknownDirective(
    e: ReportEntry,
    directive: string,
    words: readonly string[],
    program: ImportProgram,
  ): void {
    const upper = directive.toUpperCase();
    if (isKnownDirective(program, upper)) {
      this.set(
        e,
        'error',
        `${program} directive names are upper-case: ${program} ignores \`${directive}\` (write \`${upper}\`)`,
      );
    } else if (words[1] === '=') {
      this.set(
        e,
        'error',
        `\`${directive} = …\` is a nut.conf/ups.conf style setting, not a ${program} directive; ${program} ignores it`,
      );
    } else if (program === 'upsmon' && isKnownDirective('upssched', upper)) {
      this.set(
        e,
        'error',
        `\`${directive}\` belongs in upssched.conf, not upsmon.conf; upsmon ignores it`,
      );
    } else if (program === 'upssched' && isKnownDirective('upsmon', upper)) {
      this.set(
        e,
        'error',
        `\`${directive}\` belongs in upsmon.conf, not upssched.conf; upssched ignores it`,
      );
    } else {
      this.set(e, 'error', `unknown directive \`${directive}\`: ${program} ignores it`);
    }
  }

  /** A scrubber for every secret seen so far (build it once all files are read). */
  scrubber(): SecretScrubber {
    return new SecretScrubber(this.secretValues);
  }

  /**
   * The report lines, every text and note scrubbed: `texts` holds each file's text, in report
   * order (upsmon.conf first); file-level notes (line 0) come after each file's lines.
   */
  *finish(
    texts: ReadonlyMap<string, string>,
    scrubber: SecretScrubber,
  ): Sliced<ImportReportLine[]> {
    const lines: ImportReportLine[] = [];
    for (const e of this.entries) {
      lines.push(reportLine(e, texts.get(e.file) ?? '', scrubber));
      yield;
    }
    const order = [...texts.keys()];
    const key = (l: ImportReportLine) =>
      order.indexOf(l.file) * 1e9 + (l.line === 0 ? 1e9 - 1 : l.line);
    return lines
      .map((l, index) => ({ l, index }))
      .sort((a, b) => key(a.l) - key(b.l) || a.index - b.index)
      .map(({ l }) => l);
  }
}

function reportLine(e: ReportEntry, source: string, scrubber: SecretScrubber): ImportReportLine {
  let text = '';
  const notes = [...e.notes];
  const conf = e.conf;
  if (conf) {
    // A quote left open swallows the following lines (upsmon reads on until a closing quote):
    // show only the first line, since the rest may be anything, passwords included.
    const swallowed = conf.quirks.includes('unterminated-quote') && conf.lastLine > conf.line;
    const firstLineEnd = source.indexOf('\n', conf.start);
    const end = swallowed && firstLineEnd >= 0 ? Math.min(firstLineEnd, conf.end) : conf.end;
    let pos = conf.start;
    conf.words.forEach((w, index) => {
      if (w.start >= end || pos >= end) return;
      if (e.redact.has(index) || scrubber.contains(w.value)) {
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
    text: scrubber.scrub(text.replace(/\r/g, '')),
    status: e.status,
    note: scrubber.scrub(notes.join('; ')),
  };
}
