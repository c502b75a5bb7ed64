/**
 * `nut-sentinel web --demo`: a private master with a scripted power cut, so a newcomer sees the
 * app work without a UPS. With Debian's upsd + dummy-ups installed (and root, which dummy-ups
 * needs here) the master is real and the power cut is driven through SET VAR; otherwise the
 * built-in simulated master plays the same script. This machine's shutdown is always a dry run.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { ConfigInput } from '../../shared/config';
import type { Logger } from '../platform/ports';
import { canRunNutDaemons } from './nut-daemons';
import { startRealDemoMaster } from './real-master';
import {
  DEMO_MONITOR_USER,
  DEMO_SCRIPT,
  demoReadings,
  demoVariables,
  startSimulatedMaster,
} from './simulated-master';

/** How often the real-upsd demo moves its readings along the battery curve. */
const PLAY_STEP_MS = 2_000;

export interface Demo {
  configPath: string;
  dataDir: string;
  /** `real upsd` or `simulated master`. */
  kind: string;
  stop(): Promise<void>;
}

/** The demo's password travels by environment variable, as a headless agent's would. */
export const DEMO_PASSWORD_ENV = 'NUT_SENTINEL_DEMO_PASSWORD';

export async function startDemo(
  logger: Logger,
  options: { forceSimulator?: boolean } = {},
): Promise<Demo> {
  const dir = await mkdtemp(path.join(tmpdir(), 'nut-sentinel-demo-'));
  const canRunUpsd = !options.forceSimulator && canRunNutDaemons();
  let master: { host: string; port: number; upsName: string; stop: () => Promise<void> };
  let kind: string;
  if (canRunUpsd) {
    master = await playOnRealMaster(logger);
    kind = 'real upsd + dummy-ups';
  } else {
    const simulated = await startSimulatedMaster();
    master = {
      host: simulated.host,
      port: simulated.port,
      upsName: simulated.upsName,
      stop: () => simulated.close(),
    };
    kind = 'simulated master';
  }
  process.env[DEMO_PASSWORD_ENV] = DEMO_MONITOR_USER.password;
  const config: ConfigInput = {
    masters: [
      {
        id: 'demo',
        label: 'Demo NAS',
        preset: 'synology',
        host: master.host,
        port: master.port,
        ups: [
          {
            name: master.upsName,
            username: DEMO_MONITOR_USER.name,
            password: { source: 'env', name: DEMO_PASSWORD_ENV },
            expectedClients: ['127.0.0.1'],
          },
        ],
      },
    ],
    shutdown: { dryRun: true },
  };
  const configPath = path.join(dir, 'config.json');
  await writeFile(configPath, JSON.stringify(config, null, 2));
  logger.log(
    'info',
    `demo: ${kind} on ${master.host}:${master.port}; a power cut starts in ${DEMO_SCRIPT[0]!.seconds} s and repeats`,
  );
  return {
    configPath,
    dataDir: dir,
    kind,
    stop: async () => {
      await master.stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

async function playOnRealMaster(
  logger: Logger,
): Promise<{ host: string; port: number; upsName: string; stop: () => Promise<void> }> {
  const master = await startRealDemoMaster(logger);
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  const started = Date.now();
  const sent = new Map<string, string>();
  // The same battery curve as the simulated master, through SET VAR every 2 s (only what changed).
  const play = async (): Promise<void> => {
    if (stopped) return;
    try {
      const vars = demoVariables(demoReadings(DEMO_SCRIPT, Date.now() - started));
      for (const [name, value] of Object.entries(vars)) {
        if (sent.get(name) === value) continue;
        await master.setVar(name, value);
        sent.set(name, value);
      }
    } catch (error) {
      logger.log(
        'warn',
        `demo: could not set the next readings: ${error instanceof Error ? error.message : String(error)}`,
      );
    }
    if (!stopped) timer = setTimeout(() => void play(), PLAY_STEP_MS);
  };
  void play();
  return {
    host: master.host,
    port: master.port,
    upsName: master.upsName,
    stop: async () => {
      stopped = true;
      clearTimeout(timer);
      await master.stop();
    },
  };
}
