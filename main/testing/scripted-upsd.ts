/**
 * Test helper (not product code): a scripted upsd on the fault server for what dummy-ups cannot
 * do — instant commands that succeed through TRACKING, a scripted `ups.test.result` sequence, a
 * server before 2.8.0 (no PROTVER, no TRACKING), a user without the right.
 */
import { type FaultServer, startFaultServer } from './fault-server';

export interface ScriptedUpsd {
  server: FaultServer;
  /** INSTCMD / SET VAR lines received (with their UPS and arguments). */
  actions(): string[];
  /** Set the values `GET VAR ups ups.test.result` answers next, one per request (the last repeats). */
  testResults: string[];
  close(): Promise<void>;
}

export interface ScriptedUpsdOptions {
  ups?: string;
  /** false: NUT 2.7.4 (PROTVER unknown, no TRACKING). */
  nut28?: boolean;
  commands?: string[];
  /** Users and what they may do: `instcmds` names, `set` for actions = SET. */
  users?: Record<string, { password: string; instcmds?: string[]; set?: boolean }>;
  /** GET TRACKING answers PENDING this many times before the verdict. */
  pendingPolls?: number;
  /** The TRACKING verdict per command (default SUCCESS). */
  verdicts?: Record<string, string>;
  testResults?: string[];
}

export async function startScriptedUpsd(options: ScriptedUpsdOptions = {}): Promise<ScriptedUpsd> {
  const ups = options.ups ?? 'ups';
  const nut28 = options.nut28 ?? true;
  const commands = options.commands ?? [
    'beeper.disable',
    'beeper.enable',
    'load.off',
    'test.battery.start.quick',
  ];
  const users = options.users ?? {
    admin: { password: 'adminpass', instcmds: ['ALL'], set: true },
    monuser: { password: 'secret' },
  };
  const actions: string[] = [];
  const tracking = new Map<string, { verdict: string; polls: number }>();
  let trackingIds = 0;
  const handle: ScriptedUpsd = {
    server: undefined as unknown as FaultServer,
    actions: () => [...actions],
    testResults: [...(options.testResults ?? ['No test initiated'])],
    close: () => handle.server.close(),
  };
  const perConnection = new WeakMap<
    object,
    { user?: string; password?: string; tracking: boolean }
  >();
  handle.server = await startFaultServer(async (line, connection) => {
    let state = perConnection.get(connection);
    if (!state) {
      state = { tracking: false };
      perConnection.set(connection, state);
    }
    const words = line.match(/"(?:[^"\\]|\\.)*"|\S+/g) ?? [];
    const unquote = (w: string | undefined) => (w ?? '').replace(/^"|"$/g, '');
    const [first, second, third] = words;
    const send = (...lines: string[]) => connection.send(...lines);
    if (first === 'VER')
      return send(
        `Network UPS Tools upsd ${nut28 ? '2.8.0' : '2.7.4'} - http://www.networkupstools.org/`,
      );
    if (first === 'NETVER') return send(nut28 ? '1.3' : '1.2');
    if (first === 'PROTVER') return send(nut28 ? '1.3' : 'ERR UNKNOWN-COMMAND');
    if (first === 'USERNAME') {
      state.user = unquote(second);
      return send('OK');
    }
    if (first === 'PASSWORD') {
      state.password = unquote(second);
      return send('OK');
    }
    if (first === 'LOGOUT') {
      await send('OK Goodbye');
      return connection.end();
    }
    if (first === 'SET' && second === 'TRACKING') {
      if (!nut28) return send('ERR UNKNOWN-COMMAND');
      if (!state.user) return send('ERR USERNAME-REQUIRED');
      state.tracking = unquote(third) === 'ON';
      return send('OK');
    }
    if (first === 'LIST' && second === 'CMD')
      return send(
        `BEGIN LIST CMD ${ups}`,
        ...commands.map((c) => `CMD ${ups} ${c}`),
        `END LIST CMD ${ups}`,
      );
    if (first === 'LIST' && second === 'RW')
      return send(
        `BEGIN LIST RW ${ups}`,
        `RW ${ups} ups.delay.shutdown "20"`,
        `END LIST RW ${ups}`,
      );
    if (first === 'GET' && second === 'CMDDESC')
      return send(`CMDDESC ${ups} ${words[3]} "Description of ${words[3]}"`);
    if (first === 'GET' && second === 'VAR' && words[3] === 'ups.test.result') {
      const value =
        handle.testResults.length > 1 ? handle.testResults.shift()! : handle.testResults[0]!;
      return send(`VAR ${ups} ups.test.result "${value}"`);
    }
    if (first === 'GET' && second === 'TRACKING' && third) {
      const entry = tracking.get(third);
      if (!entry) return send('ERR UNKNOWN');
      if (entry.polls > 0) {
        entry.polls -= 1;
        return send('PENDING');
      }
      return send(entry.verdict);
    }
    if (first === 'INSTCMD' || (first === 'SET' && second === 'VAR')) {
      actions.push(line);
      if (!state.user) return send('ERR USERNAME-REQUIRED');
      const user = users[state.user];
      if (!user || user.password !== state.password) return send('ERR ACCESS-DENIED');
      const name = first === 'INSTCMD' ? third! : words[3]!;
      if (first === 'INSTCMD') {
        if (!commands.includes(name)) return send('ERR CMD-NOT-SUPPORTED');
        if (!user.instcmds?.some((c) => c === 'ALL' || c === name))
          return send('ERR ACCESS-DENIED');
      } else if (!user.set) return send('ERR ACCESS-DENIED');
      if (!state.tracking) return send('OK');
      const id = `ID-${++trackingIds}`;
      tracking.set(id, {
        verdict: options.verdicts?.[name] ?? 'SUCCESS',
        polls: options.pendingPolls ?? 1,
      });
      return send(`OK TRACKING ${id}`);
    }
    return send('ERR UNKNOWN-COMMAND');
  });
  return handle;
}
