/**
 * Applying an upsmon.conf import to a config, and merging it into an existing one.
 *
 * Merge rule (`mergeImported`):
 * 1. Masters are matched by host (case-insensitive, as written: `nas.local` and `192.168.1.5` are
 *    different masters) and port. A matching master keeps its id, label, preset and TLS settings;
 *    imported UPS entries it does not have yet (UPS names compare case-insensitively, like upsd)
 *    are appended. A UPS it already has is left exactly as it is, and the imported password
 *    for it is dropped: the stored one stays.
 * 2. Other imported masters are added; an id already used by a different master gets a `-2`,
 *    `-3`, … suffix, and the passwords are re-keyed to the final ids.
 * 3. Settings the files set explicitly (DEADTIME, NOTIFYMSG, SHUTDOWNCMD, …) replace the current
 *    values; everything the files did not mention stays as it is. Per-event NOTIFYMSG/NOTIFYFLAG
 *    are merged field by field. POLLFREQ/POLLFREQALERT only lower the status poll interval when
 *    it is slower than upsmon's was. An imported upssched setup replaces the current one
 *    (import-plan.ts decides, rule by rule, what that setup holds).
 * Every change is listed in `notes`, and what happened to each imported master in `masters` (for the plan).
 */
import type * as z from 'zod';
import {
  ConfigSchema,
  feedingPower,
  passwordKey,
  type Command,
  type Config,
  type EventPolicySchema,
  type Master,
  type Timing,
  type UpsschedRule,
} from '../../shared/config';
import type { NotifyType } from '../../shared/notify-types';
import type { ImportedSecret } from './import-report';

export type EventPolicy = z.infer<typeof EventPolicySchema>;

/** What an upsmon.conf/upssched.conf set explicitly (everything else keeps its current value). */
export interface ImportedSettings {
  timing: Partial<
    Pick<
      Timing,
      | 'deadTimeSeconds'
      | 'hostSyncSeconds'
      | 'finalDelaySeconds'
      | 'noCommWarnSeconds'
      | 'rbWarnSeconds'
    >
  >;
  /** upsmon polled ups.status this often (the smaller of POLLFREQ/POLLFREQALERT): never poll slower. */
  statusPollCeilingSeconds?: number;
  events: Partial<Record<NotifyType, EventPolicy>>;
  notifyCommand?: Command;
  upssched?: { cmdScript: Command; rules: UpsschedRule[] };
  shutdownCommand?: Command;
  /** upsmon MINSUPPLIES, kept where upsmon's sum decided (several UPSes feeding this machine). */
  minSupplies?: number;
}

/** An import's result as the merge takes it (see `UpsmonImportResult`). */
export interface ImportedConfig {
  config: Config;
  /** Only what the files set explicitly (what `mergeImported` applies to an existing config). */
  settings: ImportedSettings;
  secrets: ImportedSecret[];
}

/** What the merge did with one imported master (the plan lists these). */
export type MasterChange =
  | { action: 'add'; id: string; host: string; port: number; ups: string[] }
  | {
      action: 'merge';
      id: string;
      label: string;
      host: string;
      port: number;
      added: string[];
      /** Already configured: left as they are (their stored passwords stay). */
      kept: string[];
      /** Of `kept`, those whose imported password was dropped. */
      passwordsNotStored: string[];
    };

export interface MergeResult {
  config: Config;
  masters: MasterChange[];
  /** The imported passwords to store, keyed with the final master ids (dropped for UPSes that already existed). */
  secrets: ImportedSecret[];
  notes: string[];
}

const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);
const show = (v: unknown) => (v === undefined ? 'unset' : JSON.stringify(v));

/** Returns a copy of `base` with the imported settings applied; `notes` collects every change. */
export function applyImportedSettings(
  base: Config,
  settings: ImportedSettings,
  notes: string[] = [],
): Config {
  const config = structuredClone(base);
  const change = (what: string, before: unknown, after: unknown) => {
    if (!same(before, after)) notes.push(`${what}: ${show(before)} → ${show(after)}`);
  };
  for (const [key, value] of Object.entries(settings.timing) as [
    keyof ImportedSettings['timing'],
    number | undefined,
  ][]) {
    if (value === undefined) continue;
    change(`timing.${key}`, config.timing[key], value);
    config.timing[key] = value;
  }
  const ceiling = settings.statusPollCeilingSeconds;
  if (ceiling !== undefined && config.timing.statusPollSeconds > ceiling) {
    change(
      'timing.statusPollSeconds (not slower than upsmon’s POLLFREQ)',
      config.timing.statusPollSeconds,
      ceiling,
    );
    config.timing.statusPollSeconds = ceiling;
  }
  for (const [type, policy] of Object.entries(settings.events) as [
    NotifyType,
    EventPolicy | undefined,
  ][]) {
    if (!policy) continue;
    const before = config.hooks.events[type];
    const after: EventPolicy = { ...before };
    if (policy.message !== undefined) after.message = policy.message;
    if (policy.notify !== undefined) after.notify = policy.notify;
    if (policy.exec !== undefined) after.exec = policy.exec;
    change(`hooks.events.${type}`, before, after);
    config.hooks.events[type] = after;
  }
  if (settings.notifyCommand) {
    change('hooks.notifyCommand', config.hooks.notifyCommand, settings.notifyCommand);
    config.hooks.notifyCommand = structuredClone(settings.notifyCommand);
  }
  if (settings.upssched) {
    const before = config.hooks.upssched;
    if (before && !same(before, settings.upssched)) {
      notes.push(
        `hooks.upssched: replaced (${before.rules.length} previous rules, ${settings.upssched.rules.length} imported)`,
      );
    } else if (!before) {
      notes.push(`hooks.upssched: ${settings.upssched.rules.length} rules imported`);
    }
    config.hooks.upssched = structuredClone(settings.upssched);
  }
  if (settings.shutdownCommand) {
    change('shutdown.command', config.shutdown.command, settings.shutdownCommand);
    config.shutdown.command = structuredClone(settings.shutdownCommand);
  }
  if (settings.minSupplies !== undefined) {
    change('shutdown.minSupplies', config.shutdown.minSupplies, settings.minSupplies);
    config.shutdown.minSupplies = settings.minSupplies;
  }
  return config;
}

function normalHost(host: string): string {
  return host.replace(/^\[(.*)\]$/, '$1').toLowerCase();
}

/** Merges an import into `current` without clobbering existing masters or UPS entries (rules above). */
export function mergeImported(current: Config, imported: ImportedConfig): MergeResult {
  const notes: string[] = [];
  const config = applyImportedSettings(current, imported.settings, notes);
  const secrets: ImportedSecret[] = [];
  const masters: MasterChange[] = [];
  // Lookups by key rather than by search, so merging a large import stays linear.
  const secretKey = (masterId: string, upsName: string) => `${masterId}\n${upsName}`;
  const importedSecrets = new Map<string, ImportedSecret>();
  for (const s of imported.secrets)
    if (!importedSecrets.has(secretKey(s.masterId, s.upsName)))
      importedSecrets.set(secretKey(s.masterId, s.upsName), s);
  const secretFor = (masterId: string, upsName: string) =>
    importedSecrets.get(secretKey(masterId, upsName));
  const ids = new Set(config.masters.map((m) => m.id));
  const hostKey = (m: Pick<Master, 'host' | 'port'>) => `${normalHost(m.host)} ${m.port}`;
  const byHost = new Map<string, { master: Master; upsNames: Set<string> }>();
  const known = (master: Master) => {
    if (!byHost.has(hostKey(master)))
      byHost.set(hostKey(master), {
        master,
        upsNames: new Set(master.ups.map((u) => u.name.toLowerCase())),
      });
  };
  for (const master of config.masters) known(master);

  for (const incoming of imported.config.masters) {
    const found = byHost.get(hostKey(incoming));
    if (found) {
      const existing = found.master;
      const masterChange: MasterChange = {
        action: 'merge',
        id: existing.id,
        label: existing.label,
        host: existing.host,
        port: existing.port,
        added: [],
        kept: [],
        passwordsNotStored: [],
      };
      masters.push(masterChange);
      for (const ups of incoming.ups) {
        const secret = secretFor(incoming.id, ups.name);
        if (found.upsNames.has(ups.name.toLowerCase())) {
          notes.push(
            `master ${existing.id}: UPS ${ups.name} already configured, kept as it is` +
              (secret ? ' (its stored password stays; the imported one is not stored)' : ''),
          );
          masterChange.kept.push(ups.name);
          if (secret) masterChange.passwordsNotStored.push(ups.name);
          continue;
        }
        existing.ups.push(structuredClone(ups));
        found.upsNames.add(ups.name.toLowerCase());
        if (secret)
          secrets.push({
            ...secret,
            masterId: existing.id,
            key: passwordKey(existing.id, ups.name),
          });
        notes.push(`master ${existing.id}: UPS ${ups.name} added`);
        masterChange.added.push(ups.name);
      }
      continue;
    }
    let id = incoming.id;
    for (let n = 2; ids.has(id); n++) id = `${incoming.id}-${n}`;
    ids.add(id);
    const master: Master = { ...structuredClone(incoming), id };
    config.masters.push(master);
    known(master);
    for (const ups of incoming.ups) {
      const secret = secretFor(incoming.id, ups.name);
      if (secret) secrets.push({ ...secret, masterId: id, key: passwordKey(id, ups.name) });
    }
    masters.push({
      action: 'add',
      id,
      host: incoming.host,
      port: incoming.port,
      ups: incoming.ups.map((u) => u.name),
    });
    notes.push(
      `master ${id} (${incoming.host} port ${incoming.port}) added with ${incoming.ups.map((u) => u.name).join(', ')}`,
    );
  }
  const available = feedingPower(config.masters);
  if (config.shutdown.minSupplies !== null && config.shutdown.minSupplies > available) {
    // UPS entries kept as they were feed less than the imported file assumed.
    notes.push(
      `shutdown.minSupplies: ${config.shutdown.minSupplies} is more than the secondary UPSes now feed (${available}), so it is left off`,
    );
    config.shutdown.minSupplies = null;
  }
  return { config: ConfigSchema.parse(config), masters, secrets, notes };
}
