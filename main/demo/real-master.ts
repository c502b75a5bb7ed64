/**
 * The demo's real master: a private upsd + dummy-ups (Debian's nut-server) on a free loopback
 * port, serving one UPS `ups` with the demo UPS's variables to `monuser`/`secret`, and a control
 * user that plays the demo script through SET VAR. Needs root (the daemons run with `-u root`).
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import type net from 'node:net';
import path from 'node:path';
import { NutClient } from '../nut/client';
import type { Logger } from '../platform/ports';
import {
  ManagedProcess,
  NUT_DAEMONS,
  confQuote,
  dummyUpsDevFile,
  dummyUpsSection,
  getFreePort,
  makeTempDir,
  pingDriver,
  removeTempDir,
  waitFor,
} from './nut-daemons';
import {
  DEMO_MONITOR_USER,
  DEMO_SCRIPT,
  DEMO_STATIC_VARS,
  demoReadings,
  demoVariables,
} from './simulated-master';

export interface RealDemoMaster {
  readonly host: string;
  readonly port: number;
  readonly upsName: string;
  /** SET VAR as the control user (the demo script's next phase). */
  setVar(name: string, value: string): Promise<void>;
  /** pids of upsd and the driver while they run. */
  pids(): number[];
  stop(): Promise<void>;
}

const HOST = '127.0.0.1';
const UPS = 'ups';
const START_TIMEOUT_MS = 15_000;

export async function startRealDemoMaster(logger: Logger): Promise<RealDemoMaster> {
  const dir = await makeTempDir('demo');
  const etc = path.join(dir, 'etc');
  const state = path.join(dir, 'state');
  const processes: ManagedProcess[] = [];
  let link: net.Socket | undefined;
  let control: NutClient | undefined;
  const stop = async (): Promise<void> => {
    await control?.close().catch(() => undefined);
    for (const child of processes.reverse()) await child.stop();
    link?.destroy();
    await removeTempDir(dir);
  };
  try {
    await fsp.mkdir(etc, { mode: 0o750 });
    await fsp.mkdir(state, { mode: 0o750 });
    const vars = {
      ...DEMO_STATIC_VARS,
      ...demoVariables(demoReadings(DEMO_SCRIPT, 0)),
    };
    await fsp.writeFile(path.join(etc, `${UPS}.dev`), dummyUpsDevFile(vars), { mode: 0o640 });
    await fsp.writeFile(
      path.join(etc, 'ups.conf'),
      `${dummyUpsSection({ name: UPS, desc: 'NUT Sentinel demo UPS', pollInterval: 30 }, etc).join('\n')}\n`,
      { mode: 0o640 },
    );
    const controlPassword = randomBytes(12).toString('hex');
    const users = [
      `[${DEMO_MONITOR_USER.name}]`,
      `\tpassword = ${confQuote(DEMO_MONITOR_USER.password)}`,
      '\tupsmon secondary',
      '[democtl]',
      `\tpassword = ${confQuote(controlPassword)}`,
      '\tactions = SET',
    ];
    await fsp.writeFile(path.join(etc, 'upsd.users'), `${users.join('\n')}\n`, { mode: 0o640 });
    const env = { ...process.env, NUT_CONFPATH: etc, NUT_STATEPATH: state, NUT_ALTPIDPATH: state };
    const sink = (label: string, line: string): void =>
      logger.log('debug', `demo ${label}: ${line}`);

    const socketPath = path.join(state, `dummy-ups-${UPS}`);
    const driver = new ManagedProcess(
      'dummy-ups',
      NUT_DAEMONS.dummyUps,
      ['-a', UPS, '-u', 'root', '-F'],
      { env, cwd: dir, sink },
    );
    processes.push(driver);
    await waitFor(
      () => {
        if (!driver.running)
          throw new Error(`dummy-ups exited during start-up (code ${String(driver.exitCode)})`);
        return fs.existsSync(socketPath);
      },
      { timeoutMs: START_TIMEOUT_MS, intervalMs: 20, description: 'the dummy-ups socket' },
    );
    // Keep the driver link open until the driver exits (see pingDriver).
    link = await pingDriver(socketPath, START_TIMEOUT_MS);

    const port = await getFreePort(HOST);
    await fsp.writeFile(path.join(etc, 'upsd.conf'), `LISTEN ${HOST} ${port}\nMAXAGE 15\n`, {
      mode: 0o640,
    });
    const upsd = new ManagedProcess('upsd', NUT_DAEMONS.upsd, ['-u', 'root', '-F'], {
      env,
      cwd: dir,
      sink,
    });
    processes.push(upsd);
    await waitFor(
      () => {
        if (upsd.output.some((line) => line.startsWith(`listening on ${HOST} port ${port}`)))
          return true;
        if (!upsd.running)
          throw new Error(
            `upsd exited during start-up (code ${String(upsd.exitCode)}): ${upsd.output.slice(-3).join(' / ')}`,
          );
        return false;
      },
      {
        timeoutMs: START_TIMEOUT_MS,
        intervalMs: 20,
        description: `upsd listening on ${HOST}:${port}`,
      },
    );
    const client = await NutClient.connect({ host: HOST, port, keepAliveIntervalMs: 20_000 });
    control = client;
    await client.authenticate('democtl', controlPassword);
    return {
      host: HOST,
      port,
      upsName: UPS,
      setVar: async (name, value) => {
        await client.setVar(UPS, name, value);
      },
      pids: () => processes.filter((p) => p.running).map((p) => p.pid),
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}
