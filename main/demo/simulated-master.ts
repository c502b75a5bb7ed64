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
  /** Battery charge at the start and the end of the phase (linear in between). */
  charge: [number, number];
  load: number;
  inputVoltage: number;
}

/** On line, a 40 s power cut (battery draining), power back and recharging. No low battery: the demo never shuts anything down. */
export const DEMO_SCRIPT: readonly DemoPhase[] = [
  { seconds: 20, status: 'OL', charge: [100, 100], load: 23, inputVoltage: 231 },
  { seconds: 40, status: 'OB DISCHRG', charge: [100, 62], load: 25, inputVoltage: 0 },
  { seconds: 40, status: 'OL CHRG', charge: [62, 90], load: 23, inputVoltage: 229 },
];

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
  const cycle = script.reduce((sum, p) => sum + p.seconds, 0) * 1000;
  const logins = new Map<net.Socket, string>();

  const variables = (): Map<string, string> => {
    let t = (now() - started) % cycle;
    let phase = script[0]!;
    for (const p of script) {
      phase = p;
      if (t < p.seconds * 1000) break;
      t -= p.seconds * 1000;
    }
    const progress = Math.min(1, t / (phase.seconds * 1000));
    const charge = phase.charge[0] + (phase.charge[1] - phase.charge[0]) * progress;
    const vars = new Map<string, string>(Object.entries(DEMO_STATIC_VARS));
    vars.set('battery.charge', String(Math.round(charge)));
    // About 40 min at full charge and this load.
    vars.set('battery.runtime', String(Math.round(charge * 24)));
    vars.set('input.voltage', phase.inputVoltage.toFixed(1));
    vars.set('output.voltage', '230.0');
    vars.set('ups.load', String(phase.load));
    vars.set('ups.status', phase.status);
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
