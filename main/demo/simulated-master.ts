/**
 * A small NUT server for the demo (`nut-sentinel web --demo`) on machines without Debian's
 * upsd: it speaks enough of the protocol (main/nut/README.md §1.4) for NUT Sentinel to monitor it as a
 * secondary — VER/NETVER, USERNAME/PASSWORD/LOGIN/LOGOUT, GET VAR/UPSDESC/NUMLOGINS/DESC,
 * LIST UPS/VAR/RW/CMD/CLIENT — and plays a scripted power cut in a loop. Loopback only.
 */
import net from 'node:net';

export interface DemoPhase {
  /** Seconds this phase lasts. */
  seconds: number;
  status: string;
  /** `full`: holds 100 %; `discharging`: on battery, drains with the load; `charging`: back to 100 % by the phase's end. */
  battery: 'full' | 'discharging' | 'charging';
  inputVoltage: number;
}

/** On line, a 40 s power cut (battery draining), power back and recharging. No low battery: the demo never shuts anything down. */
export const DEMO_SCRIPT: readonly DemoPhase[] = [
  { seconds: 20, status: 'OL', battery: 'full', inputVoltage: 231 },
  { seconds: 40, status: 'OB DISCHRG', battery: 'discharging', inputVoltage: 0 },
  { seconds: 40, status: 'OL CHRG', battery: 'charging', inputVoltage: 229 },
];

/**
 * The demo UPS's battery model. The load wanders slowly around 24 %, one swing per loop (what
 * the protected machines draw, on line or not). On battery the charge falls in proportion to the load (a faster drain
 * at a higher load); the runtime estimate is the charge's share of the full-charge runtime at
 * the current load, which shrinks faster than the load grows (Peukert-like exponent 1.2). On line
 * the charge comes back to 100 % with the taper of a real charger, reaching it as the phase ends,
 * so the loop is continuous: nothing jumps from one second to the next.
 */
export const DEMO_BATTERY = {
  loadBase: 24,
  /** One slow swing per loop of the script (so the loop joins up without a jump). */
  loadSwing: 2,
  /** Charge lost per second per % of load on battery (100 → about 63 % in the 40 s cut). */
  drainPerLoadSecond: 0.038,
  /** Full-charge runtime at the base load, seconds. */
  fullRuntimeSeconds: 2400,
  peukert: 1.2,
} as const;

export interface DemoReadings {
  status: string;
  charge: number;
  runtime: number;
  load: number;
  inputVoltage: number;
}

/** The load at t seconds into a loop of `period` seconds. */
function demoLoad(t: number, period: number): number {
  const b = DEMO_BATTERY;
  return b.loadBase + b.loadSwing * Math.sin((2 * Math.PI * t) / period);
}

/** ∫ load dt from t0 to t1 (closed form of the sine). */
function loadIntegral(t0: number, t1: number, period: number): number {
  const b = DEMO_BATTERY;
  const w = (2 * Math.PI) / period;
  const f = (t: number) => b.loadBase * t - (b.loadSwing / w) * Math.cos(w * t);
  return f(t1) - f(t0);
}

/** Full-charge runtime at this load, seconds. */
export function demoRuntimeAtFull(load: number): number {
  const b = DEMO_BATTERY;
  return b.fullRuntimeSeconds * (b.loadBase / Math.max(1, load)) ** b.peukert;
}

/** What the demo UPS reports `elapsedMs` after the demo started (the script loops). Pure. */
export function demoReadings(script: readonly DemoPhase[], elapsedMs: number): DemoReadings {
  const cycleSeconds = script.reduce((sum, p) => sum + p.seconds, 0);
  const t = (((elapsedMs / 1000) % cycleSeconds) + cycleSeconds) % cycleSeconds;
  // Each phase starts from the charge the previous one ended with.
  let charge = 100;
  let start = 0;
  for (const phase of script) {
    const end = start + phase.seconds;
    const inPhase = t < end;
    const until = inPhase ? t : end;
    if (phase.battery === 'full') charge = 100;
    else if (phase.battery === 'discharging')
      charge = Math.max(
        0,
        charge - DEMO_BATTERY.drainPerLoadSecond * loadIntegral(start, until, cycleSeconds),
      );
    else {
      const p = (until - start) / phase.seconds;
      charge = charge + (100 - charge) * (1 - (1 - p) ** 2);
    }
    if (inPhase) {
      const load = demoLoad(t, cycleSeconds);
      return {
        status: phase.status,
        charge,
        runtime: (charge / 100) * demoRuntimeAtFull(load),
        load,
        inputVoltage: phase.inputVoltage,
      };
    }
    start = end;
  }
  const load = demoLoad(t, cycleSeconds);
  const last = script.at(-1)!;
  return {
    status: last.status,
    charge,
    runtime: (charge / 100) * demoRuntimeAtFull(load),
    load,
    inputVoltage: last.inputVoltage,
  };
}

/** The readings as NUT variables (integer charge and runtime, like most UPSes; one decimal of load). */
export function demoVariables(readings: DemoReadings): Record<string, string> {
  return {
    'ups.status': readings.status,
    'battery.charge': String(Math.round(readings.charge)),
    'battery.runtime': String(Math.round(readings.runtime)),
    'ups.load': readings.load.toFixed(1),
    'input.voltage': readings.inputVoltage.toFixed(1),
  };
}

/** The secondary the demo config logs in as, on either master (the Synology defaults). */
export const DEMO_MONITOR_USER = { name: 'monuser', password: 'secret' } as const;

/** The demo UPS's fixed variables (both masters); the script sets status, charge and voltages. */
export const DEMO_STATIC_VARS: Readonly<Record<string, string>> = {
  'device.mfr': 'NUT Sentinel',
  'device.model': 'Demo UPS 1500',
  'device.type': 'ups',
  'driver.name': 'nut-sentinel-demo',
  'battery.charge.low': '10',
  'battery.runtime.low': '120',
  'input.voltage.nominal': '230',
  'output.voltage.nominal': '230',
  'ups.mfr': 'NUT Sentinel',
  'ups.model': 'Demo UPS 1500',
  'ups.realpower.nominal': '900',
  'ups.beeper.status': 'enabled',
};

const DESCRIPTIONS: Record<string, string> = {
  'battery.charge': 'Battery charge (percent of full)',
  'battery.runtime': 'Battery runtime (seconds)',
  'input.voltage': 'Input voltage (V)',
  'output.voltage': 'Output voltage (V)',
  'ups.load': 'Load on UPS (percent of full)',
  'ups.status': 'UPS status',
};

export interface SimulatedMasterOptions {
  upsName?: string;
  users?: Record<string, string>;
  script?: readonly DemoPhase[];
  /** Injected time in ms (tests); default Date.now. */
  now?: () => number;
}

export interface SimulatedMaster {
  readonly host: string;
  readonly port: number;
  readonly upsName: string;
  variables(): Map<string, string>;
  close(): Promise<void>;
}

function quote(value: string): string {
  return `"${value.replace(/[\\"]/g, (c) => `\\${c}`)}"`;
}

function words(line: string): string[] {
  const out: string[] = [];
  const re = /"((?:\\.|[^"\\])*)"|(\S+)/g;
  for (const m of line.matchAll(re))
    out.push(m[1] !== undefined ? m[1].replace(/\\(.)/g, '$1') : m[2]!);
  return out;
}

export async function startSimulatedMaster(
  options: SimulatedMasterOptions = {},
): Promise<SimulatedMaster> {
  const upsName = options.upsName ?? 'ups';
  const users = options.users ?? { [DEMO_MONITOR_USER.name]: DEMO_MONITOR_USER.password };
  const script = options.script ?? DEMO_SCRIPT;
  const now = options.now ?? Date.now;
  const started = now();
  const logins = new Map<net.Socket, string>();

  const variables = (): Map<string, string> => {
    const vars = new Map<string, string>(Object.entries(DEMO_STATIC_VARS));
    for (const [name, value] of Object.entries(
      demoVariables(demoReadings(script, now() - started)),
    ))
      vars.set(name, value);
    vars.set('output.voltage', '230.0');
    return new Map([...vars.entries()].sort(([a], [b]) => a.localeCompare(b)));
  };

  const answer = (
    socket: net.Socket,
    state: { user?: string; password?: string },
    line: string,
  ): string[] => {
    const w = words(line);
    const [cmd, sub, a1, a2] = [w[0]?.toUpperCase(), w[1]?.toUpperCase(), w[2], w[3]];
    const known = (ups: string | undefined) => ups?.toLowerCase() === upsName.toLowerCase();
    switch (cmd) {
      case 'VER':
        return ['Network UPS Tools upsd (NUT Sentinel demo) - https://networkupstools.org/'];
      case 'NETVER':
      case 'PROTVER':
        return ['1.3'];
      case 'HELP':
        return ['Commands: HELP VER GET LIST SET INSTCMD LOGIN LOGOUT USERNAME PASSWORD STARTTLS'];
      case 'STARTTLS':
        return ['ERR FEATURE-NOT-CONFIGURED'];
      case 'USERNAME':
        if (state.user !== undefined) return ['ERR ALREADY-SET-USERNAME'];
        state.user = w[1] ?? '';
        return ['OK'];
      case 'PASSWORD':
        if (state.password !== undefined) return ['ERR ALREADY-SET-PASSWORD'];
        state.password = w[1] ?? '';
        return ['OK'];
      case 'LOGIN':
        if (state.user === undefined) return ['ERR USERNAME-REQUIRED'];
        if (state.password === undefined) return ['ERR PASSWORD-REQUIRED'];
        if (logins.has(socket)) return ['ERR ALREADY-LOGGED-IN'];
        if (!known(w[1])) return ['ERR UNKNOWN-UPS'];
        if (users[state.user] !== state.password) return ['ERR ACCESS-DENIED'];
        logins.set(socket, socket.remoteAddress ?? '127.0.0.1');
        return ['OK'];
      case 'LOGOUT':
        return ['OK Goodbye'];
      case 'GET':
        if (!known(a1) && !(sub === 'VAR' && a2 === 'server.version')) return ['ERR UNKNOWN-UPS'];
        if (sub === 'VAR') {
          const value = a2 === 'server.version' ? 'demo' : variables().get(a2 ?? '');
          return value === undefined
            ? ['ERR VAR-NOT-SUPPORTED']
            : [`VAR ${a1} ${a2} ${quote(value)}`];
        }
        if (sub === 'UPSDESC') return [`UPSDESC ${a1} ${quote('Demo UPS')}`];
        if (sub === 'NUMLOGINS') return [`NUMLOGINS ${a1} ${logins.size}`];
        if (sub === 'DESC')
          return [`DESC ${a1} ${a2} ${quote(DESCRIPTIONS[a2 ?? ''] ?? 'Description unavailable')}`];
        if (sub === 'TYPE') return [`TYPE ${a1} ${a2} STRING:64`];
        return ['ERR INVALID-ARGUMENT'];
      case 'LIST': {
        if (sub === 'UPS')
          return ['BEGIN LIST UPS', `UPS ${upsName} ${quote('Demo UPS')}`, 'END LIST UPS'];
        if (!known(a1)) return ['ERR UNKNOWN-UPS'];
        const frame = (items: string[]) => [
          `BEGIN LIST ${sub} ${a1}`,
          ...items,
          `END LIST ${sub} ${a1}`,
        ];
        if (sub === 'VAR')
          return frame([...variables()].map(([k, v]) => `VAR ${a1} ${k} ${quote(v)}`));
        if (sub === 'RW' || sub === 'CMD') return frame([]);
        if (sub === 'CLIENT')
          return frame([...logins.values()].map((address) => `CLIENT ${a1} ${address}`));
        return ['ERR INVALID-ARGUMENT'];
      }
      default:
        return ['ERR UNKNOWN-COMMAND'];
    }
  };

  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    sockets.add(socket);
    const state: { user?: string; password?: string } = {};
    let buffer = '';
    socket.setEncoding('latin1');
    socket.on('data', (chunk: string) => {
      buffer += chunk;
      if (buffer.length > 64 * 1024) socket.destroy();
      let newline: number;
      while ((newline = buffer.indexOf('\n')) >= 0) {
        const line = buffer.slice(0, newline).replace(/\r$/, '');
        buffer = buffer.slice(newline + 1);
        const reply = answer(socket, state, line);
        socket.write(`${reply.join('\n')}\n`);
        if (reply[0] === 'OK Goodbye') socket.end();
      }
    });
    socket.on('close', () => {
      logins.delete(socket);
      sockets.delete(socket);
    });
    socket.on('error', () => logins.delete(socket));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const { port } = server.address() as net.AddressInfo;
  return {
    host: '127.0.0.1',
    port,
    upsName,
    variables,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}
