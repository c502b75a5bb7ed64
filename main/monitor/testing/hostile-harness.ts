/**
 * Harness for the hostile-server tests: ONE MonitorService (production parts: NutClient, the
 * sessions, the shared ticker) monitoring a UPS on a scripted fault server (the hostile one) and a
 * UPS on a real upsd rig (the good one), so a test sees whether the hostile server harms the other
 * UPS. The fault server plays an upsd 2.8.0 look-alike ({@link upsdLookalike}) except where the
 * test's behaviour takes over.
 */
import {
  type Config,
  ConfigSchema,
  type ConfigInput,
  type Timing,
  type TlsConfig,
} from '../../../shared/config';
import type { StoredEvent } from '../../../shared/history';
import { NodeProcessRunner, systemClock } from '../../platform/node-ports';
import type { FaultConnection, FaultScript } from '../../testing/fault-server';
import { RIG_USERS, type Rig } from '../../testing/upsd-rig';
import { MonitorService } from '../monitor-service';
import type { UpsSession } from '../ups-session';
import { MemoryLogger } from './scenario-harness';

export const HOSTILE_UPS = 'ups';

/** Short timings: status every 250 ms, full poll every second, 1 s request/connect timeouts. */
export const HOSTILE_TIMING: Partial<Timing> = {
  statusPollSeconds: 0.25,
  fullPollSeconds: 1,
  requestTimeoutSeconds: 1,
  connectTimeoutSeconds: 1,
  deadTimeSeconds: 4,
  hostSyncSeconds: 3,
  noCommWarnSeconds: 300,
};

/** Returns true when it answered the line itself; false hands it to the look-alike. */
export type Behaviour = (line: string, connection: FaultConnection) => boolean | Promise<boolean>;

/** An upsd 2.8.0 look-alike for UPS `ups` whose status is `status()`; `behaviour` overrides any line. */
export function upsdLookalike(
  behaviour: Behaviour = () => false,
  status: () => string = () => 'OL',
): FaultScript {
  return async (line, connection) => {
    if (await behaviour(line, connection)) return;
    const u = HOSTILE_UPS;
    const words = line.split(' ');
    const table: Record<string, string[]> = {
      VER: ['Network UPS Tools upsd 2.8.0 - http://www.networkupstools.org/'],
      NETVER: ['1.3'],
      PROTVER: ['1.3'],
      [`LOGIN ${u}`]: ['OK'],
      [`GET VAR ${u} ups.status`]: [`VAR ${u} ups.status "${status()}"`],
      [`GET NUMLOGINS ${u}`]: [`NUMLOGINS ${u} 1`],
      [`LIST VAR ${u}`]: [
        `BEGIN LIST VAR ${u}`,
        `VAR ${u} battery.charge "100"`,
        `VAR ${u} ups.status "${status()}"`,
        `END LIST VAR ${u}`,
      ],
      [`LIST CLIENT ${u}`]: [
        `BEGIN LIST CLIENT ${u}`,
        `CLIENT ${u} 127.0.0.1`,
        `END LIST CLIENT ${u}`,
      ],
      STARTTLS: ['ERR FEATURE-NOT-CONFIGURED'],
    };
    if (words[0] === 'USERNAME' || words[0] === 'PASSWORD') await connection.send('OK');
    else if (line === 'LOGOUT') {
      await connection.send('OK Goodbye');
      await connection.end();
    } else await connection.send(...(table[line] ?? ['ERR UNKNOWN-COMMAND']));
  };
}

export interface TwoUps {
  readonly service: MonitorService;
  readonly events: StoredEvent[];
  readonly logger: MemoryLogger;
  readonly config: Config;
  /** The session of the UPS on the fault server. */
  hostile(): UpsSession;
  /** The session of the UPS on the real upsd. */
  good(): UpsSession;
  /** System events of the hostile UPS of one type. */
  hostileEvents(type: string): StoredEvent[];
  stop(): Promise<void>;
}

/** Starts one MonitorService for the hostile UPS and the rig's first UPS. */
export function startTwoUps(options: {
  hostile: { host: string; port: number; tls?: Partial<TlsConfig> };
  rig: Rig;
  timing?: Partial<Timing>;
}): TwoUps {
  const { rig } = options;
  const input: ConfigInput = {
    masters: [
      {
        id: 'hostile',
        label: 'Hostile',
        host: options.hostile.host,
        port: options.hostile.port,
        ...(options.hostile.tls ? { tls: options.hostile.tls } : {}),
        ups: [
          {
            name: HOSTILE_UPS,
            role: 'secondary',
            username: 'monuser',
            password: { source: 'store' },
          },
        ],
      },
      {
        id: 'rig',
        label: 'Rig',
        host: rig.host,
        port: rig.port,
        ups: [
          {
            name: rig.upses[0]!.name,
            role: 'secondary',
            username: RIG_USERS.monuser.name,
            password: { source: 'store' },
          },
        ],
      },
    ],
    timing: { ...HOSTILE_TIMING, ...options.timing },
    shutdown: { command: { file: '/bin/true', args: [] }, dryRun: true, timeoutSeconds: 5 },
    history: { sampleSeconds: 60 },
  };
  const config = ConfigSchema.parse(input);
  const events: StoredEvent[] = [];
  const logger = new MemoryLogger('two-ups');
  const service = new MonitorService(config, {
    clock: systemClock,
    logger,
    runner: new NodeProcessRunner(),
    notifier: null,
    recordEvent: (event) => events.push(event),
    password: () => Promise.resolve(RIG_USERS.monuser.password),
  });
  service.start();
  const session = (id: string): UpsSession => {
    const found = service.session(id);
    if (!found) throw new Error(`no session ${id}`);
    return found;
  };
  return {
    service,
    events,
    logger,
    config,
    hostile: () => session(`hostile/${HOSTILE_UPS}`),
    good: () => session(`rig/${rig.upses[0]!.name}`),
    hostileEvents: (type) =>
      events.filter((e) => e.monitorId === `hostile/${HOSTILE_UPS}` && e.type === type),
    stop: async () => {
      await service.stop();
    },
  };
}

export interface Watch {
  /** Largest growth of heapUsed and of RSS over the baseline, in bytes. */
  heapGrowth: number;
  rssGrowth: number;
  /** Longest time (ms) the good UPS went without a fresh status read while watched. */
  goodLongestGapMs: number;
  /** Whether the good UPS's comm was ever not ok. */
  goodCommLost: boolean;
  stop(): void;
}

/** Samples memory and the good UPS's status age every 25 ms from now until `stop()`. */
export function watch(two: TwoUps): Watch {
  const base = process.memoryUsage();
  const result: Watch = {
    heapGrowth: 0,
    rssGrowth: 0,
    goodLongestGapMs: 0,
    goodCommLost: false,
    stop: () => clearInterval(timer),
  };
  const sample = (): void => {
    const now = process.memoryUsage();
    result.heapGrowth = Math.max(result.heapGrowth, now.heapUsed - base.heapUsed);
    result.rssGrowth = Math.max(result.rssGrowth, now.rss - base.rss);
    const good = two.good();
    const at = good.statusAt;
    if (at !== null) result.goodLongestGapMs = Math.max(result.goodLongestGapMs, Date.now() - at);
    if (good.view.comm !== 'ok') result.goodCommLost = true;
  };
  const timer = setInterval(sample, 25);
  return result;
}
