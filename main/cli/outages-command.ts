/**
 * `nut-sentinel outages [--ups MASTER-ID/UPS-NAME] [--json]`: the stored outage records (main/outages),
 * newest first, read from the history file. While another NUT Sentinel (the background service,
 * the desktop app) owns that file, they are asked for over its control socket instead; the
 * records are the same either way.
 */
import { existsSync, statSync } from 'node:fs';
import path from 'node:path';
import {
  groupOutages,
  OUTAGE_END_TEXT,
  type OutageRecord,
  OutageRecordSchema,
} from '../../shared/outages';
import { defaultConfig, monitorId as sharedMonitorId } from '../../shared/config';
import { defaultConfigPath, loadConfig } from '../config/config-file';
import { HistoryLockedError } from '../history/owner-lock';
import { systemClock } from '../platform/node-ports';
import { EXIT } from './exit-codes';

export interface OutagesCliOptions {
  ups?: string;
  json?: boolean;
  config?: string;
  dataDir?: string;
  controlSocket?: string;
}

export interface OutagesCliHost {
  usageError(message: string): Error;
  out: NodeJS.WritableStream;
  err: NodeJS.WritableStream;
}

function duration(ms: number): string {
  const s = Math.round(ms / 1000);
  if (s < 60) return `${s} s`;
  const m = Math.floor(s / 60);
  return m < 60 ? `${m} min ${s % 60} s` : `${Math.floor(m / 60)} h ${m % 60} min`;
}

function local(ms: number): string {
  const d = new Date(ms);
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
}

/** One outage in a few lines: what a person reading a terminal wants first. */
export function formatOutage(r: OutageRecord): string {
  const ended =
    r.endedAt === null ? 'in progress' : `ended by ${OUTAGE_END_TEXT[r.endedBy ?? 'power-back']}`;
  const facts: string[] = [];
  if (r.chargeAtStart !== null && r.lowestCharge !== null)
    facts.push(`charge ${r.chargeAtStart} % → lowest ${r.lowestCharge} %`);
  if (r.runtimeAtStartSeconds !== null)
    facts.push(
      `runtime promised ${duration(r.runtimeAtStartSeconds * 1000)}, spent ${duration(r.durationMs)}`,
    );
  if (r.meanLoad !== null) facts.push(`load ${Math.round(r.meanLoad)} %`);
  facts.push(
    r.energyWh === null
      ? 'energy unknown (no ups.realpower, no ups.realpower.nominal)'
      : `${r.energyWh.toFixed(1)} Wh${r.energyCoverage < 0.95 ? ` over ${Math.round(r.energyCoverage * 100)} % of it` : ''}`,
  );
  const lines = [
    `${local(r.startedAt)}  ${r.monitorId}  ${duration(r.durationMs)} on battery, ${ended}`,
    `    ${facts.join('; ')}`,
  ];
  if (r.logouts.length > 0)
    lines.push(
      `    logged out: ${r.logouts.map((l) => `${l.hostname ?? l.address} after ${duration(l.at - r.startedAt)}`).join(', ')}`,
    );
  if (r.prediction)
    lines.push(`    predicted at the start: ${r.prediction.verdict} — ${r.prediction.headline}`);
  return lines.join('\n');
}

async function fromControlSocket(
  endpoint: string | undefined,
  monitorId: string | undefined,
): Promise<OutageRecord[]> {
  const [{ connectControl }, { controlEndpoint }] = await Promise.all([
    import('../control/control-client'),
    import('../control/endpoint'),
  ]);
  const connection = await connectControl(controlEndpoint(endpoint));
  try {
    const answer = (await connection.invoke('outages:list', {
      ...(monitorId ? { monitorId } : {}),
      limit: 5000,
    })) as { records: unknown[] };
    return answer.records.map((r) => OutageRecordSchema.parse(r));
  } finally {
    connection.close();
  }
}

async function fromFile(file: string, monitorId: string | undefined): Promise<OutageRecord[]> {
  const { HistoryStore } = await import('../history/history-store');
  const store = HistoryStore.open(file, {
    retentionDays: 3650,
    maxEvents: 10_000_000,
    clock: systemClock,
    logger: { log: () => undefined },
  });
  try {
    return store
      .listOutages({ ...(monitorId ? { monitorId } : {}), limit: 5000 })
      .flatMap((row) => {
        const parsed = OutageRecordSchema.safeParse(row.record);
        return parsed.success ? [parsed.data] : [];
      });
  } finally {
    store.close();
  }
}

export async function runOutagesCli(
  values: OutagesCliOptions,
  host: OutagesCliHost,
): Promise<number> {
  const monitorId = values.ups;
  if (monitorId !== undefined && !/^[^/]+\/[^/]+$/.test(monitorId))
    throw host.usageError(
      `--ups "${monitorId}": give the monitored UPS as MASTER-ID/UPS-NAME (as in the config file), e.g. nas/ups.`,
    );
  const configPath = path.resolve(values.config ?? defaultConfigPath());
  // A --config given by hand also says where the history is: a wrong one is a usage error,
  // not an empty list read from somewhere else.
  if (values.config !== undefined && !statSync(configPath, { throwIfNoEntry: false })?.isFile())
    throw host.usageError(
      `--config ${configPath}: ${existsSync(configPath) ? 'not a file' : 'no such file'}. Give the config file the agent or the desktop app uses, or --data-dir with the folder of its history.sqlite3.`,
    );
  const dataDir = path.resolve(values.dataDir ?? path.dirname(configPath));
  const file = path.join(dataDir, 'history.sqlite3');
  // The blip length is the config's; a config that does not load is said, and the history is
  // still listed with the default (it is read-only here, nothing depends on the rest).
  let config = defaultConfig();
  let configLoaded = false;
  if (existsSync(configPath))
    try {
      config = (await loadConfig(configPath)).config;
      configLoaded = true;
    } catch (error) {
      host.err.write(
        `${error instanceof Error ? error.message : String(error)}\nListing with the default blip length (${config.outages.blipSeconds} s).\n`,
      );
    }

  let records: OutageRecord[];
  if (!existsSync(file)) {
    records = [];
    if (!values.json)
      host.err.write(
        `No history file at ${file}: nothing recorded there yet (give --data-dir if the history lives elsewhere).\n`,
      );
  } else {
    try {
      records = await fromFile(file, monitorId);
    } catch (error) {
      if (!(error instanceof HistoryLockedError)) throw error;
      try {
        records = await fromControlSocket(values.controlSocket, monitorId);
      } catch (controlError) {
        host.err.write(
          `${error.message}\nIts control socket did not answer either (${controlError instanceof Error ? controlError.message : String(controlError)}).\n` +
            'Fix: run this as a user allowed to use the background service (e.g. with sudo), or stop the process that holds the file.\n',
        );
        return EXIT.failed;
      }
    }
  }

  // A UPS since removed from the config still lists its records; one that is in neither is a typo.
  if (monitorId !== undefined && records.length === 0 && configLoaded) {
    const have = config.masters.flatMap((m) => m.ups.map((u) => sharedMonitorId(m.id, u.name)));
    if (!have.includes(monitorId))
      throw host.usageError(
        `--ups ${monitorId}: no such UPS in ${configPath} (have: ${have.join(', ') || 'none'}), and no outage recorded for it.`,
      );
  }

  if (values.json) {
    host.out.write(`${JSON.stringify(records, null, 2)}\n`);
    return EXIT.ok;
  }
  if (records.length === 0) {
    host.out.write(`No outage recorded${monitorId ? ` for ${monitorId}` : ''}.\n`);
    return EXIT.ok;
  }
  const blipSeconds = config.outages.blipSeconds;
  const lines: string[] = [];
  for (const item of groupOutages(records, blipSeconds)) {
    if (item.kind === 'outage') lines.push(formatOutage(item.record));
    else
      lines.push(
        `${local(item.lastAt)}  ${item.count} blip${item.count === 1 ? '' : 's'} shorter than ${blipSeconds} s (${duration(item.totalMs)} in all${item.count > 1 ? `, since ${local(item.firstAt)}` : ''})`,
      );
  }
  host.out.write(`${lines.join('\n')}\n`);
  return EXIT.ok;
}
