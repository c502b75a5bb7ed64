/**
 * Formatting for people: durations, ages, numbers, status words. Unknown stays "unknown" — a
 * missing runtime is never shown as 0.
 */
import { UNKNOWN } from '../../shared/durations';
import { shellWords } from '../../shared/shell-words';
import type { ServerIdentity, UpsSnapshot } from '../../shared/snapshot';

// Runtimes and ages follow the one policy of shared/durations.ts (the tray's and the alerts' too).
export { UNKNOWN, formatAge, formatRuntime } from '../../shared/durations';

/** A countdown in seconds: "45 s", "2 min 05 s". */
export function formatCountdown(ms: number): string {
  const total = Math.max(0, Math.ceil(ms / 1000));
  if (total < 60) return `${total} s`;
  const m = Math.floor(total / 60);
  const s = total % 60;
  return `${m} min ${String(s).padStart(2, '0')} s`;
}

/** A running counter: "45 s", "2 min 05 s", "1 h 02 min 05 s". */
export function formatElapsed(ms: number): string {
  const total = Math.max(0, Math.floor(ms / 1000));
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = total % 60;
  if (h > 0) return `${h} h ${String(m).padStart(2, '0')} min ${String(s).padStart(2, '0')} s`;
  if (m > 0) return `${m} min ${String(s).padStart(2, '0')} s`;
  return `${s} s`;
}

export function formatPercent(value: number | null | undefined): string {
  if (value === null || value === undefined || !Number.isFinite(value)) return UNKNOWN;
  return `${Math.round(value)} %`;
}

export function formatVoltage(value: number | null | undefined): string {
  if (value === null || value === undefined || !Number.isFinite(value)) return UNKNOWN;
  return `${value >= 100 || Number.isInteger(value) ? Math.round(value) : value.toFixed(1)} V`;
}

const pad = (n: number) => String(n).padStart(2, '0');

/** Local date and time, ISO-like and unambiguous: "2025-03-14 09:26:53". */
export function formatDateTime(epochMs: number): string {
  const d = new Date(epochMs);
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
}

/** "21:36", for marks like "Shutdown rehearsed (dry run) at 21:36". */
export function formatTimeOfDay(epochMs: number): string {
  const d = new Date(epochMs);
  return `${pad(d.getHours())}:${pad(d.getMinutes())}`;
}

/** Time of day for recent things, date too when not today. */
export function formatWhen(epochMs: number, nowMs: number): string {
  const d = new Date(epochMs);
  const n = new Date(nowMs);
  const time = `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
  if (d.toDateString() === n.toDateString()) return time;
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${time}`;
}

/** For <input type="datetime-local">. */
export function toDateTimeLocal(epochMs: number): string {
  const d = new Date(epochMs);
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}`;
}

export function fromDateTimeLocal(value: string): number | undefined {
  if (value === '') return undefined;
  const t = new Date(value).getTime();
  return Number.isFinite(t) ? t : undefined;
}

/** "Synology DSM 7.2", "Proxmox VE · NUT 2.8.0", "NUT 2.7.4". */
export function describeServer(server: ServerIdentity): string {
  const version = server.version ?? '';
  const nut = /upsd\s+(\d+\.\d+(?:\.\d+)?)/i.exec(version)?.[1];
  if (server.kind === 'synology') {
    const dsm = /DSM(\d+)-(\d+)(?:-(\d+))?/i.exec(version);
    return dsm
      ? `Synology DSM ${dsm[1]}.${dsm[2]}${dsm[3] && dsm[3].length <= 2 ? `.${dsm[3]}` : ''}`
      : 'Synology DSM';
  }
  if (server.kind === 'proxmox') return nut ? `Proxmox VE · NUT ${nut}` : 'Proxmox VE';
  if (server.kind === 'nut') return nut ? `NUT ${nut}` : 'NUT server';
  return 'Server not identified yet';
}

export const LEVEL_LABEL: Record<UpsSnapshot['level'], string> = {
  online: 'Online',
  'on-battery': 'On battery',
  'low-battery': 'Low battery',
  'shutting-down': 'Shutting down',
  'comm-lost': 'No communication',
  unknown: 'Unknown',
};

export const CONNECTION_LABEL: Record<UpsSnapshot['connection'], string> = {
  connecting: 'Connecting',
  connected: 'Connected',
  lost: 'Connection lost',
  unreachable: 'Unreachable',
  'login-refused': 'Login refused',
  'not-permitted': 'Not permitted',
  paused: 'Paused',
  'logged-out': 'Logged out (shutdown sequence)',
};

export const ROLE_LABEL: Record<UpsSnapshot['role'], string> = {
  secondary: 'Secondary',
  'monitor-only': 'Monitor only',
};

export const SHUTDOWN_PHASE_LABEL: Record<UpsSnapshot['shutdown']['phase'], string> = {
  none: '',
  'waiting-hostsync': 'Waiting for the master’s forced shutdown (HOSTSYNC)',
  'final-delay': 'Shutting this machine down (FINALDELAY)',
  'command-running': 'Shutdown command running',
  done: 'Shutdown command issued',
  rehearsed: 'Shutdown rehearsed (dry run)',
};

/** The readings are not live: show them greyed as "last known". */
export function isStale(ups: UpsSnapshot): boolean {
  return (
    ups.stale ||
    ups.connection === 'lost' ||
    ups.connection === 'unreachable' ||
    ups.connection === 'paused'
  );
}

/** `nas/ups` → `ups` on `DiskStation`. */
export function upsTitle(ups: Pick<UpsSnapshot, 'upsName' | 'masterLabel'>): string {
  return `${ups.upsName} · ${ups.masterLabel}`;
}

export function clamp(value: number, min: number, max: number): number {
  return Math.min(max, Math.max(min, value));
}

/** Display a command as a person would type it (for previews only; it never runs through a shell). */
export function displayCommand(file: string, args: readonly string[]): string {
  return shellWords([file, ...args]);
}

/** A config id from a label: "My NAS (Synology)" → "my-nas-synology". */
export function slugify(label: string): string {
  return label
    .toLowerCase()
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 40);
}

/** The dashboard's summary line: "2 UPSes · 1 shutting down · 1 online"; critical states first. */
export function dashboardSummary(
  ups: { level: string; connection: string; stale: boolean; critical: boolean }[],
): string {
  const total = ups.length;
  const online = ups.filter(
    (u) => u.level === 'online' && !u.stale && u.connection === 'connected',
  ).length;
  const shuttingDown = ups.filter((u) => u.level === 'shutting-down').length;
  const critical = ups.filter((u) => u.critical && u.level !== 'shutting-down').length;
  const onBattery = ups.filter(
    (u) => (u.level === 'on-battery' || u.level === 'low-battery') && !u.critical,
  ).length;
  const problems = ups.filter(
    (u) => u.connection !== 'connected' && u.connection !== 'logged-out',
  ).length;
  const parts = [`${total} ${total === 1 ? 'UPS' : 'UPSes'}`];
  if (shuttingDown) parts.push(`${shuttingDown} shutting down`);
  if (critical) parts.push(`${critical} critical`);
  if (online) parts.push(`${online} online`);
  if (onBattery) parts.push(`${onBattery} on battery`);
  if (problems) parts.push(`${problems} need${problems === 1 ? 's' : ''} attention`);
  return parts.join(' · ');
}
