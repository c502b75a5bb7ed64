/**
 * Test helper (not product code): a NUT master on the fault server that serves one UPS to a
 * monitoring session — versions, USERNAME/PASSWORD/LOGIN, the status poll — and then never
 * answers LOGOUT (a frozen or half-dead upsd, which a real one cannot be made into on cue).
 */
import { type FaultServer, startFaultServer } from './fault-server';

export const MUTE_MASTER_UPS = 'ups';

export async function startMuteLogoutMaster(): Promise<FaultServer> {
  const ups = MUTE_MASTER_UPS;
  const vars: Record<string, string> = {
    'ups.status': 'OL',
    'battery.charge': '100',
    'battery.runtime': '1800',
    'device.model': 'Mute 1000',
  };
  return startFaultServer(async (line, connection) => {
    const words = line.split(' ');
    const [first, second, third] = words;
    const send = (...lines: string[]) => connection.send(...lines);
    switch (first) {
      case 'VER':
        return send('Network UPS Tools upsd 2.8.0 - http://www.networkupstools.org/');
      case 'NETVER':
      case 'PROTVER':
        return send('1.3');
      case 'STARTTLS':
        return send('ERR FEATURE-NOT-CONFIGURED');
      case 'USERNAME':
      case 'PASSWORD':
      case 'LOGIN':
        return send('OK');
      case 'LOGOUT':
        return; // never answered
    }
    if (first === 'GET' && second === 'VAR' && third === ups) {
      const value = vars[words[3] ?? ''];
      return send(
        value === undefined ? 'ERR VAR-NOT-SUPPORTED' : `VAR ${ups} ${words[3]} "${value}"`,
      );
    }
    if (first === 'GET' && second === 'NUMLOGINS') return send(`NUMLOGINS ${ups} 1`);
    if (first === 'GET' && second === 'UPSDESC') return send(`UPSDESC ${ups} "Mute UPS"`);
    if (first === 'LIST' && second === 'UPS')
      return send('BEGIN LIST UPS', `UPS ${ups} "Mute UPS"`, 'END LIST UPS');
    if (first === 'LIST' && second === 'VAR')
      return send(
        `BEGIN LIST VAR ${ups}`,
        ...Object.entries(vars).map(([name, value]) => `VAR ${ups} ${name} "${value}"`),
        `END LIST VAR ${ups}`,
      );
    if (first === 'LIST' && second === 'CLIENT')
      return send(`BEGIN LIST CLIENT ${ups}`, `CLIENT ${ups} 127.0.0.1`, `END LIST CLIENT ${ups}`);
    if (first === 'LIST' && (second === 'CMD' || second === 'RW'))
      return send(`BEGIN LIST ${second} ${ups}`, `END LIST ${second} ${ups}`);
    return send('ERR UNKNOWN-COMMAND');
  });
}
