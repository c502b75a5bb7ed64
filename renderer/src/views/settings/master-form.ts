/**
 * The master editor's form model: what the form holds, how it is filled (from a preset, a found
 * server or the saved master) and how it becomes a config entry.
 */
import {
  type Master,
  MASTER_PRESETS,
  type MonitoredUps,
  impliedTlsMode,
} from '../../../../shared/config';
import type { MasterPrefill, PresetName } from '../../router';

export type PasswordSourceKind = 'store' | 'env' | 'file' | 'none';

export interface UpsForm {
  key: number;
  name: string;
  role: 'secondary' | 'monitor-only';
  username: string;
  passwordSource: PasswordSourceKind;
  /** A new password to store (empty: keep the stored one). */
  password: string;
  envName: string;
  filePath: string;
  powerValue: number;
  expectedClients: string;
  /** Name when loaded (the stored password is keyed by it). */
  loadedName: string | null;
  /**
   * The saved entry's fields this form does not edit (battery date, alert prefix, self-test
   * schedule: set on other pages), written back as they were so saving here keeps them.
   */
  untouched: Partial<MonitoredUps>;
}

export interface MasterForm {
  id: string;
  idEdited: boolean;
  label: string;
  preset: PresetName;
  host: string;
  port: number;
  tlsMode: 'off' | 'opportunistic' | 'required';
  fingerprint: string;
  caPem: string;
  insecure: boolean;
  ups: UpsForm[];
}

let nextKey = 1;

export function upsFromPreset(preset: PresetName): UpsForm {
  const p = MASTER_PRESETS[preset].ups;
  return {
    key: nextKey++,
    name: p.name,
    role: p.role,
    username: p.username,
    passwordSource: 'store',
    password: p.password,
    envName: '',
    filePath: '',
    powerValue: 1,
    expectedClients: '',
    loadedName: null,
    untouched: {},
  };
}

export function newForm(preset: PresetName): MasterForm {
  return {
    id: '',
    idEdited: false,
    label: preset === 'generic' ? '' : MASTER_PRESETS[preset].label,
    preset,
    host: '',
    port: MASTER_PRESETS[preset].port,
    tlsMode: 'off',
    fingerprint: '',
    caPem: '',
    insecure: false,
    ups: [upsFromPreset(preset)],
  };
}

/** A server found by "Find masters": host, port and UPS as the server offered them. */
export function withPrefill(form: MasterForm, prefill: MasterPrefill | undefined): MasterForm {
  if (!prefill) return form;
  return {
    ...form,
    host: prefill.host,
    port: prefill.port,
    label: prefill.label || form.label,
    ups: form.ups.map((u, i) => (i === 0 && prefill.ups ? { ...u, name: prefill.ups } : u)),
  };
}

export function formFromMaster(m: Master): MasterForm {
  return {
    id: m.id,
    idEdited: true,
    label: m.label,
    preset: m.preset,
    host: m.host,
    port: m.port,
    tlsMode: m.tls.mode,
    fingerprint: m.tls.fingerprint256 ?? '',
    caPem: m.tls.caPem ?? '',
    insecure: m.tls.insecure,
    ups: m.ups.map(
      ({ name, role, username, password, powerValue, expectedClients, ...untouched }) => ({
        key: nextKey++,
        name,
        role,
        username,
        passwordSource: password.source,
        password: '',
        envName: password.source === 'env' ? password.name : '',
        filePath: password.source === 'file' ? password.path : '',
        powerValue,
        expectedClients: expectedClients.join('\n'),
        loadedName: name,
        untouched,
      }),
    ),
  };
}

/** The form's TLS settings as the config has them (a pin or CA makes "when offered" required). */
export function tlsOf(f: MasterForm): {
  mode: MasterForm['tlsMode'];
  insecure: boolean;
  fingerprint256?: string;
  caPem?: string;
} {
  const pins = {
    ...(f.fingerprint.trim() ? { fingerprint256: f.fingerprint.trim() } : {}),
    ...(f.caPem.trim() ? { caPem: f.caPem.trim() } : {}),
  };
  return { mode: impliedTlsMode({ mode: f.tlsMode, ...pins }), insecure: f.insecure, ...pins };
}

export function pinnedTls(f: MasterForm): boolean {
  return f.fingerprint.trim() !== '' || f.caPem.trim() !== '';
}

/** The config object for this form (validated with MasterSchema before saving). */
export function toMaster(f: MasterForm): unknown {
  return {
    id: f.id,
    label: f.label.trim(),
    preset: f.preset,
    host: f.host.trim(),
    port: f.port,
    tls: tlsOf(f),
    ups: f.ups.map((u) => ({
      ...u.untouched,
      name: u.name.trim(),
      role: u.role,
      username: u.username.trim(),
      password:
        u.passwordSource === 'env'
          ? { source: 'env', name: u.envName.trim() }
          : u.passwordSource === 'file'
            ? { source: 'file', path: u.filePath.trim() }
            : { source: u.passwordSource },
      powerValue: u.powerValue,
      expectedClients: u.expectedClients
        .split(/[\n,]/)
        .map((s) => s.trim())
        .filter(Boolean),
    })),
  };
}

export function uniqueId(base: string, taken: Set<string>): string {
  const clean = base.replace(/^[^a-z0-9]+/, '') || 'master';
  if (!taken.has(clean)) return clean;
  for (let n = 2; ; n++) if (!taken.has(`${clean}-${n}`)) return `${clean}-${n}`;
}
